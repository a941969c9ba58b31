"""Fixtures shared by the test files: a pocket-profile session and the pocket NLI model."""
import pytest
from transformers import AutoModelForSequenceClassification

import course_lib
from course_lib.device import PRECISION_ENV


@pytest.fixture(autouse=True)
def fp32_unit_tests(monkeypatch):
    """Unit tests compute in fp32 on every CPU, AMX or not (tests of the bf16 path opt in by faking AMX).

    The notebooks under nbval keep the hardware's choice: their compared outputs must not depend on it.
    """
    monkeypatch.setenv(PRECISION_ENV, "fp32")


@pytest.fixture(scope="module")
def session():
    """A pocket-profile session, seeded afresh for each test module."""
    return course_lib.setup(profile="pocket", verbose=False)


@pytest.fixture(scope="module")
def nli(session):
    """The pocket NLI model and its tokenizer."""
    return session.load_model("nli", AutoModelForSequenceClassification), session.load_tokenizer("nli")
