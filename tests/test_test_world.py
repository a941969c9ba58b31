"""The suite pins its own world (conftest.py): pocket profile, CPU, offline, one thread, whatever the machine.

What matters is the effect on what the suite starts: nbval's kernels and the CLI tests' subprocesses inherit the
environment, so one is started here, on a machine that claims a CUDA GPU and a reachable hub.
"""
import json
import os
import subprocess
import sys

import torch

from course_lib.core import device

PROBE = """
import json, sys, torch
torch.cuda.is_available = lambda: True  # claim a GPU: the pinned world must still run on the CPU
torch.cuda.device_count = lambda: 1
import course_lib
from course_lib.core import hub
hub.reachable = lambda timeout=0: True  # and a reachable hub: auto would pick the full profile
import huggingface_hub.constants
session = course_lib.setup(verbose=False)
print(json.dumps({"profile": session.profile.name, "reason": session.profile.reason, "device": str(session.device),
                  "threads": torch.get_num_threads(), "hub_offline": huggingface_hub.constants.HF_HUB_OFFLINE}))
"""


def test_a_process_started_by_the_suite_runs_pocket_on_one_cpu_thread_offline_even_with_a_gpu():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    world = json.loads(done.stdout.strip().splitlines()[-1])
    assert world["profile"] == "pocket" and world["reason"] == "COURSE_PROFILE=pocket"
    assert world["device"] == "cpu"
    assert world["threads"] == 1  # stored outputs must not depend on the thread count
    assert world["hub_offline"] is True  # no lesson reaches for the network under pytest


def test_course_device_pins_cpu_on_a_cuda_machine(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert device.pick_device().type == "cpu"
    monkeypatch.delenv("COURSE_DEVICE")
    assert device.pick_device().type == "cuda"  # learners keep their GPU


def test_rehearsal_keeps_its_random_numbers_away_from_the_thresholds(tmp_path):
    from course_lib.tools import rehearsal

    env = rehearsal.cache_env(tmp_path)
    assert env["COURSE_PROFILE"] == "full" and env["COURSE_DEVICE"] == "cpu"
    assert env["COURSE_METRICS_DIR"] != os.environ["COURSE_METRICS_DIR"]
