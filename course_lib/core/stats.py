"""One rule for uncertainty, used wherever a lesson compares two numbers.

An accuracy measured on n test rows moves with the rows that happened to be drawn: test-set sampling noise, a
binomial standard error of sqrt(p(1 - p) / n). A trained model's accuracy also moves with the seed (the new head's
start, the batch order, dropout): the spread over k seeds, whose mean has a standard error of std / sqrt(k). The rule
adds the two as variances for each number, and a difference counts only where it is larger than 1.96 standard
errors of the difference (95%). Otherwise the verdict is "no measurable difference at this size".

Two numbers measured on the *same* test rows are positively correlated, so treating them as independent, as here,
overstates the noise of their difference: the rule is conservative, it never claims a difference the data do not
show. A model with no randomness in it (a fixed pretrained checkpoint, a majority-class guess) has no seed spread.
"""
import math
from dataclasses import dataclass

import pandas as pd

from .errors import InputError

Z95 = 1.96  # two-sided 95% under a normal approximation


@dataclass(frozen=True)
class Measured:
    """Accuracies of one method: one per seed (or one, for a method without randomness), each on `rows` test rows."""

    name: str
    values: tuple
    rows: int
    seeded: bool = True  # False: nothing random in the method (a fixed checkpoint, the majority class)

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)

    @property
    def seed_std(self) -> float:
        """Standard deviation over seeds (0 for one value or an unseeded method)."""
        if not self.seeded or len(self.values) < 2:
            return 0.0
        return float(pd.Series(self.values).std())

    @property
    def standard_error(self) -> float:
        """Test-set noise and seed spread together: sqrt(p(1-p)/n + std**2/k)."""
        p = min(max(self.mean, 0.0), 1.0)
        return math.sqrt(p * (1 - p) / self.rows + self.seed_std ** 2 / len(self.values))

    @property
    def margin(self) -> float:
        """Half-width of the 95% interval."""
        return Z95 * self.standard_error

    def seeds_text(self) -> str:
        if not self.seeded:
            return "no seed involved"
        if len(self.values) == 1:
            return "1 seed: its spread is not measured"
        return f"{len(self.values)} seeds"

    def __str__(self) -> str:
        return f"{self.mean:.1%} ± {self.margin:.1%} (95%; {self.rows:,} test rows, {self.seeds_text()})"


def measured(name: str, values, rows: int, seeded: bool = True) -> Measured:
    """A Measured from accuracies (a number or a list, one per seed) on `rows` test rows; checks the inputs."""
    values = tuple(float(v) for v in (values if hasattr(values, "__iter__") else [values]))
    if not values or any(not 0.0 <= v <= 1.0 for v in values):
        raise InputError(f"{name}: accuracies must be numbers between 0 and 1, but got {values}.",
                         "pass accuracies as fractions, e.g. 0.869 for 86.9%.")
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise InputError(f"{name}: rows must be the number of test rows (a whole number >= 1), but got {rows!r}.",
                         "pass rows=len(test).")
    return Measured(name, values, rows, seeded)


def majority(labels, train_labels=None, name: str = "majority class") -> Measured:
    """Accuracy on `labels` of always guessing the commonest label (of `train_labels`, when given): the bar to clear."""
    labels = [int(label) for label in labels]
    reference = [int(label) for label in (train_labels if train_labels is not None else labels)]
    if not labels or not reference:
        raise InputError("majority() needs at least one label.", "pass the labels of the test rows, e.g. test['label'].")
    commonest = max(sorted(set(reference)), key=reference.count)
    return Measured(name, (sum(label == commonest for label in labels) / len(labels),), len(labels), seeded=False)


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing two Measured numbers under the one rule."""

    a: Measured
    b: Measured
    gap: float  # a.mean - b.mean
    margin: float  # 1.96 standard errors of the difference
    measurable: bool

    def allowed(self) -> str:
        """What the margin counts: both noises, or test-set noise alone when a seeded side ran one seed."""
        one_seed = [m.name for m in (self.a, self.b) if m.seeded and len(m.values) < 2]
        if one_seed:
            return f"that test-set noise allows; {' and '.join(one_seed)} ran one seed, so no seed spread is in it"
        return "that test-set noise and seed spread allow"

    def __str__(self) -> str:
        if not self.measurable:
            return (f"{self.a.name} vs {self.b.name}: no measurable difference at this size ({points(self.gap)}, "
                    f"within the ±{points(abs(self.margin), sign=False)} {self.allowed()})")
        better, worse = (self.a, self.b) if self.gap > 0 else (self.b, self.a)
        return (f"{better.name} beats {worse.name} by {points(abs(self.gap), sign=False)}, more than the "
                f"±{points(self.margin, sign=False)} {self.allowed()}")


def points(fraction: float, sign: bool = True) -> str:
    """0.044 -> '+4.4 points' (percentage points)."""
    return f"{100 * fraction:{'+' if sign else ''}.1f} points"


def compare(a: Measured, b: Measured) -> Verdict:
    """Does `a` differ from `b` by more than test-set noise and seed spread allow (95%)?"""
    gap = a.mean - b.mean
    margin = Z95 * math.sqrt(a.standard_error ** 2 + b.standard_error ** 2)
    return Verdict(a, b, gap, margin, abs(gap) > margin)


def verdicts_against_best(results: list[Measured]) -> list[Verdict]:
    """Every result compared with the best mean: the lines a comparison table prints under itself."""
    best = max(results, key=lambda m: m.mean)
    return [compare(best, other) for other in results if other is not best]


def table(results: list[Measured]) -> pd.DataFrame:
    """One row per method: mean, ± (95%), seed spread, seeds, test rows."""
    rows = {m.name: {"accuracy": round(m.mean, 3), "± (95%)": round(m.margin, 3), "seed std": round(m.seed_std, 3),
                     "seeds": len(m.values) if m.seeded else 0, "test rows": m.rows} for m in results}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")


def binomial_interval(accuracy: float, rows: int) -> tuple[float, float]:
    """The 95% interval of one accuracy on `rows` rows from test-set noise alone: p ± 1.96 sqrt(p(1-p)/n)."""
    half = Z95 * math.sqrt(accuracy * (1 - accuracy) / rows)
    return accuracy - half, accuracy + half
