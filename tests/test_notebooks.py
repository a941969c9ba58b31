"""Hygiene of the committed lessons (nbval itself re-runs them and compares outputs)."""
import re
from pathlib import Path

import nbformat
import pytest

from course_lib.notebook_tools import BOOTSTRAP_CELL, SETUP_CELL
from course_lib.runner import course_notebooks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = course_notebooks()
HUB_NAMES = re.compile(r"[\"'](bert-base-(un)?cased|bert-base-chinese|deepset/|facebook/bart|SamLowe/)")


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request):
    return nbformat.read(request.param, as_version=4)


def test_lessons_are_numbered_without_gaps():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(numbers)))


def test_first_cells_are_the_colab_bootstrap_and_setup(notebook):
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert code[:2] == [BOOTSTRAP_CELL, SETUP_CELL]


def test_no_widget_state_and_no_machine_kernel_name(notebook):
    assert "widgets" not in notebook.metadata
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_every_cell_was_run_in_order(notebook):
    counts = [c.execution_count for c in notebook.cells if c.cell_type == "code"]
    assert None not in counts, "a cell was never run (think: a freezing cell left unrun)"
    assert counts == sorted(counts)


def test_no_stored_errors(notebook):
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", cell.source[:80]


def test_lessons_ask_for_roles_not_checkpoint_names(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not HUB_NAMES.search(cell.source), cell.source[:120]


def test_readme_links_every_lesson_to_colab():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"blob/main/notebooks/{path.name}" in readme, path.name
