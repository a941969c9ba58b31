"""The model hub: is it reachable, did the learner ask to stay offline, and switching the libraries offline.

One place for both jobs: `setup("pocket")` goes offline (no waits on a dead connection), a later `setup("full")`
comes back online, and the rehearsal points the libraries at a local stand-in cache.
"""
import os
import socket
import sys
from urllib.parse import urlparse

OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
PROBE_TIMEOUT_S = 2.0
_SET_BY_US = {"offline": False}  # True while HF_HUB_OFFLINE=1 is there because go_offline() put it there


def offline_by_env() -> bool:
    """True when the learner told the Hugging Face libraries to stay offline (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE)."""
    return any(os.environ.get(v, "").strip().lower() in {"1", "true", "yes", "on"} for v in OFFLINE_VARIABLES)


def reachable(timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Try a TCP connection to the model hub ($HF_ENDPOINT); never waits longer than `timeout`."""
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def tell_libraries(offline: bool) -> None:
    """Make the already imported hub libraries agree with `offline` (both read HF_HUB_OFFLINE once, at import)."""
    import huggingface_hub.constants as hub_constants

    hub_constants.HF_HUB_OFFLINE = offline
    if "datasets" in sys.modules:
        sys.modules["datasets"].config.HF_HUB_OFFLINE = offline


def go_offline() -> None:
    """Set HF_HUB_OFFLINE=1 (unless the learner already did) and tell the libraries."""
    if not offline_by_env():
        os.environ["HF_HUB_OFFLINE"] = "1"
        _SET_BY_US["offline"] = True
    tell_libraries(True)


def undo_go_offline() -> None:
    """Undo `go_offline()`, and only that: a learner's own HF_HUB_OFFLINE stays."""
    if _SET_BY_US["offline"]:
        os.environ.pop("HF_HUB_OFFLINE", None)
        _SET_BY_US["offline"] = False
        tell_libraries(offline_by_env())
