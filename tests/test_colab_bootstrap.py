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
