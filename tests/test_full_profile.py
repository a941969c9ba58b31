"""Rehearse every lesson in the full profile: COURSE_PROFILE=full, HF_HUB_OFFLINE=1, on tiny random stand-ins.

The stand-ins (course_lib/rehearsal.py) have the real architectures, tokenizers, label mappings and dataset
schemas, so a lesson that would break on the real checkpoints breaks here. Outputs are not compared (the
weights are random); a test fails with the error of the first cell that raises. Select with `pytest -k full_profile`.
"""
import pytest
from nbclient.exceptions import CellExecutionError

from course_lib.tools import rehearsal
from course_lib.tools.runner import course_notebooks, execute_notebook

LESSONS = course_notebooks()


@pytest.fixture(scope="session")
def rehearsal_env():
    """Environment of a rehearsal kernel: the shared stand-in cache, offline, full profile, CPU."""
    return rehearsal.cache_env(rehearsal.shared_cache())


def test_every_lesson_is_rehearsed():
    assert len(LESSONS) >= 7 and LESSONS[0].name == "00_start_here.ipynb"


@pytest.mark.parametrize("notebook", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_runs_in_full_profile(notebook, rehearsal_env):
    with rehearsal.environment(rehearsal_env):
        try:
            executed = execute_notebook(notebook, "full")
        except CellExecutionError as err:
            pytest.fail(f"{notebook.name} raised in the full-profile rehearsal:\n{str(err)[-3000:]}", pytrace=False)
    printed = "".join(o.get("text", "") for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs)
    assert "Profile: full (COURSE_PROFILE=full)" in printed  # the lesson really ran the full profile
