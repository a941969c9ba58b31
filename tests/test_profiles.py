import socket
import threading
import time

import pytest

from course_lib.errors import ProfileError
from course_lib.profiles import CHECKPOINTS, ROLES, SIZES, checkpoint_for, choose_profile


def test_every_role_has_both_profiles():
    for role, names in CHECKPOINTS.items():
        assert set(names) == {"pocket", "full"}, role
    assert {"encoder", "mlm", "qa", "classifier", "nli", "chinese_encoder", "sentiment_data"} <= set(ROLES)
    assert set(SIZES["pocket"]) == set(SIZES["full"])


def test_full_profile_uses_the_real_checkpoints():
    assert checkpoint_for("encoder", "full") == "bert-base-uncased"
    assert checkpoint_for("qa", "full") == "deepset/roberta-base-squad2"
    assert checkpoint_for("nli", "full") == "facebook/bart-large-mnli"
    assert checkpoint_for("chinese_encoder", "full") == "bert-base-chinese"


def test_override_wins():
    assert checkpoint_for("encoder", "full", {"encoder": "bert-large-uncased"}) == "bert-large-uncased"
    assert choose_profile("pocket", {"mlm": "x/y"}).checkpoint("mlm") == "x/y"


def test_unknown_role_and_profile_name_the_fix():
    with pytest.raises(ProfileError, match="use one of: encoder"):
        checkpoint_for("decoder", "pocket")
    with pytest.raises(ProfileError, match="Fix: use COURSE_PROFILE=pocket"):
        choose_profile("pokcet")


def test_explicit_profile_and_env(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    choice = choose_profile()
    assert (choice.name, choice.reason) == ("full", "COURSE_PROFILE=full")
    assert choose_profile("pocket").reason == "setup(profile=...)=pocket"


def test_auto_offline_env_picks_pocket(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "auto")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    choice = choose_profile()
    assert choice.name == "pocket" and "HF_HUB_OFFLINE" in choice.reason


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_auto_unreachable_hub_picks_pocket_fast(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "auto")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    start = time.perf_counter()
    choice = choose_profile()
    assert choice.name == "pocket" and "did not answer" in choice.reason
    assert time.perf_counter() - start < 3


def test_auto_reachable_hub_picks_full(monkeypatch):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    def accept_once():
        try:
            server.accept()[0].close()
        except OSError:  # the server was closed first: the probe's connect already proved reachability
            pass

    threading.Thread(target=accept_once, daemon=True).start()
    monkeypatch.setenv("COURSE_PROFILE", "auto")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
    try:
        assert choose_profile().name == "full"
    finally:
        server.close()
