"""Run the course headless: execute the lessons, longest first, one per core, save executed copies, print a status
table in lesson order.

Every lesson runs in a kernel of its own, so lessons are independent: on N cores N kernels run at once, each with one
thread (two kernels with two threads each on two cores would only fight over them), the longest lessons started
first so the last to finish is a short one. Kernels talk to the runner over local IPC sockets, not TCP, and skip the
debugger's frozen-module check, so the runner prints only the course's own progress and results.
"""
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
from traitlets.config import Config
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from tqdm.auto import tqdm

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
CELL_TIMEOUT_S = 1800
# Rough seconds of each lesson at one thread on a 2-core CPU without AMX (pocket profile), to start the longest
# first; a lesson not listed counts as DEFAULT_SECONDS. Only the order depends on these numbers.
LESSON_SECONDS = {"00": 15, "01": 15, "02": 45, "03": 25, "04": 20, "05": 40, "06": 230, "07": 90, "08": 25, "09": 30}
DEFAULT_SECONDS = 30
# Finding the kernel ("python3") imports ipykernel in this process too, and ipykernel 6 (Colab's) imports debugpy with it,
# which warns about frozen modules on Python 3.11+ unless this is set: the runner's own process stays quiet as well.
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
QUIET_KERNEL = {"PYDEVD_DISABLE_FILE_VALIDATION": "1",  # no "frozen modules" debugger warning (Python 3.11+)
                "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}


@dataclass
class RunResult:
    """How one notebook run went."""

    notebook: str
    status: str  # "ok" or "FAILED"
    seconds: float
    error: str = ""


def course_notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The lessons, in order (their names start with a two-digit number)."""
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*.ipynb"))


def kernel_config(folder: Path) -> Config:
    """Kernels reached over IPC sockets in `folder` where the OS has them (no TCP: no unencrypted-TCP warning)."""
    if os.name != "posix":
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": str(Path(folder) / "kernel")}})


def execute_notebook(path: Path, profile: str | None = None, timeout: int = CELL_TIMEOUT_S, env: dict | None = None):
    """Execute one notebook in a fresh kernel (cwd = its folder; `env` and the profile added to its environment)."""
    notebook = nbformat.read(path, as_version=4)
    profile_env = {"COURSE_PROFILE": profile} if profile else {}
    with tempfile.TemporaryDirectory(prefix="course_kernel_") as sockets:  # one folder per kernel: no shared sockets
        client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                                config=kernel_config(Path(sockets)), resources={"metadata": {"path": str(Path(path).parent)}})
        client.execute(env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1", **profile_env, **(env or {})})
    return notebook


def clean_metadata(notebook) -> None:
    """Drop widget state and machine-specific kernel names before a notebook is committed."""
    notebook.metadata.pop("widgets", None)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)


def failure_line(err: CellExecutionError) -> str:
    """'ErrorName: first line of its message' of a failed cell, for the status table."""
    message = (str(getattr(err, "evalue", "") or "").strip().splitlines() or [""])[0]
    if getattr(err, "ename", None):
        return f"{err.ename}: {message}"[:200]
    return str(err).strip().splitlines()[-1][:200]


def expected_seconds(path: Path) -> float:
    """How long a lesson roughly takes (LESSON_SECONDS by its number), for ordering only."""
    return LESSON_SECONDS.get(Path(path).name[:2], DEFAULT_SECONDS)


def longest_first(notebooks: list[Path]) -> list[Path]:
    """The lessons in the order to start them: the longest first, so the last to finish is a short one."""
    return sorted(notebooks, key=lambda p: -expected_seconds(p))


def run_one(path: Path, output_dir: Path, profile: str | None, env: dict | None = None) -> RunResult:
    """Execute one lesson and write its executed copy (when it ran to the end or to a failing cell)."""
    start = time.perf_counter()
    try:
        executed = execute_notebook(path, profile, env=env)
        status, error = "ok", ""
    except CellExecutionError as err:
        executed, status, error = None, "FAILED", failure_line(err)
    if executed is not None:
        clean_metadata(executed)
        nbformat.write(executed, output_dir / path.name)
    return RunResult(path.name, status, time.perf_counter() - start, error)


def run_course(notebooks: list[Path], output_dir: Path, profile: str | None = None, cores: int | None = None,
               env: dict | None = None) -> list[RunResult]:
    """Execute `notebooks`, one kernel per core, longest first; write executed copies to `output_dir`.

    Results come back in lesson order. Each kernel computes with one thread and its OpenMP threads sleep instead of
    spinning while they wait, so N kernels share N cores.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(cores or os.cpu_count() or 1, len(notebooks)))
    kernel_env = {**QUIET_KERNEL, **(env or {})}
    with tqdm(total=len(notebooks), desc="course", unit="lesson") as bar, ThreadPoolExecutor(workers) as pool:
        def run(path):
            result = run_one(path, output_dir, profile, kernel_env)
            bar.update(1)
            return result

        results = list(pool.map(run, longest_first(notebooks)))
    order = {Path(p).name: i for i, p in enumerate(notebooks)}
    return sorted(results, key=lambda r: order[r.notebook])


def format_table(results: list[RunResult], wall_seconds: float | None = None) -> str:
    """A plain-text table of notebook, status and time, and the wall-clock time (less than the sum: lessons share cores)."""
    width = max([len(r.notebook) for r in results] + [8])
    lines = [f"{'notebook':<{width}}  status  seconds", "-" * (width + 17)]
    for r in results:
        lines.append(f"{r.notebook:<{width}}  {r.status:<6}  {r.seconds:7.1f}" + (f"  {r.error}" if r.error else ""))
    lines.append(f"{'total':<{width}}  {sum(r.status == 'ok' for r in results)}/{len(results)} ok  {sum(r.seconds for r in results):5.1f}")
    if wall_seconds is not None:
        lines.append(f"{'wall clock':<{width}}          {wall_seconds:5.1f}")
    return "\n".join(lines)


def store_outputs(path: Path, profile: str = "pocket") -> float:
    """Maintainers: re-execute a notebook in place (pocket profile) so nbval has fresh reference outputs."""
    start = time.perf_counter()
    executed = execute_notebook(path, profile)
    clean_metadata(executed)
    nbformat.write(executed, path)
    return time.perf_counter() - start
