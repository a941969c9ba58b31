"""Which precision the course computes in on a device: the one decision, and the autocast that carries it out.

- CUDA with compute capability >= 8.0 (A100, L4, RTX 30xx/40xx, H100): "bf16", native bfloat16 tensor cores; no
  loss scaling needed (bf16 has fp32's exponent range).
- older CUDA GPUs (T4 7.5, V100 7.0): "fp16" autocast with a GradScaler (loss scaling). bf16 would only be emulated
  there, slowly, even though `torch.cuda.is_bf16_supported()` says yes.
- MPS (Apple GPUs): "no", plain fp32: autocast covers fewer ops there, fp16 needs MPS's younger GradScaler, and
  memory is shared with the CPU, so there is no 16 GB wall to get under.
- CPU with AMX bf16 matrix units (Xeon "Sapphire Rapids" and newer): "bf16" autocast (matmuls in hardware).
- other CPUs (most laptops, AMD EPYC): "no" (fp32); bf16 there is emulated and slower than fp32.
- $COURSE_PRECISION=fp32: "no" everywhere; `with full_precision():` does the same for one block.
"""
import contextlib
import os

import torch

from .environ import environment
from .errors import InputError

PRECISION_ENV = "COURSE_PRECISION"  # "auto" (default) or "fp32"
PRECISION_CHOICES = ("auto", "fp32")
NATIVE_BF16_CAPABILITY = (8, 0)  # Ampere (A100, RTX 30xx) and newer have bf16 tensor cores
AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def precision_setting() -> str:
    """$COURSE_PRECISION: "auto" (the hardware decides) or "fp32" (mixed precision off); anything else is an error."""
    value = (os.environ.get(PRECISION_ENV) or "auto").strip().lower()
    if value not in PRECISION_CHOICES:
        raise InputError(f"{PRECISION_ENV}={value!r} is not a precision setting.",
                         f"set {PRECISION_ENV} to one of {PRECISION_CHOICES}, or unset it (auto).")
    return value


def cpu_has_amx() -> bool:
    """True on CPUs with AMX bf16 matrix units, read from torch's public `torch.cpu.get_capabilities()`."""
    capabilities = getattr(torch.cpu, "get_capabilities", dict)()
    return bool(capabilities.get("amx_bf16", False))


def supports_bf16(device) -> bool:
    """True only where bfloat16 runs natively, not by emulation: CUDA compute capability >= 8.0, or a CPU with AMX."""
    device = torch.device(device)
    if device.type == "cpu":
        return cpu_has_amx()
    if device.type != "cuda" or not torch.cuda.is_available():
        return False
    return tuple(torch.cuda.get_device_capability(device)) >= NATIVE_BF16_CAPABILITY


def mixed_precision_for(device) -> str:
    """"bf16", "fp16" or "no" (fp32) for `device`: see the module docstring."""
    device = torch.device(device)
    if precision_setting() == "fp32" or device.type == "mps":
        return "no"
    if device.type == "cpu":
        return "bf16" if supports_bf16(device) else "no"
    return "bf16" if supports_bf16(device) else "fp16"


def describe_precision(device) -> str:
    """One line for a lesson: which precision the course trains in on `device`, and why."""
    device = torch.device(device)
    where = {"cuda": "this GPU", "mps": "Apple's GPU (MPS)", "cpu": "the CPU"}.get(device.type, device.type)
    precision = mixed_precision_for(device)
    if precision == "bf16":
        why = "native on this GPU" if device.type == "cuda" else "this CPU has AMX matrix units, native bf16"
        return f"train() on {where}: bf16 mixed precision ({why})"
    if precision == "fp16":
        return f"train() on {where}: fp16 mixed precision with loss scaling (this GPU has no native bf16)"
    if precision_setting() == "fp32":
        return f"train() on {where}: full fp32 precision ({PRECISION_ENV}=fp32)"
    if device.type == "cpu":
        return f"train() on {where}: full fp32 precision (no AMX: bf16 would be emulated, slower than fp32)"
    return f"train() on {where}: full fp32 precision"


def autocast_for(device):
    """A torch.autocast context in the precision the course uses on `device` (a do-nothing context for fp32)."""
    precision = mixed_precision_for(device)
    if precision == "no":
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=AUTOCAST_DTYPES[precision])


def grad_scaler_for(device) -> torch.amp.GradScaler:
    """Loss scaling for fp16 (a T4): small gradients would underflow to 0 in fp16. Disabled (a no-op) elsewhere."""
    device = torch.device(device)
    return torch.amp.GradScaler(device.type, enabled=mixed_precision_for(device) == "fp16")


def store_dtype(device) -> torch.dtype:
    """float16 for states computed in mixed precision on a GPU (half the memory; imdb reviews are long), else float32."""
    device = torch.device(device)
    return torch.float16 if device.type == "cuda" and mixed_precision_for(device) != "no" else torch.float32


def full_precision():
    """`with full_precision():` trains, evaluates and caches in fp32 whatever the hardware (e.g. for equality proofs)."""
    return environment({PRECISION_ENV: "fp32"})
