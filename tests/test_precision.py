"""Mixed precision per device, with the CUDA and AMX queries faked: bf16 only where the hardware does it natively."""
import os

import pytest
import torch

from course_lib.core.errors import InputError
from course_lib.core.freezing import freeze
from course_lib.core.precision import (PRECISION_ENV, autocast_for, describe_precision, full_precision,
                                       grad_scaler_for, mixed_precision_for, store_dtype, supports_bf16)
from course_lib.core.training import train

CUDA = torch.device("cuda")


@pytest.mark.parametrize("gpu, capability, expected", [
    ("A100", (8, 0), "bf16"), ("H100", (9, 0), "bf16"), ("L4", (8, 9), "bf16"),
    ("T4", (7, 5), "fp16"), ("V100", (7, 0), "fp16"),
])
def test_cuda_precision_follows_native_bf16(fake_hardware, gpu, capability, expected):
    fake_hardware.cuda(capability)
    assert torch.cuda.is_bf16_supported()  # the emulation-counting query says yes on every one of them
    assert mixed_precision_for(CUDA) == expected
    assert supports_bf16(CUDA) == (expected == "bf16")


def test_t4_gets_fp16_with_loss_scaling_in_the_description(fake_hardware):
    fake_hardware.cuda((7, 5))
    assert describe_precision(CUDA) == "train() on this GPU: fp16 mixed precision with loss scaling (this GPU has no native bf16)"
    fake_hardware.cuda((8, 0))
    assert "bf16 mixed precision (native" in describe_precision("cuda")


def test_cpu_without_amx_and_mps_train_in_fp32(fake_hardware):
    fake_hardware.cuda((8, 0))  # even with a bf16-capable GPU in the machine
    fake_hardware.cpu(amx=False)
    assert mixed_precision_for(torch.device("cpu")) == "no"
    assert mixed_precision_for(torch.device("mps")) == "no"
    assert describe_precision("cpu") == "train() on the CPU: full fp32 precision (no AMX: bf16 would be emulated, slower than fp32)"
    assert describe_precision("mps") == "train() on Apple's GPU (MPS): full fp32 precision"
    assert not supports_bf16(torch.device("mps")) and not supports_bf16(torch.device("cpu"))


def test_cpu_with_amx_trains_in_bf16(fake_hardware):
    fake_hardware.cpu(amx=True)
    assert supports_bf16(torch.device("cpu")) and mixed_precision_for("cpu") == "bf16"
    assert describe_precision("cpu") == "train() on the CPU: bf16 mixed precision (this CPU has AMX matrix units, native bf16)"
    assert autocast_for("cpu").fast_dtype == torch.bfloat16


def test_course_precision_fp32_turns_mixed_precision_off_everywhere(fake_hardware, monkeypatch):
    fake_hardware.cuda((7, 5))
    fake_hardware.cpu(amx=True)
    monkeypatch.setenv(PRECISION_ENV, "fp32")
    assert mixed_precision_for(CUDA) == "no" and mixed_precision_for("cpu") == "no"
    assert describe_precision("cpu") == "train() on the CPU: full fp32 precision (COURSE_PRECISION=fp32)"


def test_a_bad_course_precision_names_the_choices(monkeypatch):
    monkeypatch.setenv(PRECISION_ENV, "half")
    with pytest.raises(InputError, match=r"(?s)COURSE_PRECISION='half'.*one of \('auto', 'fp32'\)"):
        mixed_precision_for("cpu")


def test_full_precision_is_fp32_inside_and_restores_the_setting(fake_hardware, monkeypatch):
    fake_hardware.cpu(amx=True)
    with full_precision():
        assert mixed_precision_for("cpu") == "no"
    assert mixed_precision_for("cpu") == "bf16" and PRECISION_ENV not in os.environ
    monkeypatch.setenv(PRECISION_ENV, "auto")
    with full_precision():
        pass
    assert os.environ[PRECISION_ENV] == "auto"


