"""Lesson 00: its exercise check, and the checks its machine-specific cells (version table, device probe) used to show."""
import torch

from course_lib.device import available_devices
from course_lib.environment import KEY_PACKAGES, check_environment
from course_lib.exercises import lesson00
from course_lib.profiles import REGISTRY, auto_reason_no_gpu, full_download_gb


def test_majority_accuracy_check_passes_a_right_answer_and_hints_at_wrong_ones():
    from collections import Counter

    right = lesson00.check_majority_accuracy(lambda labels: Counter(labels).most_common(1)[0][1] / len(labels), [0, 1, 1])
    assert right.passed and "66.7%" in str(right)
    share_of_ones = lesson00.check_majority_accuracy(lambda labels: labels.count(1) / len(labels))
    assert not share_of_ones.passed and "share of label 1" in str(share_of_ones)
    percent = lesson00.check_majority_accuracy(lambda labels: 100 * Counter(labels).most_common(1)[0][1] / len(labels))
    assert not percent.passed and "percentage" in str(percent)
    assert "still None" in str(lesson00.check_majority_accuracy(None))


def test_the_tested_environment_matches_the_pins():
    """Lesson 00's version table (not compared by nbval) reads 'ok' on every row in the tested environment."""
    table = check_environment()
    assert list(table.index) == KEY_PACKAGES
    assert (table["status"] == "ok").all(), table[table["status"] != "ok"]


def test_the_device_probe_works_on_the_chosen_device(session):
    """Lesson 00's live device probe: the session's device is one this machine has, and a matmul runs there."""
    assert session.device.type in available_devices() and available_devices()[-1] == "cpu"
    x = torch.randn(256, 256, device=session.device)
    assert tuple((x @ x).shape) == (256, 256)


def test_lesson_00_states_the_full_download_from_the_registry():
    sizes = {e.full: e.download_mb for e in REGISTRY.values() if e.kind == "model"}
    assert full_download_gb() == sum(sizes.values()) / 1000 > 1
    assert f"{full_download_gb():.1f} GB" in auto_reason_no_gpu()
