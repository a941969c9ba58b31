"""The one uncertainty rule (course_lib.core.stats), checked against numbers worked out by hand."""
import math

import pytest

from course_lib.core.errors import InputError
from course_lib.core.stats import binomial_interval, compare, majority, measured, table, verdicts_against_best

# By hand: p = 0.8 on n = 400 rows -> test-set standard error sqrt(0.8 * 0.2 / 400) = 0.02.
# Three seeds 0.78, 0.80, 0.82 -> mean 0.80, sample std 0.02, standard error of their mean 0.02 / sqrt(3).
# Together: sqrt(0.02**2 + 0.02**2 / 3) = sqrt(0.000533...) = 0.0230940; margin 1.96 x that = 0.0452643.
THREE_SEEDS = (0.78, 0.80, 0.82)


def test_one_number_has_the_binomial_margin():
    one = measured("probe", 0.8, rows=400)
    assert one.standard_error == pytest.approx(0.02)
    assert one.margin == pytest.approx(0.0392)  # 1.96 x 0.02
    assert str(one) == "80.0% ± 3.9% (95%; 400 test rows, 1 seed: its spread is not measured)"
    assert binomial_interval(0.8, 400) == pytest.approx((0.7608, 0.8392))


def test_three_seeds_add_their_spread_to_the_test_set_noise():
    seeds = measured("full", THREE_SEEDS, rows=400)
    assert seeds.mean == pytest.approx(0.80) and seeds.seed_std == pytest.approx(0.02)  # the sample std (n - 1)
    assert seeds.standard_error == pytest.approx(0.0230940, abs=1e-7)
    assert seeds.margin == pytest.approx(0.0452643, abs=1e-7)
    assert str(seeds) == "80.0% ± 4.5% (95%; 400 test rows, 3 seeds)"


def test_a_method_without_randomness_has_no_seed_spread():
    fixed = measured("checkpoint", THREE_SEEDS, rows=400, seeded=False)
    assert fixed.seed_std == 0.0 and fixed.margin == pytest.approx(1.96 * math.sqrt(0.8 * 0.2 / 400))
    assert "no seed involved" in str(fixed)


def test_inside_the_margin_there_is_no_measurable_difference():
    # a: se^2 = 0.000533..., b = 0.75 on 400 rows: se^2 = 0.75 x 0.25 / 400 = 0.00046875
    # margin of the difference: 1.96 x sqrt(0.000533... + 0.00046875) = 0.0620452 > the gap 0.05
    a, b = measured("full", THREE_SEEDS, rows=400), measured("head only", 0.75, rows=400)
    verdict = compare(a, b)
    assert verdict.gap == pytest.approx(0.05) and verdict.margin == pytest.approx(0.0620452, abs=1e-6)
    assert not verdict.measurable
    text = str(verdict)
    assert text.startswith("full vs head only: no measurable difference at this size")
    assert "+5.0 points" in text and "±6.2 points" in text


def test_outside_the_margin_the_better_one_is_named_whichever_comes_first():
    # c = 0.70 on 400 rows: se^2 = 0.000525; margin 1.96 x sqrt(0.000533... + 0.000525) = 0.0637627 < the gap 0.10
    a, c = measured("full", THREE_SEEDS, rows=400), measured("head only", 0.70, rows=400)
    for verdict in (compare(a, c), compare(c, a)):
        assert verdict.measurable and verdict.margin == pytest.approx(0.0637627, abs=1e-6)
        assert str(verdict).startswith("full beats head only by 10.0 points") and "±6.4 points" in str(verdict)


def test_the_same_gap_is_measurable_only_on_enough_rows():
    small = compare(measured("a", 0.80, rows=100), measured("b", 0.75, rows=100))
    large = compare(measured("a", 0.80, rows=10_000), measured("b", 0.75, rows=10_000))
    assert not small.measurable and large.measurable


def test_majority_guesses_the_commonest_training_label():
    test_labels, train_labels = [0, 0, 1], [1, 1, 1, 0]
    assert majority(test_labels).mean == pytest.approx(2 / 3)  # no training labels: the test rows' own majority
    baseline = majority(test_labels, train_labels)  # the training majority is 1: right on 1 test row of 3
    assert baseline.mean == pytest.approx(1 / 3) and baseline.rows == 3 and not baseline.seeded
    assert baseline.margin == pytest.approx(1.96 * math.sqrt(1 / 3 * 2 / 3 / 3))


def test_the_table_and_the_verdicts_against_the_best():
    results = [measured("full", THREE_SEEDS, rows=400), measured("head only", 0.70, rows=400),
               measured("last 2", 0.79, rows=400)]
    frame = table(results)
    assert list(frame.index) == ["full", "head only", "last 2"]
    assert frame.loc["full", "± (95%)"] == 0.045 and frame.loc["full", "seeds"] == 3
    verdicts = verdicts_against_best(results)
    assert [(v.a.name, v.b.name, v.measurable) for v in verdicts] == [("full", "head only", True),
                                                                      ("full", "last 2", False)]


@pytest.mark.parametrize("call, words", [
    (lambda: measured("a", 86.9, rows=400), "between 0 and 1"),  # a percentage, not a fraction
    (lambda: measured("a", [0.8, 1.2], rows=400), "between 0 and 1"),
    (lambda: measured("a", [], rows=400), "between 0 and 1"),
    (lambda: measured("a", 0.8, rows=0), "rows must be"),
    (lambda: measured("a", 0.8, rows=2.5), "rows must be"),
    (lambda: measured("a", 0.8, rows=True), "rows must be"),
    (lambda: majority([]), "at least one label"),
    (lambda: majority([0, 1], train_labels=[]), "at least one label"),
])
def test_bad_inputs_are_input_errors_that_name_the_fix(call, words):
    with pytest.raises(InputError, match=words) as error:
        call()
    assert "\nFix: " in str(error.value)
