"""Mixed precision per device, with the CUDA and AMX queries faked: bf16 only where the hardware does it natively."""
import os

import pytest
import torch
from transformers import AutoModelForSequenceClassification

from course_lib.device import PRECISION_ENV, full_precision, supports_bf16
from course_lib.errors import InputError
from course_lib.freezing import freeze
from course_lib.training import autocast_for, describe_precision, mixed_precision_for, train

CUDA = torch.device("cuda")


def fake_gpu(monkeypatch, capability: tuple[int, int], emulated_bf16_says: bool = True) -> None:
    """Pretend a CUDA GPU with `capability`; `is_bf16_supported()` answers like torch does (emulation counts)."""
    monkeypatch.delenv(PRECISION_ENV, raising=False)  # the hardware decides
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


def fake_cpu(monkeypatch, amx: bool) -> None:
    """Pretend a CPU with or without AMX matrix units, precision left to the hardware ($COURSE_PRECISION unset)."""
    monkeypatch.delenv(PRECISION_ENV, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx, raising=False)


def test_cpu_without_amx_and_mps_train_in_fp32(monkeypatch):
    fake_gpu(monkeypatch, (8, 0))  # even with a bf16-capable GPU in the machine
    fake_cpu(monkeypatch, amx=False)
    assert mixed_precision_for(torch.device("cpu")) == "no"
    assert mixed_precision_for(torch.device("mps")) == "no"
    assert describe_precision("cpu") == "train() on the CPU: full fp32 precision (no AMX: bf16 would be emulated, slower than fp32)"
    assert describe_precision("mps") == "train() on Apple's GPU (MPS): full fp32 precision"
    assert not supports_bf16(torch.device("mps")) and not supports_bf16(torch.device("cpu"))


def test_cpu_with_amx_trains_in_bf16(monkeypatch):
    fake_cpu(monkeypatch, amx=True)
    assert supports_bf16(torch.device("cpu")) and mixed_precision_for("cpu") == "bf16"
    assert describe_precision("cpu") == "train() on the CPU: bf16 mixed precision (this CPU has AMX matrix units, native bf16)"
    assert autocast_for("cpu").fast_dtype == torch.bfloat16


def test_course_precision_fp32_turns_mixed_precision_off_everywhere(monkeypatch):
    fake_gpu(monkeypatch, (7, 5))
    fake_cpu(monkeypatch, amx=True)
    monkeypatch.setenv(PRECISION_ENV, "fp32")
    assert mixed_precision_for(CUDA) == "no" and mixed_precision_for("cpu") == "no"
    assert describe_precision("cpu") == "train() on the CPU: full fp32 precision (COURSE_PRECISION=fp32)"


def test_a_bad_course_precision_names_the_choices(monkeypatch):
    monkeypatch.setenv(PRECISION_ENV, "half")
    with pytest.raises(InputError, match=r"(?s)COURSE_PRECISION='half'.*one of \('auto', 'fp32'\)"):
        mixed_precision_for("cpu")


def test_full_precision_is_fp32_inside_and_restores_the_setting(monkeypatch):
    fake_cpu(monkeypatch, amx=True)
    with full_precision():
        assert mixed_precision_for("cpu") == "no"
    assert mixed_precision_for("cpu") == "bf16" and PRECISION_ENV not in os.environ
    monkeypatch.setenv(PRECISION_ENV, "auto")
    with full_precision():
        pass
    assert os.environ[PRECISION_ENV] == "auto"


def test_one_process_can_train_in_fp32_then_in_bf16(monkeypatch, session):
    """Accelerate keeps one state per process: a second precision used to raise 'AcceleratorState has already been
    initialized'. The lesson 06 proof (fp32) comes before the real run (bf16 or fp16), so train() resets it."""
    fake_cpu(monkeypatch, amx=True)
    tokenizer, data = session.load_tokenizer("encoder"), session.load_sentiment()
    rows = data["train"].select(range(16))
    model = session.load_model("encoder", AutoModelForSequenceClassification, num_labels=2)
    freeze(model, "head_only")
    with full_precision():
        first = train(model, rows, rows, tokenizer, device="cpu", epochs=1, batch_size=8, plot=False, progress=False)
        assert first.accelerator.mixed_precision == "no"
    second = train(model, rows, rows, tokenizer, device="cpu", epochs=1, batch_size=8, plot=False, progress=False)
    assert second.accelerator.mixed_precision == "bf16" and len(second.history) == 1


def test_no_cuda_means_no_bf16(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert not supports_bf16(CUDA)


def test_evaluate_autocast_matches_the_training_precision(monkeypatch):
    fake_cpu(monkeypatch, amx=False)
    with autocast_for("cpu"):
        assert not torch.is_autocast_enabled("cpu")
    fake_gpu(monkeypatch, (7, 5))
    context = autocast_for(CUDA)
    assert isinstance(context, torch.autocast) and context.fast_dtype == torch.float16 and context.device == "cuda"
    fake_gpu(monkeypatch, (8, 0))
    assert autocast_for(CUDA).fast_dtype == torch.bfloat16


def test_a_trained_model_computes_in_fp32_again_and_resumes_in_bf16(monkeypatch, session):
    """Accelerate wraps the model's forward in autocast; train() takes it off when it returns (lesson 07 compares the
    trained model with its reloaded copy within 1e-5), and puts it back when a run resumes."""
    fake_cpu(monkeypatch, amx=True)
    tokenizer, data = session.load_tokenizer("encoder"), session.load_sentiment()
    rows = data["train"].select(range(16))
    model = session.load_model("encoder", AutoModelForSequenceClassification, num_labels=2)
    freeze(model, "head_only")
    result = train(model, rows, rows, tokenizer, device="cpu", epochs=1, batch_size=8, plot=False, progress=False)
    reference = AutoModelForSequenceClassification.from_config(model.config).eval()
    reference.load_state_dict(model.state_dict())  # the same weights in a model Accelerate never touched
    batch = tokenizer(["A fine film with a clever plot.", "Dull."], padding=True, return_tensors="pt")
    with torch.no_grad():
        assert torch.allclose(model.eval()(**batch).logits, reference(**batch).logits, atol=1e-6)
    wrapped_while_training = []
    record = lambda state: wrapped_while_training.append("_original_forward" in vars(state.accelerator.unwrap_model(state.model)))
    train(model, rows, rows, tokenizer, device="cpu", epochs=2, batch_size=8, plot=False, progress=False, state=result,
          callbacks=[record])
    assert result.epoch == 2 and wrapped_while_training and all(wrapped_while_training)
    assert "_original_forward" not in vars(model)
