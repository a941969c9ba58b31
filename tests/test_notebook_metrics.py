"""Thresholds on what the lessons measure: the lessons print the numbers, these tests judge them.

A lesson hands a measured number to the suite with `course_lib.tools.metrics.record(name, value)`;
`tests/metrics_thresholds/NN.json` maps each name to a rule such as `[">=", 0.85]`. conftest.py runs
these tests after the notebook that records them (same xdist group), and skips them only when that
notebook is not part of this pytest run.
"""
import json
import operator
from pathlib import Path

import pytest

from course_lib.tools import metrics

THRESHOLD_DIR = Path(__file__).parent / "metrics_thresholds"
COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def load_thresholds(folder: Path = THRESHOLD_DIR) -> dict[str, list]:
    """Every metric name -> [comparison, value], from all threshold files."""
    rules = {}
    for path in sorted(folder.glob("*.json")):
        rules.update(json.loads(path.read_text()))
    return rules


THRESHOLDS = load_thresholds()


def check_metric(name: str, rule: list, folder=None) -> float:
    """Read the recorded metric and raise AssertionError unless it meets `rule`."""
    comparison, bound = rule
    try:
        value = metrics.read(name, folder)["value"]
    except FileNotFoundError:
        raise AssertionError(f"the lesson ran but never recorded {name!r} (course_lib.tools.metrics.record)") from None
    assert COMPARE[comparison](value, bound), f"{name} = {value:.4f}, expected {comparison} {bound}"
    return value


@pytest.mark.parametrize("name", sorted(THRESHOLDS))
def test_lesson_metric_meets_threshold(name):
    check_metric(name, THRESHOLDS[name])


def test_threshold_rules_are_well_formed():
    for name, rule in THRESHOLDS.items():
        assert name[:2].isdigit() and rule[0] in COMPARE and isinstance(rule[1], (int, float)), (name, rule)


def test_check_metric_fails_below_the_bar_and_when_missing(tmp_path, monkeypatch):
    monkeypatch.setenv(metrics.METRICS_ENV, str(tmp_path))
    metrics.record("99.accuracy", 0.80)
    assert check_metric("99.accuracy", [">=", 0.75], tmp_path) == 0.80
    with pytest.raises(AssertionError, match="expected >= 0.85"):
        check_metric("99.accuracy", [">=", 0.85], tmp_path)
    with pytest.raises(AssertionError, match="never recorded"):
        check_metric("99.missing", [">=", 0.1], tmp_path)
