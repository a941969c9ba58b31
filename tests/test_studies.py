"""Lesson 07's stored studies (course_lib.lessons.studies) and the helpers they run (modes, few_labels)."""
import shutil

import pandas as pd
import pytest
from datasets import Dataset

from course_lib.core.errors import CourseError
from course_lib.core.profiles import SIZES
from course_lib.lessons import few_labels, modes, studies


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of course_lib that fingerprint() reads instead of the real one, so a test may edit it."""
    copy = tmp_path / "course_lib"
    shutil.copytree(studies.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "measured", "worlds"))
    monkeypatch.setattr(studies, "PACKAGE", copy)
    return copy


def test_the_fingerprint_follows_the_code_that_decides_the_numbers(package_copy):
    before = studies.fingerprint("modes")
    module = package_copy / "lessons" / "modes.py"
    head, tail = module.read_text().split(studies.FINGERPRINT_END)
    module.write_text(head + studies.FINGERPRINT_END + tail + "\n# a comment in the reading part\n")
    assert studies.fingerprint("modes") == before  # below the marker: only reads results
    assert "LORA_RANK = 8" in head
    module.write_text(head.replace("LORA_RANK = 8", "LORA_RANK = 4") + studies.FINGERPRINT_END + tail)
    assert studies.fingerprint("modes") != before
    module.write_text(head + studies.FINGERPRINT_END + tail)
    assert studies.fingerprint("modes") == before
    for engine in (package_copy / "core" / "training.py", package_copy / "core" / "sweeps.py"):
        text = engine.read_text()
        engine.write_text(text + "\n# the engine changed\n")
        assert studies.fingerprint("modes") != before and studies.fingerprint("few_labels") != before
        engine.write_text(text)
    assert studies.fingerprint("few_labels") != studies.fingerprint("modes")


def test_a_stored_study_is_stale_when_its_settings_or_code_differ():
    settings = studies.modes_settings(SIZES["pocket"])
    fresh = {"settings": settings, "fingerprint": studies.fingerprint("modes")}
    assert studies.stale_reason(fresh, "modes", settings) == ""
    assert "other settings" in studies.stale_reason(fresh, "modes", {**settings, "seeds": 5})
    assert "code" in studies.stale_reason({**fresh, "fingerprint": "0" * 16}, "modes", settings)


@pytest.mark.parametrize("name", ["modes", "few_labels"])
def test_the_pocket_studies_lesson_07_reads_are_stored_and_current(name):
    """Otherwise lesson 07 measures them live: many minutes. Re-measure: python -m course_lib measure NAME --profile pocket."""
    stored = studies.read_stored(name, "pocket")
    assert stored is not None, f"no stored {name} study for the pocket profile"
    assert studies.stale_reason(stored, name, studies.SETTINGS[name](SIZES["pocket"])) == ""
    runs = pd.DataFrame(stored["runs"])
    assert runs["picked"].any() and runs["test accuracy"].between(0, 1).all()


class FakeSession:
    sizes = SIZES["pocket"]
    device = "cpu"

    class profile:
        name = "pocket"


def test_load_or_run_uses_a_current_study_and_measures_a_stale_one(monkeypatch, capsys):
    calls = []
    monkeypatch.setitem(studies.RUNNERS, "modes", lambda session, settings, progress: calls.append(settings) or
                        pd.DataFrame([{"mode": "full", "test accuracy": 0.5}]))
    settings = studies.modes_settings(SIZES["pocket"])
    stored = {"settings": settings, "fingerprint": studies.fingerprint("modes"), "runs": [{"mode": "stored"}],
              "measured": {"date": "2026-01-01", "device": "cpu", "threads": 1, "seconds": 60}}
    monkeypatch.setattr(studies, "read_stored", lambda name, profile: stored)
    runs, _ = studies.load_or_run("modes", FakeSession())
    assert runs["mode"].tolist() == ["stored"] and calls == []
    stored["fingerprint"] = "stale"
    runs, _ = studies.load_or_run("modes", FakeSession())
    assert runs["mode"].tolist() == ["full"] and calls == [settings]
    assert "the code that produced it has changed" in capsys.readouterr().out
    with pytest.raises(CourseError, match="Unknown study"):
        studies.load_or_run("nodes", FakeSession())


def test_the_picked_rate_is_the_best_check_accuracy_and_ties_go_to_the_lower_loss():
    sweep = [{"lr": 1e-4, "check accuracy": 0.7, "check loss": 0.6},
             {"lr": 3e-4, "check accuracy": 0.8, "check loss": 0.5},
             {"lr": 1e-3, "check accuracy": 0.8, "check loss": 0.4}]
    assert max(sweep, key=modes.check_score)["lr"] == 1e-3
    sweep[2]["check loss"] = 0.9
    assert max(sweep, key=modes.check_score)["lr"] == 3e-4


def test_trained_groups_name_the_pooler_only_where_it_is_read():
    assert modes.trained_groups(4, 6, "pooler") == ["layer.4", "layer.5", "pooler", "head"]
    assert modes.trained_groups(6, 6, "pooler") == ["head"]  # head only: the pooler is frozen below the cache
    assert modes.trained_groups(4, 6, "mean") == ["layer.4", "layer.5", "head"]


def test_the_summary_reads_only_the_picked_runs():
    runs = pd.DataFrame([
        {"mode": "full", "lr": 1e-4, "seed": 0, "test accuracy": 0.10, "test rows": 100, "trainable": 7, "picked": False},
        {"mode": "full", "lr": 3e-4, "seed": 0, "test accuracy": 0.70, "test rows": 100, "trainable": 7, "picked": True},
        {"mode": "full", "lr": 3e-4, "seed": 1, "test accuracy": 0.80, "test rows": 100, "trainable": 7, "picked": True},
        {"mode": "full", "lr": 3e-4, "seed": 2, "test accuracy": 0.90, "test rows": 100, "trainable": 7, "picked": True}])
    table = modes.summary(runs)
    assert table.loc["full", "picked lr"] == 3e-4 and table.loc["full", "seeds"] == 3
    assert table.loc["full", "test accuracy"] == pytest.approx(0.8)
    assert table.loc["full", "rates tried"] == "0.0001, 0.0003"


def test_a_comparison_with_fewer_than_three_seeds_is_refused():
    with pytest.raises(CourseError, match="3 or more"):
        modes.compare_modes(None, None, epochs=1, batch_size=8, seeds=2, max_length=32)
    with pytest.raises(CourseError, match="3 or more"):
        few_labels.compare_few_labels(None, None, None, None, {"seeds": 1})


def test_lora_trains_adapters_pooler_and_head_only(tiny_bert):
    model = modes.add_lora(tiny_bert())
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n or "pooler" in n or "classifier" in n for n in trainable)
    assert any("lora_A" in n for n in trainable) and any("classifier" in n for n in trainable)


def test_few_label_draws_are_balanced_seeded_and_checked():
    rows = Dataset.from_dict({"text": [f"t{i}" for i in range(20)], "label": [i % 2 for i in range(20)]})
    draw = few_labels.sample_per_class(rows, 4, seed=0)
    assert sorted(draw["label"]) == [0] * 4 + [1] * 4
    assert draw["text"] == few_labels.sample_per_class(rows, 4, seed=0)["text"]
    assert draw["text"] != few_labels.sample_per_class(rows, 4, seed=1)["text"]
    with pytest.raises(CourseError, match="at most 10 per class"):
        few_labels.sample_per_class(rows, 11, seed=0)


def test_a_pick_at_the_edge_of_the_sweep_is_named():
    runs = pd.DataFrame([{"mode": m, "lr": lr, "picked": lr == best} for m, best in (("a", 1e-3), ("b", 3e-3), ("c", 1e-4))
                         for lr in (1e-4, 1e-3, 3e-3)])
    lines = modes.sweep_edges(runs)
    assert [line.split(":")[0] for line in lines] == ["b", "c"]
    assert "largest" in lines[0] and "smallest" in lines[1]


def test_the_few_label_sweep_size_exists_in_any_grid():
    """The rehearsal's tiny grid has one size: the sweep runs at it (a second size would be out of range)."""
    settings = studies.few_labels_settings({**SIZES["pocket"], "few_label_sizes": (2,)})
    assert settings["sweep_per_class"] == 2 and settings["per_class"] == [2]
    assert studies.few_labels_settings(SIZES["pocket"])["sweep_per_class"] == SIZES["pocket"]["few_label_sizes"][1]


def test_the_few_label_study_leaves_the_warning_filters_and_the_folder_as_it_found_them(monkeypatch, tmp_path):
    """setfit's import switches every DeprecationWarning on, and its Trainer writes ./checkpoints: neither may stay."""
    import os
    import warnings

    rows = Dataset.from_dict({"text": ["a", "b"], "label": [0, 1]})

    class Session(FakeSession):
        def load_sentiment(self):
            return {"train": rows, "validation": rows, "test": rows}

    def like_setfit(session, pool, check, test, settings, progress):
        warnings.filterwarnings("default", category=DeprecationWarning)
        os.makedirs("checkpoints")
        return pd.DataFrame()

    monkeypatch.setattr(few_labels, "compare_few_labels", like_setfit)
    monkeypatch.chdir(tmp_path)
    before = warnings.filters[:]
    studies.run_few_labels(Session(), studies.few_labels_settings(SIZES["pocket"]))
    assert warnings.filters == before and not (tmp_path / "checkpoints").exists()
