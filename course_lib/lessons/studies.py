"""Measurements too long for a lesson on a CPU, made once by the same code, stored with where they came from.

A *study* (lesson 07's mode comparison, its few-labels grid) trains every configuration with several seeds: minutes
on a GPU, tens of minutes on a CPU. `python -m course_lib measure NAME --profile pocket` runs it and stores the runs
in course_lib/lessons/measured/NAME-PROFILE.json with the date, the machine, the library versions, the settings and
a fingerprint of the code that made them. `load_or_run` shows the stored runs when the settings and the fingerprint
match what the lesson would run now, and runs the study live otherwise (the full profile on a GPU, or `live=True`).
tests/test_studies.py fails when a stored study no longer matches the code or the registry's sizes: re-measure then.
"""
import hashlib
import json
import os
import platform
import tempfile
import time
import warnings
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd

from ..core.errors import CourseError

MEASURED_DIR = Path(__file__).resolve().parent / "measured"
PACKAGE = Path(__file__).resolve().parent.parent
# The code whose behaviour a stored study records: the study's own module and the engine under it.
ENGINE = ("core/training.py", "core/batches.py", "core/cached.py", "core/freezing.py", "core/tensors.py",
          "core/precision.py", "core/data.py", "core/checkpoints.py", "core/sweeps.py")


FINGERPRINT_END = "# ---- reading a stored study"  # a study module's code below this marker only reads results


def fingerprint(study: str) -> str:
    """A hash of the source that decides the study's numbers: its module (down to FINGERPRINT_END) and the engine."""
    digest = hashlib.sha256()
    module = (PACKAGE / f"lessons/{STUDY_MODULES[study]}.py").read_text()
    digest.update(module.split(FINGERPRINT_END)[0].encode())
    for name in ENGINE:
        digest.update(name.encode() + (PACKAGE / name).read_bytes())
    return digest.hexdigest()[:16]


def first_rows(split, n: int):
    """The first n rows of a split (all of them if it has fewer)."""
    return split.select(range(min(n, len(split))))


def modes_settings(sizes: dict) -> dict:
    """What lesson 07's mode comparison runs at these sizes."""
    return {"rows": sizes["compare_rows"], "check_rows": sizes["compare_check_rows"],
            "test_rows": sizes["compare_test_rows"], "epochs": sizes["compare_epochs"],
            "batch_size": sizes["compare_batch"], "seeds": sizes["seeds"], "max_length": sizes["max_length"]}


def run_modes(session, settings: dict, progress=None) -> pd.DataFrame:
    """Lesson 07's mode comparison, live: the same rows for every mode (course_lib.lessons.modes)."""
    from . import modes

    splits = session.load_sentiment()
    data = modes.prepare(session, first_rows(splits["train"], settings["rows"]),
                         first_rows(splits["validation"], settings["check_rows"]),
                         first_rows(splits["test"], settings["test_rows"]), settings["max_length"])
    return modes.compare_modes(session, data, epochs=settings["epochs"], batch_size=settings["batch_size"],
                               seeds=settings["seeds"], max_length=settings["max_length"], progress=progress)


def few_labels_settings(sizes: dict) -> dict:
    """What lesson 07's few-labels comparison runs at these sizes."""
    return {"per_class": list(sizes["few_label_sizes"]), "sweep_per_class": sizes["few_label_sizes"][min(1, len(sizes["few_label_sizes"]) - 1)],
            "steps": sizes["few_label_steps"],
            "pairs_per_step": sizes["few_label_pairs"], "seeds": sizes["seeds"],
            "check_rows": sizes["compare_check_rows"], "test_rows": sizes["compare_test_rows"],
            "max_length": sizes["few_label_max_length"]}


