"""Exercise checks: each says what is right or wrong and gives a hint.

Each lesson has its own module (`lesson01`, ...); they all report through `report`.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one exercise check."""

    passed: bool
    message: str
    hint: str = ""

    def __str__(self) -> str:
        if self.passed:
            return f"✅ Correct: {self.message}"
        return f"❌ Not yet: {self.message}" + (f"\n   Hint: {self.hint}" if self.hint else "")

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def report(passed: bool, message: str, hint: str = "") -> CheckResult:
    """Build a CheckResult; notebooks display it as a one-line verdict plus hint."""
    return CheckResult(bool(passed), message, "" if passed else hint)


def not_answered(what: str, hint: str) -> CheckResult:
    """The result for an answer still left as `None`."""
    return report(False, f"{what} is still None: replace the `None` with your answer.", hint)
