"""GPU housekeeping (course_lib.core.gpu) with the CUDA calls faked: synchronize before the clock, peak memory, release."""
import pytest
import torch

from course_lib.core import gpu, training
from course_lib.core.errors import CourseError
from course_lib.core.training import TrainState, Updater


def count_calls(monkeypatch, owner, name: str, result=None) -> list:
    """Replace owner.name with a fake that records its arguments and returns `result`."""
    calls = []
    monkeypatch.setattr(owner, name, lambda *args, **kwargs: calls.append(args) or result)
    return calls


def test_timer_synchronizes_cuda_before_reading_the_clock(monkeypatch):
    synced = count_calls(monkeypatch, torch.cuda, "synchronize")
    with gpu.Timer("cuda") as timer:
        assert len(synced) == 1  # started only after queued GPU work finished
    assert len(synced) == 2 and synced[-1] == (torch.device("cuda"),) and timer.seconds >= 0
    with gpu.Timer("cpu"):
        pass
    assert len(synced) == 2  # nothing to wait for on a CPU


def test_mps_timer_synchronizes_too(monkeypatch):
    synced = count_calls(monkeypatch, torch.mps, "synchronize")
    gpu.now("mps")
    assert len(synced) == 1


def test_train_reads_its_seconds_through_the_synchronizing_clock(monkeypatch, tokenizer, tiny_bert, word_sentiment):
    devices = []
    real_now = gpu.now
    monkeypatch.setattr(training, "now", lambda device: devices.append(device) or real_now(device))
    result = training.train(tiny_bert(), word_sentiment(32), word_sentiment(16, seed=1), tokenizer,
                            device="cpu", epochs=2, batch_size=16, plot=False, progress=False)
    assert len(devices) == 4 and result.seconds > 0  # start and end of each of the 2 epochs


def test_peak_memory_line_reports_and_resets_on_cuda_only(monkeypatch):
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda device=None: 3_140_000_000)
    resets = count_calls(monkeypatch, torch.cuda, "reset_peak_memory_stats")
    assert gpu.peak_memory_line("cuda") == "peak GPU memory this section: 3.1 GB"
    assert gpu.peak_memory_line(torch.device("cuda:0"), "full fine-tuning") == "peak GPU memory full fine-tuning: 3.1 GB"
    assert len(resets) == 2
    assert gpu.peak_memory_line("cpu") == "" and gpu.peak_memory_line("mps") == ""
    assert len(resets) == 2


def test_release_moves_models_off_the_gpu_and_empties_the_cache(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    emptied = count_calls(monkeypatch, torch.cuda, "empty_cache")
    moved = []
    model = torch.nn.Linear(2, 2)
    monkeypatch.setattr(model, "to", lambda device: moved.append(device) or model)
    gpu.release(model)
    assert moved == ["cpu"] and len(emptied) == 1


def test_release_lets_a_training_state_drop_its_optimizer_and_model():
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.ones(1, 2)).sum().backward()
    optimizer.step()  # Adam now holds two moments per weight
    state = TrainState(updater=Updater(optimizer), model=model)
    gpu.release(state)
    assert state.updater is None and state.optimizer is None and state.model is None and state.processes is None
    assert next(model.parameters()).device.type == "cpu"


def test_release_unwraps_a_distributed_model_before_moving_it(monkeypatch):
    moved = []
    inner = torch.nn.Linear(2, 2)
    monkeypatch.setattr(inner, "to", lambda device: moved.append(device) or inner)
    wrapped = torch.nn.parallel.DistributedDataParallel.__new__(torch.nn.parallel.DistributedDataParallel)
    torch.nn.Module.__init__(wrapped)
    wrapped.module = inner  # a DDP wrapper without a process group: only its .module matters here
    state = TrainState(updater=Updater(torch.optim.SGD(inner.parameters(), lr=0.1)), model=wrapped, processes=object())
    gpu.release(state)
    assert moved == ["cpu"] and state.model is None and state.processes is None


def test_a_released_training_result_cannot_be_resumed_and_says_why(tokenizer, tiny_bert, word_sentiment):
    model, data = tiny_bert(), word_sentiment(16)
    result = training.train(model, data, data, tokenizer, device="cpu", plot=False, progress=False)
    gpu.release(result)
    with pytest.raises(CourseError, match="Fix: start a fresh run"):
        training.train(model, data, data, tokenizer, device="cpu", epochs=2, state=result, plot=False)
