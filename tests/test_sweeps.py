"""The sweep every comparison of training methods uses (course_lib.core.sweeps): it goes on until its best is inside."""
import pytest

from course_lib.core import sweeps


def sweep_on(peak: float, **kwargs):
    """Sweep a score that is best at `peak` (a hill on the log scale); return the values tried and the pick."""
    import math

    tried = []

    def run(value):
        tried.append(value)
        return {"value": value, "score": -abs(math.log(value / peak))}

    results, best = sweeps.sweep(run, 1e-3, lambda r: r["score"], **kwargs)
    assert [r["value"] for r in results] == sorted(tried)  # one result per value tried, in order of value
    return sorted(tried), best


def test_a_best_inside_the_first_three_values_stops_the_sweep():
    assert sweep_on(1e-3) == ([0.00033, 0.001, 0.003], 0.001)


def test_a_best_at_the_top_goes_on_upwards_until_it_lies_inside():
    assert sweep_on(0.01) == ([0.00033, 0.001, 0.003, 0.009, 0.027], 0.009)


def test_a_best_at_the_bottom_goes_on_downwards():
    assert sweep_on(1e-4) == ([3.7e-05, 0.00011, 0.00033, 0.001, 0.003], 0.00011)


def test_the_sweep_stops_after_its_most_steps_out_and_keeps_the_edge():
    tried, best = sweep_on(1.0)
    assert len(tried) == sweeps.MOST_RUNS and best == max(tried)  # still at the edge: modes.sweep_edges names it
    assert sweep_on(1.0, max_steps_out=0) == ([0.00033, 0.001, 0.003], 0.003)


@pytest.mark.parametrize("tried,best,expected", [([1, 3, 9], 3, None), ([1, 3, 9], 9, 27.0), ([1, 3, 9], 1, 0.33)])
def test_the_next_value_is_three_times_beyond_an_edge(tried, best, expected):
    assert sweeps.next_value(tried, best) == expected
