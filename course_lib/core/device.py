"""Pick the compute device: CUDA, then Apple MPS, then CPU (or what $COURSE_DEVICE says)."""
import contextlib
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


NATIVE_BF16_CAPABILITY = (8, 0)  # Ampere (A100, RTX 30xx) and newer have bf16 tensor cores
PRECISION_ENV = "COURSE_PRECISION"  # "auto" (default) or "fp32": fp32 everywhere, e.g. to compare with a CPU without AMX
PRECISION_CHOICES = ("auto", "fp32")


def cpu_has_amx() -> bool:
    """True on CPUs with AMX matrix units (Intel Xeon 4th gen "Sapphire Rapids" and newer): bf16 matmuls in hardware."""
    return bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)())


def supports_bf16(device: torch.device) -> bool:
    """True only where bfloat16 runs natively, not by emulation: CUDA compute capability >= 8.0, or a CPU with AMX.

    `torch.cuda.is_bf16_supported()` also says yes on a T4 (7.5) or V100 (7.0), where bf16 is emulated
    and slow, so the capability is read instead. Most laptop CPUs have no AMX: bf16 there is slower than fp32.
    """
    device = torch.device(device)
    if device.type == "cpu":
        return cpu_has_amx()
    if device.type != "cuda" or not torch.cuda.is_available():
        return False
    return tuple(torch.cuda.get_device_capability(device)) >= NATIVE_BF16_CAPABILITY


def precision_setting() -> str:
    """$COURSE_PRECISION: "auto" (the hardware decides) or "fp32" (mixed precision off); anything else is an error."""
    value = (os.environ.get(PRECISION_ENV) or "auto").strip().lower()
    if value not in PRECISION_CHOICES:
        raise InputError(f"{PRECISION_ENV}={value!r} is not a precision setting.",
                         f"set {PRECISION_ENV} to one of {PRECISION_CHOICES}, or unset it (auto).")
    return value


@contextlib.contextmanager
def full_precision():
    """Inside this block train(), evaluate() and the cached-layer helpers use fp32 whatever the hardware."""
    before = os.environ.get(PRECISION_ENV)
    os.environ[PRECISION_ENV] = "fp32"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PRECISION_ENV, None)
        else:
            os.environ[PRECISION_ENV] = before
