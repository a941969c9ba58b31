"""`python -m course_lib finetune` alone and under `accelerate launch` with 2 processes must train the same model.

Why they can agree closely: the CLI's --batch-size is the global batch, so each of the 2 processes takes 4 rows
per step and DDP averages the two gradients = the single process's gradient over the same 8 rows (with 32 rows
both runs' length-grouped order is one sorted "megabatch", so the 8 rows are the same ones). Accelerate steps the
schedule once per process, so the learning rates match too. Dropout is off (--no-dropout): with it on, each
process draws its own masks and the runs differ by dropout noise. What remains is float rounding (each process
pads its 4 rows to their own longest; gloo sums the gradients in another order), so the tolerance is: final
weights within 5% of the size of the training update, eval loss within 1e-4, the same eval accuracy.
"""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModel

from course_lib.core.checkpoints import minilm_dir
from course_lib.core.errors import InputError
from course_lib.lessons.finetune import note_single_cpu_process, per_process_batch

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--profile", "pocket", "--rows", "32", "--eval-rows", "24", "--epochs", "1", "--batch-size", "8",
        "--max-length", "16", "--no-dropout", "--seed", "0"]  # 24 eval rows: 2 processes x 8-row batches is uneven
WATCHED = "encoder.layer.5.output.dense.weight"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(command: list[str], output: Path) -> dict:
    """Run a fine-tuning command offline on the CPU; return its result.json and the saved weights."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "COURSE_PROFILE": "pocket",
           "COURSE_PRECISION": "fp32"}  # one and two processes compared in fp32, on any CPU
    done = subprocess.run(command + ARGS + ["--output", str(output)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((output / "result.json").read_text())
    result["weights"] = load_file(output / "model.safetensors")
    return result


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("finetune")
    single = run([sys.executable, "-m", "course_lib", "finetune"], folder / "single")
    accelerate = str(Path(sys.executable).with_name("accelerate"))
    # --multi_gpu: torchrun-style processes; without a GPU they train on the CPU over gloo (see finetune.py)
    double = run([accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                  "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(free_port()),
                  "-m", "course_lib", "finetune"], folder / "double")
    return single, double


def test_two_processes_match_one_process(runs):
    single, double = runs
    assert (single["processes"], double["processes"]) == (1, 2)
    assert single["global_batch_size"] == double["global_batch_size"] == 8
    assert single["steps"] == double["steps"] == 4  # 32 rows / 8 per global batch
    assert single["eval"]["rows"] == double["eval"]["rows"] == 24  # gather_for_metrics dropped the padding rows
    assert double["eval"]["loss"] == pytest.approx(single["eval"]["loss"], abs=1e-4)
    assert double["eval"]["accuracy"] == single["eval"]["accuracy"]
    pretrained = AutoModel.from_pretrained(minilm_dir()).state_dict()[WATCHED]
    update = (single["weights"]["bert." + WATCHED] - pretrained).abs().max().item()
    gap = max((double["weights"][k] - v).abs().max().item() for k, v in single["weights"].items())
    assert update > 1e-5  # it trained
    assert gap < 0.05 * update, (gap, update)


def test_global_batch_must_split_evenly():
    assert per_process_batch(16, 2) == 8
    with pytest.raises(InputError, match="Fix: pass a multiple of 3"):
        per_process_batch(16, 3)


def test_cpu_launch_without_mpi_is_announced(monkeypatch, capsys):
    class OneProcess:
        num_processes = 1

    monkeypatch.setenv("ACCELERATE_USE_CPU", "True")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")  # what `accelerate launch --cpu --num_processes 2` sets
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    note_single_cpu_process(OneProcess())
    assert "this is ONE process" in capsys.readouterr().out
    monkeypatch.delenv("MASTER_ADDR")
    note_single_cpu_process(OneProcess())
    assert capsys.readouterr().out == ""
