"""The suite pins its own world (conftest.py): pocket profile, CPU, one thread, whatever the machine."""
import os
import subprocess
import sys

import torch

from course_lib import device


def test_conftest_pins_profile_device_and_threads():
    assert os.environ["COURSE_PROFILE"] == "pocket"
    assert os.environ["COURSE_DEVICE"] == "cpu"
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["OMP_NUM_THREADS"] == "1"


def test_course_device_pins_cpu_on_a_cuda_machine(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert device.pick_device().type == "cpu"
    monkeypatch.delenv("COURSE_DEVICE")
    assert device.pick_device().type == "cuda"  # learners keep their GPU


def test_notebook_kernels_inherit_one_thread():
    code = "import torch; print(torch.get_num_threads())"
    threads = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert threads.strip() == "1"


def test_rehearsal_keeps_its_random_numbers_away_from_the_thresholds(tmp_path):
    from course_lib import rehearsal

    env = rehearsal.cache_env(tmp_path)
    assert env["COURSE_PROFILE"] == "full" and env["COURSE_DEVICE"] == "cpu"
    assert env["COURSE_METRICS_DIR"] != os.environ["COURSE_METRICS_DIR"]
