"""The exercise mechanism (`course_lib.exercises.Exercise`) and every exercise defined with it.

A notebook shows the task, the learner's answer cell, `lessonNN.exK.check(answer, ...)` and a commented cell with
`hint()` and `solution()`; nothing in it runs a solution. The suite still proves every solution right: the root
conftest.py sets $COURSE_CHECK_SOLUTIONS, each check then runs its exercise's solution in a copy of the notebook's
namespace and records `NN.solution.exK`, and tests/metrics_thresholds/NN.json requires it to be 1.
"""
import importlib
import json
import pkgutil
from pathlib import Path

import pytest

import course_lib.exercises as exercise_package
from course_lib import exercises
from course_lib.exercises import Exercise, exercises_in, report
from course_lib.tools import metrics

THRESHOLD_DIR = Path(__file__).parent / "metrics_thresholds"
MODULES = sorted(name for _, name, _ in pkgutil.iter_modules(exercise_package.__path__) if name.startswith("lesson"))
ALL = [(name, exercise) for name in MODULES
       for exercise in exercises_in(importlib.import_module(f"course_lib.exercises.{name}"))]
ONE_OF_MINE = {"00", "01", "02", "03", "04", "05", "09"}


def thresholds(lesson: str) -> dict:
    path = THRESHOLD_DIR / f"{lesson}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def solution_lines(exercise: Exercise, shortest: int = 16) -> list[str]:
    lines = [line.split("  #")[0].strip() for line in exercise.solution_code.splitlines()]
    return [line for line in lines if len(line) >= shortest and not line.startswith(("def ", '"""', "#"))]


def test_the_lessons_define_exercises():
    assert {exercise.lesson for _, exercise in ALL} >= ONE_OF_MINE


def test_every_exercise_has_a_solution_threshold():
    """Each Exercise of course_lib.exercises.lessonNN must be proven by the suite: `NN.solution.exK >= 1`."""
    missing = [f"{e.lesson}.solution.{e.name}" for _, e in ALL
               if thresholds(e.lesson).get(f"{e.lesson}.solution.{e.name}") != [">=", 1]]
    assert not missing, f"add these to tests/metrics_thresholds/NN.json as [\">=\", 1]: {missing}"


@pytest.mark.parametrize("module, exercise", ALL, ids=lambda v: v if isinstance(v, str) else v.name)
def test_exercise_is_well_formed(module, exercise):
    assert exercise.lesson == module[-2:] and getattr(importlib.import_module(f"course_lib.exercises.{module}"),
                                                      exercise.name) is exercise
    assert not exercise.problems()
    for line in solution_lines(exercise):  # tier 1 points at the idea: no line of the answer in it
        assert line not in exercise.hints[0], f"{module}.{exercise.name}: the first hint gives the code away"
    assert "(" in exercise.hints[-1] or " = " in exercise.hints[-1], f"{module}.{exercise.name}: the last hint should show code"


@pytest.mark.parametrize("module, exercise", ALL, ids=lambda v: v if isinstance(v, str) else v.name)
def test_an_untouched_answer_gets_the_first_hint_and_where_to_find_more(module, exercise):
    result = exercise.check(None)
    assert not result.passed and "still None" in result.message
    assert exercise.hints[0] in result.hint
    assert f"{module}.{exercise.name}.hint()" in result.hint and f"{module}.{exercise.name}.solution()" in result.hint


def total_checker(answer, data):
    if answer == sum(data):
        return report(True, f"{answer} is the total.")
    return report(False, f"{answer} is not the total.", "add every number once.")


TOY = Exercise("99", "ex1", "total", total_checker, hints=("A total adds every number once.", "total = sum(data)"),
               solution_code="total = sum(data)\n")


def test_hints_come_in_tiers_and_the_solution_prints_without_running(capsys):
    toy = Exercise(**{**TOY.__dict__, "shown": 0})
    toy.hint()
    toy.hint()
    toy.hint()
    printed = capsys.readouterr().out
    assert "Hint 1 of 2: A total adds" in printed and "Hint 2 of 2: total = sum(data)" in printed
    assert "That was the last hint" in printed and "lesson99.ex1.solution()" in printed
    namespace = {"data": [1, 2]}
    toy.solution()
    assert "total = sum(data)" in capsys.readouterr().out and "total" not in namespace


