"""environment(): the one way course_lib sets variables for a block and puts them back."""
import os

import pytest

from course_lib.core.environ import environment


def test_values_hold_inside_and_the_old_ones_come_back(monkeypatch):
    monkeypatch.setenv("COURSE_TEST_A", "before")
    monkeypatch.delenv("COURSE_TEST_B", raising=False)
    monkeypatch.setenv("COURSE_TEST_C", "kept away")
    with environment({"COURSE_TEST_A": "inside", "COURSE_TEST_B": 3, "COURSE_TEST_C": None}):
        assert os.environ["COURSE_TEST_A"] == "inside" and os.environ["COURSE_TEST_B"] == "3"
        assert "COURSE_TEST_C" not in os.environ  # None removes a variable for the block
    assert os.environ["COURSE_TEST_A"] == "before" and "COURSE_TEST_B" not in os.environ
    assert os.environ["COURSE_TEST_C"] == "kept away"


def test_an_error_inside_still_restores(monkeypatch):
    monkeypatch.setenv("COURSE_TEST_A", "before")
    with pytest.raises(KeyError):
        with environment({"COURSE_TEST_A": "inside"}):
            raise KeyError("boom")
    assert os.environ["COURSE_TEST_A"] == "before"
