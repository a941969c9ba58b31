"""The step-size sweep every comparison of training methods uses (lesson 07), one rule for all: it ends inside.

A method tries its usual value, a third of it and three times it (seed 0, judged on check rows). If the best is the
smallest or the largest value tried, the best may lie beyond, so the sweep tries one more value 3x further that way,
at most `MAX_STEPS_OUT` times. Only a sweep still at its edge after that is named by `modes.sweep_edges`.
"""
FACTOR = 3.0
START = (1 / FACTOR, 1.0, FACTOR)
MAX_STEPS_OUT = 2
MOST_RUNS = len(START) + MAX_STEPS_OUT  # the most trainings one sweep makes (for time estimates)


def rounded(value: float) -> float:
    """A swept value to two significant digits (3e-4, not 0.00030000000000000003)."""
    return float(f"{value:.2g}")


def next_value(tried: list[float], best: float) -> float | None:
    """The value 3x beyond `best` when it is the smallest or largest tried; None when it lies inside."""
    if best == min(tried):
        return rounded(best / FACTOR)
    if best == max(tried):
        return rounded(best * FACTOR)
    return None


def sweep(run, usual: float, score, max_steps_out: int = MAX_STEPS_OUT) -> tuple[list[dict], float]:
    """run(value) -> a result for each value tried, in order of value, and the value whose score(result) is best."""
    results = {value: run(value) for value in (rounded(usual * factor) for factor in START)}
    for _ in range(max_steps_out):
        value = next_value(list(results), max(results, key=lambda v: score(results[v])))
        if value is None:
            break
        results[value] = run(value)
    best = max(results, key=lambda v: score(results[v]))
    return [results[value] for value in sorted(results)], best