def test_a_wrong_answer_keeps_the_checkers_hint_and_points_to_more_help():
    result = TOY.check(4, [1, 2])
    assert not result.passed and "4 is not the total" in result.message
    assert result.hint.startswith("add every number once.") and "lesson99.ex1.hint()" in result.hint
    assert TOY.check(3, [1, 2]).passed


def test_a_function_that_still_returns_none_gets_the_first_hint():
    def checker(function):
        got = function()
        return exercises.not_answered("the result of f", "a checker's code-level hint") if got is None else report(True, "ok")

    toy = Exercise("99", "ex2", "f", checker, hints=("the idea", "f = lambda: 1"), solution_code="f = lambda: 1")
    result = toy.check(lambda: None)
    assert "the idea" in result.hint and "code-level" not in result.hint


def test_verify_solution_runs_in_a_copy_and_records_the_outcome(tmp_path, monkeypatch):
    monkeypatch.setenv(metrics.METRICS_ENV, str(tmp_path))
    namespace = {"data": [1, 2, 3]}
    assert TOY.verify_solution(([1, 2, 3],), namespace=namespace)
    assert "total" not in namespace, "the learner's namespace must stay as it was"
    assert metrics.read("99.solution.ex1", tmp_path)["value"] == 1.0
    wrong = Exercise(**{**TOY.__dict__, "solution_code": "total = sum(data) + 1"})
    assert not wrong.verify_solution(([1, 2, 3],), namespace=namespace)
    assert metrics.read("99.solution.ex1", tmp_path)["value"] == 0.0
    raising = Exercise(**{**TOY.__dict__, "solution_code": "total = undefined_name"})
    assert not raising.verify_solution(([1, 2, 3],), namespace=namespace)
    assert "NameError" in metrics.read("99.solution.ex1", tmp_path)["detail"]


def test_check_runs_the_solution_only_in_a_notebook_under_the_suite(tmp_path, monkeypatch):
    monkeypatch.setenv(metrics.METRICS_ENV, str(tmp_path))
    monkeypatch.setenv(exercises.CHECK_SOLUTIONS_ENV, "1")
    TOY.check(None)  # outside IPython: nothing is run or recorded
    assert not (tmp_path / "99.solution.ex1.json").exists()
    monkeypatch.setattr(exercises, "in_notebook", lambda: True)
    monkeypatch.setattr(exercises, "notebook_namespace", lambda: {"data": [5, 6]})
    TOY.check(None, [5, 6])
    assert metrics.read("99.solution.ex1", tmp_path)["value"] == 1.0
    monkeypatch.delenv(exercises.CHECK_SOLUTIONS_ENV)
    (tmp_path / "99.solution.ex1.json").unlink()
    TOY.check(None, [5, 6])  # a learner's notebook: the variable is unset, nothing runs
    assert not (tmp_path / "99.solution.ex1.json").exists()


@pytest.mark.parametrize("change, problem", [
    ({"solution_code": "answer = sum(data)"}, "must set 'total'"),
    ({"hints": ("only one hint",)}, "at least two"),
    ({"solution_code": "total = ("}, "does not parse"),
    ({"lesson": "9"}, "two digits"),
])
def test_a_badly_defined_exercise_fails_at_import(change, problem):
    with pytest.raises(ValueError, match=problem):
        Exercise(**{**TOY.__dict__, **change})


def test_assigned_names_sees_assignments_defs_imports_and_blocks():
    code = "a = 1\nb, (c, d) = 1, (2, 3)\ndef f():\n    inner = 1\nimport numpy as np\nfor i in []:\n    e = i\n%time g = 1"
    assert exercises.assigned_names(code) == {"a", "b", "c", "d", "f", "np", "i", "e"}
