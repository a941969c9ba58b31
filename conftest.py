"""Pytest pins its own world: the offline pocket profile on the CPU, one thread, whatever the machine.

The stored notebook outputs are a pocket run on a CPU, so every kernel nbval starts inherits these
variables: a CUDA or MPS machine still runs the lessons on the CPU (COURSE_DEVICE=cpu), and one
thread proves the outputs do not depend on the thread count. COURSE_CHECK_SOLUTIONS makes every exercise check also
run that exercise's solution (never shown, never stored) and record whether it passes, for the metric thresholds.
Learners are unaffected: only pytest sets them.
"""
import os
import tempfile

import pytest

os.environ["COURSE_PROFILE"] = "pocket"
os.environ["COURSE_DEVICE"] = "cpu"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["PYTHONHASHSEED"] = "0"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["COURSE_CHECK_SOLUTIONS"] = "1"  # each Exercise.check also runs its hidden solution and records the outcome
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("COURSE_METRICS_DIR", tempfile.mkdtemp(prefix="course_metrics_"))


def _notebook_stem(item) -> str | None:
    """'07_fine_tuning_modes' for an nbval cell of that notebook, else None."""
    path = str(getattr(item, "fspath", ""))
    return path.rsplit("/", 1)[-1][:-6] if path.endswith(".ipynb") else None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(session, config, items):
    """Keep each notebook's cells in one xdist worker, and run each metric test after its notebook."""
    stems = {}
    for item in items:
        stem = _notebook_stem(item)
        if stem:
            stems.setdefault(stem[:2], stem)
            item.add_marker(pytest.mark.xdist_group(stem))
    metric_items = [i for i in items if getattr(i, "originalname", "") == "test_lesson_metric_meets_threshold"
                    and isinstance(getattr(getattr(i, "callspec", None), "params", {}).get("name"), str)]
    for item in metric_items:
        number = item.callspec.params["name"][:2]
        if number in stems:
            item.add_marker(pytest.mark.xdist_group(stems[number]))
        else:
            item.add_marker(pytest.mark.skip(reason=f"lesson {number} is not part of this pytest run"))
    # Longest work first, so the last to finish is short (xdist keeps this order: --no-loadscope-reorder): each lesson's
    # nbval run (its expected seconds in tools/runner.py), then the full-profile rehearsals, then the unit tests.
    from course_lib.tools.runner import expected_seconds

    def cost(item) -> float:
        stem = _notebook_stem(item)
        if stem:
            return 1000 + expected_seconds(stem + ".ipynb")
        lesson = getattr(getattr(item, "callspec", None), "params", {}).get("notebook")
        return 500 + expected_seconds(lesson) / 4 if lesson is not None else 0

    others = sorted((i for i in items if i not in metric_items), key=cost, reverse=True)  # stable: cells keep order
    items[:] = others + metric_items
