import pytest
import torch

import course_lib
from course_lib.errors import ProfileError


def test_setup_reports_versions_profile_device(capsys):
    session = course_lib.setup(profile="pocket", device="cpu")
    out = capsys.readouterr().out
    assert f"torch {torch.__version__}" in out and "transformers" in out
    assert "Profile: pocket (setup(profile=...)=pocket)" in out
    assert "Device:  cpu" in out
    assert session.checkpoint("encoder") == "pocket/minilm-l6"
    assert session.sizes["train"] > 0


def test_setup_seeds_every_generator():
    course_lib.setup(profile="pocket", seed=7, verbose=False)
    first = torch.rand(3)
    course_lib.setup(profile="pocket", seed=7, verbose=False)
    assert torch.equal(first, torch.rand(3))


def test_setup_rejects_a_wrong_profile_name():
    with pytest.raises(ProfileError, match="Unknown profile 'gpu'"):
        course_lib.setup(profile="gpu")
