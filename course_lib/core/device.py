"""Pick the compute device: CUDA, then Apple MPS, then CPU (or what $COURSE_DEVICE says)."""
import os

import torch

from .errors import DeviceUnavailableError, InputError

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


DEVICE_ALIASES = {"gpu": "cuda"}  # what people type -> what PyTorch calls it


def device_count(kind: str) -> int:
    """How many devices of `kind` ("cuda", "mps", "cpu") this machine has."""
    return torch.cuda.device_count() if kind == "cuda" else 1


def parse_device(prefer, found: list[str]) -> torch.device:
    """A torch.device from what the learner typed ("gpu", "GPU:0", "cuda", 0, torch.device(...))."""
    if isinstance(prefer, torch.device):
        return prefer
    if isinstance(prefer, bool) or not isinstance(prefer, (str, int)):
        raise InputError(f"device must be a string like 'cpu' or 'cuda', but got {type(prefer).__name__} {prefer!r}.",
                         "pass device=session.device (or 'cpu', 'cuda', 'cuda:0', 'mps'; None picks automatically).")
    name = prefer.strip().lower() if isinstance(prefer, str) else prefer
    alias = name.split(":")[0] if isinstance(name, str) else None
    if alias in DEVICE_ALIASES:
        name = name.replace(alias, DEVICE_ALIASES[alias], 1)
        if DEVICE_ALIASES[alias] in found:
            print(f"Note: device {prefer!r} means {name!r} in PyTorch; using {name!r}.")
    try:
        return torch.device(name)
    except (RuntimeError, ValueError):
        raise DeviceUnavailableError(f"{prefer!r} is not a device name PyTorch knows (this machine has {found}).",
                                     f"pass device='cpu' (or device=None to pick automatically). {COLAB_GPU_HINT}") from None


def pick_device(prefer: str | None = None) -> torch.device:
    """Return `prefer` if it exists here ("gpu" means "cuda"), else the best available device for None/"auto"."""
    found = available_devices()
    prefer = prefer if prefer is not None else (os.environ.get(DEVICE_ENV) or None)
    if prefer is None or prefer == "auto":
        return torch.device(found[0])
    device = parse_device(prefer, found)
    if device.type not in found:
        raise DeviceUnavailableError(
            f"Device {prefer!r} was requested, but this machine only has {found}.",
            f"pass device='cpu' (or device=None to pick automatically). {COLAB_GPU_HINT}",
        )
    count = device_count(device.type)
    if device.index is not None and device.index >= count:
        raise DeviceUnavailableError(
            f"Device {prefer!r} does not exist: this machine has {count} {device.type} device(s), "
            f"numbered {device.type}:0 to {device.type}:{count - 1}.",
            f"pass device='{device.type}' (the first one) or an index below {count}.")
    return device


def describe_device(device: torch.device) -> str:
    """One line about the device, with a GPU hint when there is none."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu. No GPU found: fine for the pocket profile. {COLAB_GPU_HINT}"
