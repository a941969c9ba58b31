"""Pick the compute device: CUDA, then Apple MPS, then CPU (or what $COURSE_DEVICE says)."""
import os

import torch

from .errors import DeviceUnavailableError

COLAB_GPU_HINT = "On Colab: Runtime > Change runtime type > T4 GPU, then re-run from the top."
DEVICE_ENV = "COURSE_DEVICE"  # the test suite sets COURSE_DEVICE=cpu so stored outputs reproduce on GPU machines too


def available_devices() -> list[str]:
    """Names of the devices torch can use here, best first."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return found + ["cpu"]


def pick_device(prefer: str | None = None) -> torch.device:
    """Return `prefer` if it exists here, else the best available device."""
    found = available_devices()
    prefer = prefer or os.environ.get(DEVICE_ENV) or None
    if prefer is None or prefer == "auto":
        return torch.device(found[0])
    kind = torch.device(prefer).type
    if kind not in found:
        raise DeviceUnavailableError(
            f"Device {prefer!r} was requested, but this machine only has {found}.",
            f"pass device='cpu' (or device=None to pick automatically). {COLAB_GPU_HINT}",
        )
    return torch.device(prefer)


def describe_device(device: torch.device) -> str:
    """One line about the device, with a GPU hint when there is none."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu. No GPU found: fine for the pocket profile. {COLAB_GPU_HINT}"


def supports_bf16(device: torch.device) -> bool:
    """True when mixed precision can use bfloat16 on this device."""
    return device.type == "cuda" and torch.cuda.is_bf16_supported()
