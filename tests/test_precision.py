"""Mixed precision per device, with the CUDA queries faked: bf16 only where the GPU does it natively."""
import pytest
import torch

from course_lib.device import supports_bf16
from course_lib.training import autocast_for, describe_precision, mixed_precision_for

CUDA = torch.device("cuda")


def fake_gpu(monkeypatch, capability: tuple[int, int], emulated_bf16_says: bool = True) -> None:
    """Pretend a CUDA GPU with `capability`; `is_bf16_supported()` answers like torch does (emulation counts)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported",
                        lambda including_emulation=True: capability >= (8, 0) or (including_emulation and emulated_bf16_says))


@pytest.mark.parametrize("gpu, capability, expected", [
    ("A100", (8, 0), "bf16"), ("H100", (9, 0), "bf16"), ("L4", (8, 9), "bf16"),
    ("T4", (7, 5), "fp16"), ("V100", (7, 0), "fp16"),
])
def test_cuda_precision_follows_native_bf16(monkeypatch, gpu, capability, expected):
    fake_gpu(monkeypatch, capability)
    assert torch.cuda.is_bf16_supported()  # the emulation-counting query says yes on every one of them
    assert mixed_precision_for(CUDA) == expected
    assert supports_bf16(CUDA) == (expected == "bf16")


def test_t4_gets_fp16_with_loss_scaling_in_the_description(monkeypatch):
    fake_gpu(monkeypatch, (7, 5))
    assert describe_precision(CUDA) == "train() on this GPU: fp16 mixed precision with loss scaling (this GPU has no native bf16)"
    fake_gpu(monkeypatch, (8, 0))
    assert "bf16 mixed precision (native" in describe_precision("cuda")


def test_cpu_and_mps_train_in_fp32(monkeypatch):
    fake_gpu(monkeypatch, (8, 0))  # even with a bf16-capable GPU in the machine
    assert mixed_precision_for(torch.device("cpu")) == "no"
    assert mixed_precision_for(torch.device("mps")) == "no"
    assert describe_precision("cpu") == "train() on the CPU: full fp32 precision"
    assert describe_precision("mps") == "train() on Apple's GPU (MPS): full fp32 precision"
    assert not supports_bf16(torch.device("mps")) and not supports_bf16(torch.device("cpu"))


def test_no_cuda_means_no_bf16(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert not supports_bf16(CUDA)


def test_evaluate_autocast_matches_the_training_precision(monkeypatch):
    with autocast_for("cpu"):
        assert not torch.is_autocast_enabled("cpu")
    fake_gpu(monkeypatch, (7, 5))
    context = autocast_for(CUDA)
    assert isinstance(context, torch.autocast) and context.fast_dtype == torch.float16 and context.device == "cuda"
    fake_gpu(monkeypatch, (8, 0))
    assert autocast_for(CUDA).fast_dtype == torch.bfloat16
