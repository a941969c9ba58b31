import socket
import threading
import time

import pytest
import torch

from course_lib import checkpoints, profiles, rehearsal
from course_lib.errors import ProfileError
from course_lib.profiles import REGISTRY, ROLES, SIZES, checkpoint_for, choose_profile


def test_every_role_resolves_in_both_profiles_to_something_loadable():
    """Pocket models have a builder, pocket datasets a reader; full models and datasets a rehearsal stand-in."""
    models = rehearsal.model_stand_ins()
    for role, entry in REGISTRY.items():
        assert entry.kind in ("model", "dataset"), role
        if entry.kind == "model":
            assert entry.pocket in checkpoints.POCKET_CHECKPOINTS, role
            assert models[entry.full].architectures == [entry.architecture], role
    assert {e.full for e in REGISTRY.values() if e.kind == "dataset"} == set(rehearsal.dataset_stand_ins(rows=4))


def test_views_agree_with_the_registry():
    assert ROLES == tuple(REGISTRY)
    for role in ROLES:
        for profile in ("pocket", "full"):
            assert profiles.CHECKPOINTS[role][profile] == checkpoint_for(role, profile)
    assert set(SIZES["pocket"]) == set(SIZES["full"])  # a lesson can read any size key in either profile


def test_download_size_counts_each_repo_once(monkeypatch):
    entry = profiles.Entry("a", "model", "org/x", "pocket/x", "BertModel", 100)
    monkeypatch.setattr(profiles, "REGISTRY", {"a": entry, "b": profiles.Entry("b", "model", "org/x", "pocket/x", "", 100),
                                               "c": profiles.Entry("c", "dataset", "org/d", "pocket/d", download_mb=5)})
    assert profiles.full_download_gb() == pytest.approx(0.1)


def test_overrides_win_and_are_validated():
    assert checkpoint_for("encoder", "full", {"encoder": "bert-large-uncased"}) == "bert-large-uncased"
    choice = choose_profile("pocket", {"mlm": "x/y", "batch_size": 4})
    assert choice.checkpoint("mlm") == "x/y" and choice.sizes["batch_size"] == 4
    assert choice.sizes["train"] == SIZES["pocket"]["train"]
    with pytest.raises(ProfileError, match="(?s)Unknown override key.*'batchsize'.*use role names or size keys: encoder.*batch_size"):
        choose_profile("pocket", {"batchsize": 4})


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


@pytest.fixture()
def auto_online(monkeypatch):
    """`auto`, with the offline switches unset; tests fake the hub and the GPU."""
    monkeypatch.setenv("COURSE_PROFILE", "auto")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    return monkeypatch


def fake_machine(monkeypatch, hub: bool, cuda: bool, mps: bool = False):
    monkeypatch.setattr(profiles, "hub_is_reachable", lambda timeout=0: hub)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


def test_auto_offline_env_picks_pocket(auto_online):
    auto_online.setenv("HF_HUB_OFFLINE", "1")
    fake_machine(auto_online, hub=True, cuda=True)
    choice = choose_profile()
    assert choice.name == "pocket" and "HF_HUB_OFFLINE is set" in choice.reason


def test_auto_without_gpu_picks_pocket_and_says_why(auto_online):
    fake_machine(auto_online, hub=True, cuda=False)
    choice = choose_profile()
    assert choice.name == "pocket"
    assert "no GPU here" in choice.reason and "COURSE_PROFILE=full" in choice.reason
    assert f"about {profiles.full_download_gb():.1f} GB" in choice.reason


def test_auto_with_gpu_and_hub_picks_full(auto_online):
    fake_machine(auto_online, hub=True, cuda=True)
    choice = choose_profile()
    assert choice.name == "full" and "GPU (cuda)" in choice.reason
    fake_machine(auto_online, hub=True, cuda=False, mps=True)
    assert choose_profile().name == "full"


def test_auto_unreachable_hub_picks_pocket_even_with_gpu(auto_online):
    fake_machine(auto_online, hub=False, cuda=True)
    choice = choose_profile()
    assert choice.name == "pocket" and "did not answer" in choice.reason


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_hub_probe_is_fast_on_a_dead_endpoint(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    start = time.perf_counter()
    assert not profiles.hub_is_reachable()
    assert time.perf_counter() - start < 3


def test_hub_probe_sees_a_listening_endpoint(monkeypatch):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def accept_once():
        try:
            server.accept()[0].close()
        except OSError:  # the server was closed first: the probe's connect already proved reachability
            pass

    threading.Thread(target=accept_once, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
    try:
        assert profiles.hub_is_reachable()
    finally:
        server.close()


def test_profiles_command_prints_the_registry(capsys):
    from course_lib.__main__ import main

    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    for role, entry in REGISTRY.items():
        assert role in out and entry.full in out and entry.pocket in out
    assert f"about {profiles.full_download_gb():.1f} GB" in out and "1,630 MB" in out