def run_few_labels(session, settings: dict, progress=None) -> pd.DataFrame:
    """Lesson 07's few-labels comparison, live (course_lib.lessons.few_labels)."""
    from . import few_labels

    splits = session.load_sentiment()
    filters = warnings.filters[:]  # importing setfit switches every DeprecationWarning on for the whole kernel
    try:
        with scratch_folder():  # SetFit's Trainer saves checkpoints under ./checkpoints: not in the learner's folder
            return few_labels.compare_few_labels(session, splits["train"],
                                                 first_rows(splits["validation"], settings["check_rows"]),
                                                 first_rows(splits["test"], settings["test_rows"]), settings, progress)
    finally:
        warnings.filters[:] = filters


@contextmanager
def scratch_folder():
    """Run the block in a temporary working folder, deleted afterwards."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="course_study_") as folder:
        os.chdir(folder)
        try:
            yield folder
        finally:
            os.chdir(here)


STUDY_MODULES = {"modes": "modes", "few_labels": "few_labels"}
SETTINGS = {"modes": modes_settings, "few_labels": few_labels_settings}
RUNNERS = {"modes": run_modes, "few_labels": run_few_labels}


def check_study(name: str) -> str:
    """Return `name` if it is a study, else raise a CourseError listing them."""
    if name not in RUNNERS:
        raise CourseError(f"Unknown study {name!r}.", f"use one of {sorted(RUNNERS)}.")
    return name


def stored_path(name: str, profile: str) -> Path:
    """Where the stored runs of study `name` in `profile` live."""
    return MEASURED_DIR / f"{check_study(name)}-{profile}.json"


def read_stored(name: str, profile: str) -> dict | None:
    """The stored study (runs, settings, provenance), or None if it was never measured for this profile."""
    path = stored_path(name, profile)
    return json.loads(path.read_text()) if path.exists() else None


def stale_reason(stored: dict, name: str, settings: dict) -> str:
    """Why a stored study cannot stand for what would run now ('' when it can)."""
    if stored["settings"] != settings:
        return f"it was measured with other settings ({stored['settings']}, now {settings})"
    if stored["fingerprint"] != fingerprint(name):
        return "the code that produced it has changed since"
    return ""


def measure(name: str, session, progress=None) -> dict:
    """Run study `name` live for the session's profile and sizes; return it with its provenance (not yet stored)."""
    import torch
    import transformers

    settings = SETTINGS[check_study(name)](session.sizes)
    start = time.perf_counter()
    runs = RUNNERS[name](session, settings, progress)
    return {"study": name, "profile": session.profile.name, "settings": settings, "fingerprint": fingerprint(name),
            "measured": {"date": date.today().isoformat(), "seconds": round(time.perf_counter() - start),
                         "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                         "device": str(session.device), "threads": torch.get_num_threads(),
                         "python": platform.python_version(), "torch": torch.__version__,
                         "transformers": transformers.__version__},
            "runs": runs.to_dict(orient="records")}


def store(study: dict) -> Path:
    """Write a measured study to course_lib/lessons/measured/."""
    path = stored_path(study["study"], study["profile"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(study, indent=1) + "\n")
    return path


def load_or_run(name: str, session, live: bool = False, progress=None) -> tuple[pd.DataFrame, dict]:
    """The study's runs and provenance: stored when they match what would run now, else measured here (and said so)."""
    settings = SETTINGS[check_study(name)](session.sizes)
    stored = None if live else read_stored(name, session.profile.name)
    reason = "you asked for a live run" if live else (
        "none is stored for this profile" if stored is None else stale_reason(stored, name, settings))
    if not reason:
        provenance = stored["measured"]
        print(f"Measured by `python -m course_lib measure {name}` on {provenance['date']} ({provenance['device']}, "
              f"{provenance['threads']} thread{'' if provenance['threads'] == 1 else 's'}, {provenance['seconds'] / 60:.0f} min), with this code and these sizes; "
              f"course_lib.lessons.studies.load_or_run({name!r}, session, live=True) measures it again here.")
        return pd.DataFrame(stored["runs"]), stored
    print(f"Measuring the {name} study here ({reason}).")
    study = measure(name, session, progress)
    return pd.DataFrame(study["runs"]), study
