"""Lesson 00: its exercise check, and the checks its machine-specific cells (version table, device probe) used to show."""
import pytest
import torch

from course_lib.core.device import available_devices
from course_lib.lessons.environment import KEY_PACKAGES, check_environment
from course_lib.exercises import lesson00
from course_lib.core.profiles import REGISTRY, auto_reason_no_gpu, full_download_gb


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


# The published size of each full-profile checkpoint's model.safetensors ("Files and versions" on the hub), written
# out here, not read from the registry: a new role with a new repository must add its published size here too.
PUBLISHED_MB = {"bert-base-uncased": 440, "deepset/roberta-base-squad2": 496, "SamLowe/roberta-base-go_emotions": 499,
                "facebook/bart-large-mnli": 1630, "bert-base-chinese": 412, "answerdotai/ModernBERT-base": 599}


def test_lesson_00_states_the_published_full_download():
    """440 + 496 + 499 + 1630 + 412 + 599 MB = 4,076 MB: "about 4.1 GB". bert-base-uncased serves two roles (encoder
    and mlm) and is downloaded once: counted twice the total would be 4,516 MB."""
    repos = {e.full for e in REGISTRY.values() if e.kind == "model"}
    assert repos == set(PUBLISHED_MB), "a full checkpoint was added or removed: add its published size above"
    assert sum(PUBLISHED_MB.values()) == 4076
    assert full_download_gb() == pytest.approx(4.076)
    assert "about 4.1 GB" in auto_reason_no_gpu()
