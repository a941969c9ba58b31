"""Run the course headless: execute notebooks (the longest beside the others on 2+ cores), save executed copies,
print a status table in lesson order."""
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from tqdm.auto import tqdm

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
CELL_TIMEOUT_S = 1800
LONGEST_LESSON = "06_fine_tuning_modes"  # about two thirds of the course's run time (README, "Times")


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


def execute_notebook(path: Path, profile: str | None = None, timeout: int = CELL_TIMEOUT_S, env: dict | None = None):
    """Execute one notebook in a fresh kernel (cwd = its folder, `env` added to its environment)."""
    notebook = nbformat.read(path, as_version=4)
    if profile:
        os.environ["COURSE_PROFILE"] = profile  # the kernel inherits this process's environment
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute(env={**os.environ, **(env or {})})
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


def lanes(notebooks: list[Path], cores: int) -> list[list[Path]]:
    """With 2+ cores, the longest lesson in one lane and the others, in order, in a second; else one lane."""
    longest = [p for p in notebooks if Path(p).stem == LONGEST_LESSON]
    others = [p for p in notebooks if Path(p).stem != LONGEST_LESSON]
    return [longest, others] if cores >= 2 and longest and others else [list(notebooks)]


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


def run_lane(lane: list[Path], output_dir: Path, profile: str | None, env: dict | None, bar) -> list[RunResult]:
    """Execute the lessons of one lane one after the other."""
    results = []
    for path in lane:
        results.append(run_one(path, output_dir, profile, env))
        bar.update(1)
    return results


def run_course(notebooks: list[Path], output_dir: Path, profile: str | None = None) -> list[RunResult]:
    """Execute `notebooks`, writing executed copies to `output_dir`; results in lesson order.

    Every lesson runs in its own kernel, so they are independent: with 2+ cores the longest one runs beside the
    others. Those get 1 thread each, and OpenMP threads sleep instead of spinning while they wait, so the two kernels
    share the cores (measured on 2 cores: 2:46 instead of 3:03 one after the other; 3:00 with spinning threads).
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    groups = lanes(notebooks, os.cpu_count() or 1)
    shared = {"OMP_WAIT_POLICY": "PASSIVE"} if len(groups) > 1 else {}
    envs = [shared] + [{**shared, "OMP_NUM_THREADS": "1"}] * (len(groups) - 1)
    with tqdm(total=len(notebooks), desc="course", unit="notebook") as bar, ThreadPoolExecutor(len(groups)) as pool:
        futures = [pool.submit(run_lane, lane, output_dir, profile, env, bar) for lane, env in zip(groups, envs)]
        results = [result for future in futures for result in future.result()]
    order = {Path(p).name: i for i, p in enumerate(notebooks)}
    return sorted(results, key=lambda r: order[r.notebook])


def format_table(results: list[RunResult], wall_seconds: float | None = None) -> str:
    """A plain-text table of notebook, status and time, and the wall-clock time (less when lessons ran side by side)."""
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
