import pytest
import torch

from course_lib.core.device import available_devices, describe_device, pick_device
from course_lib.core.errors import DeviceUnavailableError


def fake_machine(monkeypatch, gpus: int, mps: bool = False) -> None:
    """Pretend this machine has `gpus` CUDA GPUs (and Apple MPS or not), with no $COURSE_DEVICE pin."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpus > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    monkeypatch.delenv("COURSE_DEVICE", raising=False)


@pytest.mark.parametrize("gpus, mps, best", [(1, False, "cuda"), (2, True, "cuda"), (0, True, "mps"), (0, False, "cpu")])
def test_auto_picks_cuda_then_mps_then_cpu(monkeypatch, gpus, mps, best):
    fake_machine(monkeypatch, gpus, mps)
    assert available_devices()[0] == best and available_devices()[-1] == "cpu"
    assert pick_device() == torch.device(best) and pick_device("auto") == torch.device(best)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")  # the pin wins over the best device


def test_cpu_always_works():
    assert pick_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_names_the_fix():
    with pytest.raises(DeviceUnavailableError) as info:
        pick_device("cuda")
    assert "Fix: pass device='cpu'" in str(info.value) and "Colab" in str(info.value)


def test_cpu_description_gives_a_gpu_hint():
    assert "Change runtime type" in describe_device(torch.device("cpu"))
