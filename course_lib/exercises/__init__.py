"""Exercise checks: each says what is right or wrong, gives hints in tiers, and shows a solution only when asked.

Each lesson has its own module (`lesson01`, ...). A lesson's exercise is an `Exercise`:

    lesson01.ex1.check(ids, tokenizer, exercise_text)   # the check cell: right, or what is wrong and a first hint
    # lesson01.ex1.hint()       <- a commented line: uncommented, each call shows the next hint (the idea first,
    # lesson01.ex1.solution()       the code last); solution() prints the answer's code without running it

Nothing in a notebook runs a solution, so "Run All" never overwrites what the learner wrote and no stored output
names an answer. The test suite still checks every solution: with $COURSE_CHECK_SOLUTIONS set (the root conftest.py
sets it, and the notebook kernels nbval starts inherit it), each `check` also runs the exercise's solution code in a copy of the notebook's
namespace, checks it the same way, and records the outcome for tests/test_notebook_metrics.py.
"""
import os
from dataclasses import dataclass, field
from typing import Callable

CHECK_SOLUTIONS_ENV = "COURSE_CHECK_SOLUTIONS"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one exercise check."""

    passed: bool
    message: str
    hint: str = ""
    unanswered: bool = False  # the answer (or what the learner's function returned) is still None

    def __str__(self) -> str:
        if self.passed:
            return f"✅ Correct: {self.message}"
        return f"❌ Not yet: {self.message}" + (f"\n   Hint: {self.hint}" if self.hint else "")

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def report(passed: bool, message: str, hint: str = "") -> CheckResult:
    """Build a CheckResult; notebooks display it as a one-line verdict plus hint."""
    return CheckResult(bool(passed), message, "" if passed else hint)


def not_answered(what: str, hint: str = "") -> CheckResult:
    """The result for an answer still left as `None` (an Exercise replaces `hint` with its first, conceptual hint)."""
    return CheckResult(False, f"{what} is still None: replace the `None` with your answer.", hint, unanswered=True)


@dataclass
class Exercise:
    """One exercise: a check, hints from the idea to the code, and a solution shown only on request."""

    lesson: str  # "01"
    name: str  # "ex1"
    answer: str  # the name the learner's cell sets: a variable (`ids`) or a function (`find_masks`)
    checker: Callable  # checker(answer, *context) -> CheckResult: what is right or wrong, never the code
    hints: tuple  # tier 1 points at the idea, the last at the code
    solution_code: str  # code that sets `answer`; shown by solution(), run only by the test suite
    shown: int = field(default=0, repr=False)  # hints shown so far

    def __post_init__(self):
        problems = self.problems()
        if problems:
            raise ValueError(f"Exercise lesson{self.lesson}.{self.name}: " + "; ".join(problems))

    def problems(self) -> list[str]:
        """What is wrong with this exercise's definition (empty when nothing is)."""
        found = []
        if not (len(self.lesson) == 2 and self.lesson.isdigit()):
            found.append(f"lesson must be two digits like '01', not {self.lesson!r}")
        if not self.answer.isidentifier():
            found.append(f"answer must be the Python name the learner's cell sets, not {self.answer!r}")
        if len(self.hints) < 2 or not all(isinstance(h, str) and h.strip() for h in self.hints):
            found.append("hints must be at least two non-empty strings: the idea first, the code last")
        try:
            assigned = assigned_names(self.solution_code)
        except SyntaxError as error:
            found.append(f"solution_code does not parse: {error}")
        else:
            if self.answer not in assigned:
                found.append(f"solution_code must set {self.answer!r} at its top level")
        return found

    def check(self, answer, *context, **options) -> CheckResult:
        """Check the learner's answer; a wrong one gets a hint about the concept and where to find more."""
        if answer is None:  # the untouched answer cell: the first hint, never a checker's code-level one
            result = not_answered(f"`{self.answer}`")
        else:
            result = self.checker(answer, *context, **options)
        if os.environ.get(CHECK_SOLUTIONS_ENV) and in_notebook():  # the test suite's notebook runs only
            self.verify_solution(context, options=options)
        if result.passed:
            return result
        more = f"more help: {self.lesson_module()}.{self.name}.hint(), the answer: {self.lesson_module()}.{self.name}.solution()"
        hint = self.hints[0] if result.unanswered or not result.hint else result.hint
        return CheckResult(False, result.message, f"{hint}\n   ({more})")

    def hint(self) -> None:
        """Print the next hint (the idea first, the code last); after the last one, say where the answer is."""
        if self.shown >= len(self.hints):
            print(f"That was the last hint ({len(self.hints)} of {len(self.hints)}): {self.hints[-1]}\n"
                  f"The whole answer: {self.lesson_module()}.{self.name}.solution()")
            return
        self.shown += 1
        print(f"Hint {self.shown} of {len(self.hints)}: {self.hints[self.shown - 1]}")

    def solution(self) -> None:
        """Print the solution's code (it does not run: copy it into your cell if you want it there)."""
        print(f"A solution for {self.lesson_module()}.{self.name} (copy it into your answer cell to use it):\n")
        print(self.solution_code.strip())

    def lesson_module(self) -> str:
        return f"lesson{self.lesson}"

    def verify_solution(self, context, namespace: dict | None = None, options: dict | None = None) -> bool:
        """Test suite only: run the solution in a copy of the notebook's namespace, check it, record the outcome.

        Nothing reaches the learner's namespace or the cell's output; an error in the solution is recorded
        (as a failed check, with the error's text) for tests/test_notebook_metrics.py to report.
        """
        from ..tools import metrics

        namespace = dict(notebook_namespace() if namespace is None else namespace)
        try:
            exec(compile(self.solution_code, f"<{self.lesson_module()}.{self.name} solution>", "exec"), namespace)
            result = self.checker(namespace[self.answer], *context, **(options or {}))
            passed, detail = result.passed, result.message
        except Exception as error:  # a broken solution must show up in the suite, not as the learner's traceback
            passed, detail = False, f"{type(error).__name__}: {error}"
        metrics.record(f"{self.lesson}.solution.{self.name}", float(passed), detail=detail)
        return passed


def assigned_names(code: str) -> set[str]:
    """The names a piece of code binds at its top level (assignment, def, class, import, for, with), also inside
    top-level if/for/while/try/with blocks, not inside functions or classes. Lines of IPython magic are skipped."""
    import ast

    def targets(node) -> set[str]:
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

    def bound(statements) -> set[str]:
        names = set()
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
                continue
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    names |= targets(target)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                names |= targets(node.target)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                names |= targets(node.target)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                names |= set().union(*[targets(i.optional_vars) for i in node.items if i.optional_vars])
            names |= {n.target.id for n in ast.walk(node) if isinstance(n, ast.NamedExpr)}
            for block in ("body", "orelse", "finalbody"):
                if isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith)):
                    names |= bound(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                names |= bound(handler.body) | ({handler.name} if handler.name else set())
        return names

    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())
    return bound(ast.parse(code).body)


def exercises_in(module) -> list["Exercise"]:
    """Every Exercise a lesson module defines, in the order of their names (ex1, ex2, ...)."""
    found = [value for value in vars(module).values() if isinstance(value, Exercise)]
    return sorted(found, key=lambda e: (len(e.name), e.name))


def in_notebook() -> bool:
    """True inside an IPython kernel (a notebook), where the learner's variables live."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def notebook_namespace() -> dict:
    """The variables of the running notebook (IPython's user namespace), or {} outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    return shell.user_ns if shell is not None else {}