def forward_dtypes(model) -> list:
    """Record the dtype of the head's output at every forward pass of `model` (a hook on its classifier)."""
    seen = []
    model.classifier.register_forward_hook(lambda module, inputs, output: seen.append(output.dtype))
    return seen


def test_one_process_trains_in_fp32_then_in_bf16_on_an_amx_cpu(fake_hardware, tokenizer, tiny_bert, word_sentiment):
    """The lesson 06 proof runs in fp32 (full_precision), the real run after it in bf16, in one process."""
    fake_hardware.cpu(amx=True)
    model, rows = tiny_bert(), word_sentiment(16)
    freeze(model, "head_only")
    seen = forward_dtypes(model)
    options = dict(device="cpu", epochs=1, batch_size=8, plot=False, progress=False)
    with full_precision():
        first = train(model, rows, rows, tokenizer, **options)
    assert seen and set(seen) == {torch.float32} and len(first.history) == 1
    seen.clear()
    second = train(model, rows, rows, tokenizer, **options)
    assert seen and set(seen) == {torch.bfloat16} and len(second.history) == 1  # training and evaluation alike


def test_a_trained_model_computes_in_fp32_again_and_resumes_in_bf16(fake_hardware, tokenizer, tiny_bert, word_sentiment):
    """Autocast lives in the engine, not in the model: after train() the model computes in fp32 (lesson 09 compares
    it with its reloaded copy within 1e-5), and a resumed run trains in bf16 again."""
    fake_hardware.cpu(amx=True)
    model, rows = tiny_bert(), word_sentiment(16)
    freeze(model, "head_only")
    result = train(model, rows, rows, tokenizer, device="cpu", epochs=1, batch_size=8, plot=False, progress=False)
    reference = type(model)(model.config).eval()
    reference.load_state_dict(model.state_dict())  # the same weights in a model train() never touched
    batch = tokenizer(["A fine film with a clever plot.", "Dull."], padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model.eval()(**batch).logits
        assert logits.dtype == torch.float32 and torch.equal(logits, reference(**batch).logits)
    seen = forward_dtypes(model)
    train(model, rows, rows, tokenizer, device="cpu", epochs=2, batch_size=8, plot=False, progress=False, state=result)
    assert result.epoch == 2 and seen and set(seen) == {torch.bfloat16}


def test_loss_scaling_only_for_fp16(fake_hardware):
    """A GradScaler that really scales only where the course trains in fp16 (a T4); a no-op everywhere else."""
    fake_hardware.cuda((7, 5))
    fake_hardware.cpu(amx=True)
    assert grad_scaler_for(CUDA).is_enabled() and grad_scaler_for("cuda:0").get_scale() == 2.0 ** 16
    assert not grad_scaler_for("cpu").is_enabled()  # bf16 on the CPU needs no loss scaling
    fake_hardware.cuda((8, 0))
    assert not grad_scaler_for(CUDA).is_enabled()
    fake_hardware.mps(True)
    assert not grad_scaler_for("mps").is_enabled()


def test_cached_states_are_stored_in_half_precision_only_on_a_mixed_precision_gpu(fake_hardware, monkeypatch):
    fake_hardware.cuda((7, 5))
    fake_hardware.cpu(amx=True)
    assert store_dtype(CUDA) == torch.float16 and store_dtype("cpu") == torch.float32
    monkeypatch.setenv(PRECISION_ENV, "fp32")
    assert store_dtype(CUDA) == torch.float32


def test_no_cuda_means_no_bf16(fake_hardware):
    fake_hardware.cuda(None)
    assert not supports_bf16(CUDA)


def test_evaluate_autocast_matches_the_training_precision(fake_hardware):
    fake_hardware.cpu(amx=False)
    with autocast_for("cpu"):
        assert not torch.is_autocast_enabled("cpu")
    fake_hardware.cuda((7, 5))
    context = autocast_for(CUDA)
    assert isinstance(context, torch.autocast) and context.fast_dtype == torch.float16 and context.device == "cuda"
    fake_hardware.cuda((8, 0))
    assert autocast_for(CUDA).fast_dtype == torch.bfloat16
