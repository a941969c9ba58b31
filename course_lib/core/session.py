"""`setup()`: one call at the top of every lesson (versions, profile, device, seeds, printing)."""
import os
import platform
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import torch
import transformers

from . import checkpoints, data
from .device import describe_device, pick_device
from .errors import InputError
from .profiles import ProfileChoice, choose_profile, hub_is_offline_by_env


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and torch (CPU and all GPUs): `transformers.set_seed`, after checking the seed."""
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, but got {seed!r}.", "pass e.g. seed=0.")
    transformers.set_seed(seed)


def quiet_libraries() -> None:
    """Silence load-time progress bars and warnings so stored notebook outputs stay stable."""
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import datasets

        datasets.disable_progress_bars()
        datasets.logging.set_verbosity_error()
    except ImportError:
        pass


_SET_OFFLINE = {"by_us": False}  # True while HF_HUB_OFFLINE=1 is there because setup("pocket") put it there


def _set_hub_offline(offline: bool) -> None:
    """Make the already imported Hugging Face libraries (hub, datasets) agree with `offline`."""
    import sys

    import huggingface_hub.constants as hub_constants

    hub_constants.HF_HUB_OFFLINE = offline
    if "datasets" in sys.modules:  # datasets copies the flag at import time
        sys.modules["datasets"].config.HF_HUB_OFFLINE = offline


def go_offline() -> None:
    """Tell the Hugging Face libraries not to try the network (no waits on a dead connection)."""
    if not hub_is_offline_by_env():
        os.environ["HF_HUB_OFFLINE"] = "1"
        _SET_OFFLINE["by_us"] = True
    _set_hub_offline(True)


def undo_go_offline() -> None:
    """Undo `go_offline()` (and only that): a user's own HF_HUB_OFFLINE setting stays."""
    if _SET_OFFLINE["by_us"]:
        os.environ.pop("HF_HUB_OFFLINE", None)
        _SET_OFFLINE["by_us"] = False
        _set_hub_offline(hub_is_offline_by_env())


_CURRENT = {"profile": None}  # the profile of the last setup() in this kernel


def current_profile() -> ProfileChoice | None:
    """The profile the last `setup()` chose, or None before the first one."""
    return _CURRENT["profile"]


@dataclass
class Session:
    """What a lesson runs with: the profile, the device and the seed."""

    profile: ProfileChoice
    device: torch.device
    seed: int = 0

    def checkpoint(self, role: str) -> str:
        """The checkpoint name this session uses for `role`."""
        return self.profile.checkpoint(role)

    def load_tokenizer(self, role: str = "encoder", checkpoint: str | None = None):
        """The tokenizer for `role` in this session's profile."""
        return checkpoints.load_tokenizer(role, self.profile, checkpoint)

    def load_model(self, role: str = "encoder", auto_class=transformers.AutoModel, checkpoint: str | None = None, **kwargs):
        """The model for `role`, on this session's device, in eval mode."""
        return checkpoints.load_model(role, self.profile, auto_class, self.device, checkpoint, **kwargs)

    def load_sentiment(self):
        """Labeled train/validation/test splits of the sentiment data for this profile."""
        return data.load_sentiment(self.profile)

    def load_chinese_sentiment(self):
        """Labeled train/validation/test splits of the Chinese sentiment data for this profile."""
        return data.load_chinese_sentiment(self.profile)

    def load_snli(self, split: str = "test", limit: int | None = None, seed: int = 0):
        """SNLI pairs (the nli_data role) for this profile; no-gold-label rows dropped."""
        return data.load_snli(split, limit, seed, self.profile)

    @property
    def sizes(self) -> dict:
        """Data sizes and batch settings for this profile."""
        return self.profile.sizes


def setup(profile: str | None = None, device: str | None = None, seed: int = 0,
          overrides: dict | None = None, verbose: bool = True) -> Session:
    """Report versions, choose the profile and device, seed everything, set stable printing."""
    quiet_libraries()
    undo_go_offline()  # a second setup() in the same kernel decides afresh, e.g. full after pocket
    choice = choose_profile(profile, overrides)
    if choice.name == "pocket":
        go_offline()
    _CURRENT["profile"] = choice
    chosen_device = pick_device(device)
    seed_everything(seed)
    torch.set_printoptions(precision=4, sci_mode=False, linewidth=100)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    if verbose:
        print(f"BERT Workbench | python {platform.python_version()} | torch {torch.__version__} | transformers {transformers.__version__}")
        print(f"Profile: {choice.name} ({choice.reason})")
        print(f"Device:  {describe_device(chosen_device)}")
        print(f"Seed:    {seed}")
    return Session(choice, chosen_device, seed)
