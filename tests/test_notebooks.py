"""Hygiene of the committed lessons (nbval itself re-runs them and compares outputs), and the exercise rules:
solutions stay out of sight (docs/CONVENTIONS.md, "Exercises")."""
import importlib
import re
from pathlib import Path

import nbformat
import pytest

from course_lib.exercises import Exercise, assigned_names, exercises_in
from course_lib.tools.notebook_tools import BOOTSTRAP_CELL, is_setup_cell, stored_text
from course_lib.tools.runner import course_notebooks

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
    assert code[0] == BOOTSTRAP_CELL and is_setup_cell(code[1])  # tests/test_worlds.py: each names its own lesson


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
CHECK_CALL = re.compile(r"^lesson(\d\d)\.(ex\d+)\.check\((\w+)\b")
SOLUTION_CALL = re.compile(r"^[^#]*\blesson\d\d\.ex\d+\.(solution|hint)\(", re.M)
MIN_SOLUTION_LINE = 16  # shorter solution lines ("return ids", "else:") are too generic to call a leak


def is_solution(cell) -> bool:
    """An old-style hidden solution cell: tagged `solution` or titled as one."""
    return cell.cell_type == "code" and ("solution" in cell.metadata.get("tags", []) or cell.source.startswith(SOLUTION_TITLE))


def exercise_checks(notebook) -> list[tuple[int, Exercise, str]]:
    """(cell index, the Exercise, the name passed as its answer) for every check cell `lessonNN.exK.check(answer, ...)`."""
    found = []
    for index, cell in enumerate(notebook.cells):
        match = CHECK_CALL.match(cell.source.strip()) if cell.cell_type == "code" else None
        if match:
            module = importlib.import_module(f"course_lib.exercises.lesson{match.group(1)}")
            exercise = getattr(module, match.group(2), None)
            assert isinstance(exercise, Exercise), f"{match.group(0)}: lesson{match.group(1)} defines no Exercise {match.group(2)}"
            found.append((index, exercise, match.group(3)))
    return found


def code_names(cell) -> set[str]:
    return assigned_names(cell.source) if cell.cell_type == "code" else set()


def answer_cell(notebook, check_index: int, exercise: Exercise) -> int:
    """The learner's cell: the last code cell before the check that sets the exercise's answer name."""
    for index in range(check_index - 1, -1, -1):
        if exercise.answer in code_names(notebook.cells[index]):
            return index
    raise AssertionError(f"no cell before {exercise.lesson_module()}.{exercise.name}'s check sets {exercise.answer!r}")


def solution_lines(exercise: Exercise) -> list[str]:
    """The lines of a solution that would give the answer away if an output showed them (comments dropped)."""
    lines = [line.split("  #")[0].strip() for line in exercise.solution_code.splitlines()]
    return [line for line in lines if len(line) >= MIN_SOLUTION_LINE and not line.startswith(("def ", '"""', "#"))]


def lesson_exercises(path) -> list[Exercise]:
    try:
        module = importlib.import_module(f"course_lib.exercises.lesson{path.name[:2]}")
    except ModuleNotFoundError:
        return []
    return exercises_in(module)


def test_every_lesson_ends_with_exercises(notebook):
    converted = exercise_checks(notebook)
    assert converted or any(is_solution(c) for c in notebook.cells), "no exercise: every lesson ends with exercises"


def test_each_exercise_check_names_its_exercise_and_passes_the_answer(notebook):
    for index, exercise, passed in exercise_checks(notebook):
        source = notebook.cells[index].source.strip()
        assert passed == exercise.answer, f"{source[:60]!r} passes {passed!r}; the exercise's answer is {exercise.answer!r}"
        assert "\n" not in source, f"a check cell holds the check only: {source[:80]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_of_the_lesson_module_is_checked_in_its_notebook(path):
    notebook = nbformat.read(path, as_version=4)
    defined = {e.name for e in lesson_exercises(path)}
    checked = {exercise.name for _, exercise, _ in exercise_checks(notebook)}
    assert checked == defined, f"defined in lesson{path.name[:2]}: {sorted(defined)}; checked in the notebook: {sorted(checked)}"


