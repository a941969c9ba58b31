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


SOLUTION_TITLE = "#@title Solution (double-click to reveal)"
VERDICT = re.compile(r"(at least|reaches|faster|slower|above|below|beats|>=|<=)[^\n]{0,60}:\s*(True|False)\b")


def is_solution(cell) -> bool:
    """A solution cell is tagged `solution` (the title line alone is not enough)."""
    return "solution" in cell.metadata.get("tags", [])


def test_every_solution_is_hidden_in_jupyterlab_and_colab(notebook):
    for cell in notebook.cells:
        looks_like_solution = cell.cell_type == "code" and (
            cell.source.lstrip().lower().startswith("# solution") or cell.source.startswith(SOLUTION_TITLE))
        if looks_like_solution or is_solution(cell):
            assert is_solution(cell), f"untagged solution: {cell.source[:60]!r}"
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, cell.source[:60]
            assert cell.metadata.get("cellView") == "form" and cell.source.startswith(SOLUTION_TITLE), cell.source[:60]


def test_no_visible_solution_headings(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            assert cell.source.strip() not in {"**Solution**", "### Solution", "Solution"}, "solution heading in plain view"


def test_every_exercise_has_a_hidden_solution(notebook):
    assert any(is_solution(c) for c in notebook.cells), "no hidden solution: every lesson ends with exercises"


def test_stored_outputs_hold_no_test_log_verdicts(notebook):
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") or "".join(output.get("data", {}).get("text/plain", ""))
            assert not VERDICT.search(text), f"verdict in learner output: {VERDICT.search(text).group(0)!r}"


def test_ignored_outputs_are_tagged_not_commented(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert "NBVAL_IGNORE_OUTPUT" not in cell.source, "use the nbval-ignore-output cell tag (invisible to learners)"
