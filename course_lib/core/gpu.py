"""GPU housekeeping for lessons and benchmarks: free memory between sections, report peak memory, time honestly.

On a CPU every helper here is harmless: `release` only runs the garbage collector, `peak_memory_line`
returns "" (so the pocket run prints nothing machine-specific) and `Timer` reads the clock directly.
"""
import gc
import time

import torch

GB = 1e9  # decimal gigabytes, as GPU makers quote memory (a "16 GB" T4 reports about 15.8 GB to torch)


def synchronize(device) -> None:
    """Wait until the GPU has finished its queued work (CUDA kernels run asynchronously); no-op on CPU."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def now(device) -> float:
    """`time.perf_counter()` read after the device has finished its work, so GPU timings are real."""
    synchronize(device)
    return time.perf_counter()


class Timer:
    """`with Timer(device) as timer: ...` then `timer.seconds`; synchronizes the GPU at both ends."""

    def __init__(self, device="cpu"):
        self.device, self.seconds = torch.device(device), 0.0

    def __enter__(self):
        self.start = now(self.device)
        return self

    def __exit__(self, *exc):
        self.seconds = now(self.device) - self.start
        return False


def _release_one(obj) -> None:
    """Move a module to the CPU; make a TrainState let go of its optimizer state and its (wrapped) model."""
    if isinstance(obj, torch.nn.Module):
        obj.to("cpu")
        return
    if all(hasattr(obj, name) for name in ("updater", "model", "processes")):  # a training.TrainState
        model = obj.model
        if isinstance(model, torch.nn.parallel.DistributedDataParallel):
            model = model.module
        if model is not None:
            model.to("cpu")
        obj.updater = obj.model = obj.processes = None


def release(*objects) -> None:
    """Free the GPU memory that models / training results hold, so the next section starts empty.

    Models move to the CPU (still usable there: `model.to(session.device)` brings one back); a TrainState
    drops its optimizer (Adam keeps two extra copies of every weight) and its reference to the model, so it
    can no longer be resumed. Then Python's garbage collector runs and PyTorch returns its cached GPU blocks.
    On a CPU nothing moves and the call is harmless.
    """
    for obj in objects:
        _release_one(obj)
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        torch.mps.empty_cache()


def peak_memory_line(device, section: str = "this section") -> str:
    """On CUDA: "peak GPU memory this section: 3.1 GB" and the peak counter restarts; elsewhere "".

    The figure is PyTorch's `max_memory_allocated` (tensors only; the CUDA context adds a few hundred MB that
    `nvidia-smi` shows as well). MPS has no peak counter, so it returns "" there too.
    """
    device = torch.device(device)
    if device.type != "cuda":
        return ""
    peak = torch.cuda.max_memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    return f"peak GPU memory {section}: {peak / GB:.1f} GB"