def test_run_all_leaves_every_answer_cell_as_the_learner_left_it(notebook):
    """No code cell after an exercise's answer cell sets its answer name again (a solution cell would)."""
    for check_index, exercise, _ in exercise_checks(notebook):
        first = answer_cell(notebook, check_index, exercise)
        assert "# your code" in notebook.cells[first].source, f"the answer cell of {exercise.name} says `# your code`"
        for later in notebook.cells[first + 1:]:
            assert exercise.answer not in code_names(later), (
                f"a cell after the answer cell of {exercise.lesson_module()}.{exercise.name} sets {exercise.answer!r}: "
                f"{later.source[:80]!r}")


def test_every_exercise_has_the_commented_hint_and_solution_cell(notebook):
    for check_index, exercise, _ in exercise_checks(notebook):
        after = notebook.cells[check_index + 1] if check_index + 1 < len(notebook.cells) else None
        ref = f"{exercise.lesson_module()}.{exercise.name}"
        assert after is not None and after.cell_type == "code", f"the cell after {ref}'s check is not the commented hint/solution cell"
        lines = [line.strip() for line in after.source.splitlines() if line.strip()]
        assert lines and all(line.startswith("#") for line in lines), f"the cell after {ref}'s check has live code: {after.source!r}"
        for call in ("hint", "solution"):
            assert any(line.startswith(f"# {ref}.{call}()") for line in lines), f"no commented `# {ref}.{call}()` line"


def test_nothing_runs_a_solution_or_a_hint(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not SOLUTION_CALL.search(cell.source), f"a cell runs a solution or hint: {cell.source[:80]!r}"


def test_no_stored_output_names_a_solution(notebook):
    """Neither a check's diagnosis nor anything else in the stored outputs shows a line of a solution or its last hint."""
    text = stored_text(notebook)
    for _, exercise, _ in exercise_checks(notebook):
        for line in solution_lines(exercise) + [exercise.hints[-1]]:
            assert line not in text, f"a stored output shows {exercise.lesson_module()}.{exercise.name}'s answer: {line!r}"


def test_converted_lessons_keep_no_solution_cells_and_no_bare_checks(notebook):
    if not exercise_checks(notebook):
        return  # not converted yet (see the next test)
    for cell in notebook.cells:
        assert not is_solution(cell), f"a solution cell is left: {cell.source[:60]!r}"
        if cell.cell_type == "code":
            assert not re.search(r"\blesson\d\d\.check_\w+\(", cell.source), (
                f"a check that bypasses its Exercise: {cell.source[:80]!r}")


def test_unconverted_solution_cells_are_at_least_hidden(notebook):
    """Lessons not converted to course_lib.exercises.Exercise yet keep their solutions collapsed (JupyterLab, Colab)."""
    for cell in notebook.cells:
        if is_solution(cell):
            assert "solution" in cell.metadata.get("tags", []), f"untagged solution: {cell.source[:60]!r}"
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, cell.source[:60]
            assert cell.metadata.get("cellView") == "form" and cell.source.startswith(SOLUTION_TITLE), cell.source[:60]


def test_no_visible_solution_headings(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            assert cell.source.strip() not in {"**Solution**", "### Solution", "Solution"}, "solution heading in plain view"


def test_stored_outputs_hold_no_test_log_verdicts(notebook):
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") or "".join(output.get("data", {}).get("text/plain", ""))
            assert not VERDICT.search(text), f"verdict in learner output: {VERDICT.search(text).group(0)!r}"


def test_ignored_outputs_are_tagged_not_commented(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert "NBVAL_IGNORE_OUTPUT" not in cell.source, "use the nbval-ignore-output cell tag (invisible to learners)"
