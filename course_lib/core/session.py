"""`setup()`: one call at the top of every lesson (versions, profile, device, seeds, printing)."""
import os
import platform
import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import torch
import transformers

from . import checkpoints, data, hub
from .device import describe_device, pick_device
from .errors import InputError
from .lesson_costs import cpu_reason
from .profiles import ProfileChoice, choose_profile, remember


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
    # A DataLoader a library builds with pin_memory=True warns on a machine without a GPU; nothing is wrong there.
    warnings.filterwarnings("ignore", message=".*'pin_memory' argument is set as true but no accelerator is found.*",
                            category=UserWarning)
    try:
        import datasets

        datasets.disable_progress_bars()
        datasets.logging.set_verbosity_error()
    except ImportError:
        pass


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
          overrides: dict | None = None, verbose: bool = True, lesson: str | None = None) -> Session:
    """Report versions, choose the profile and device, seed everything, set stable printing.

    `lesson` ("04", each notebook's setup cell passes its own): on a CPU machine that reaches the hub, `auto` chooses
    per lesson from its estimated CPU cost (the real checkpoints for a lesson that only runs them on a few texts).
    """
    quiet_libraries()
    hub.undo_go_offline()  # a second setup() in the same kernel decides afresh, e.g. full after pocket
    choice = remember(choose_profile(profile, overrides, lesson, cpu_choice=cpu_reason))
    if choice.name == "pocket":
        hub.go_offline()
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
