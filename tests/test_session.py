import pytest
import torch

import course_lib
from course_lib.core.errors import ProfileError


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


@pytest.fixture()
def hub_flags(monkeypatch):
    """Start with no HF_HUB_OFFLINE at all; put the process-wide flags back afterwards."""
    import datasets
    import huggingface_hub.constants as hub_constants

    from course_lib.core import hub

    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", hub_constants.HF_HUB_OFFLINE)  # restored afterwards
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", datasets.config.HF_HUB_OFFLINE)
    monkeypatch.setattr(hub, "_SET_BY_US", {"offline": False})  # course_lib's own record: nothing set by it yet
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    yield hub_constants, datasets.config


def test_switching_pocket_then_full_goes_online_again(hub_flags):
    import os

    hub_constants, datasets_config = hub_flags
    course_lib.setup(profile="pocket", verbose=False)
    assert os.environ["HF_HUB_OFFLINE"] == "1" and hub_constants.HF_HUB_OFFLINE and datasets_config.HF_HUB_OFFLINE
    session = course_lib.setup(profile="full", verbose=False)
    assert "HF_HUB_OFFLINE" not in os.environ
    assert not hub_constants.HF_HUB_OFFLINE and not datasets_config.HF_HUB_OFFLINE
    assert session.checkpoint("encoder") == "bert-base-uncased"
    course_lib.setup(profile="pocket", verbose=False)  # and back again
    assert os.environ["HF_HUB_OFFLINE"] == "1" and hub_constants.HF_HUB_OFFLINE


def test_switching_keeps_the_users_own_offline_setting(hub_flags, monkeypatch):
    import os

    hub_constants, _ = hub_flags
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    course_lib.setup(profile="pocket", verbose=False)
    course_lib.setup(profile="full", verbose=False)
    assert os.environ["HF_HUB_OFFLINE"] == "1" and hub_constants.HF_HUB_OFFLINE


def test_banner_says_why_auto_chose_pocket_without_gpu(hub_flags, monkeypatch, capsys):
    from course_lib.core import hub, profiles

    monkeypatch.setattr(hub, "reachable", lambda timeout=0: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    session = course_lib.setup(profile="auto", device="cpu")
    out = capsys.readouterr().out
    assert session.profile.name == "pocket"
    assert f"Profile: pocket (auto: no GPU here, so the offline pocket profile runs (the full profile downloads about " \
           f"{profiles.full_download_gb():.1f} GB" in out
