"""Run the course headless: execute notebooks in order, save executed copies, print a status table."""
import os
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from tqdm.auto import tqdm

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
CELL_TIMEOUT_S = 1800


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


def execute_notebook(path: Path, profile: str | None = None, timeout: int = CELL_TIMEOUT_S):
    """Execute one notebook in a fresh kernel (cwd = its folder); return the executed notebook."""
    notebook = nbformat.read(path, as_version=4)
    if profile:
        os.environ["COURSE_PROFILE"] = profile  # the kernel inherits this process's environment
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute()
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


def run_course(notebooks: list[Path], output_dir: Path, profile: str | None = None) -> list[RunResult]:
    """Execute `notebooks` in order, writing executed copies to `output_dir`."""
    output_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for path in tqdm(notebooks, desc="course", unit="notebook"):
        start = time.perf_counter()
        try:
            executed = execute_notebook(path, profile)
            status, error = "ok", ""
        except CellExecutionError as err:
            executed, status, error = None, "FAILED", failure_line(err)
        results.append(RunResult(path.name, status, time.perf_counter() - start, error))
        if executed is not None:
            clean_metadata(executed)
            nbformat.write(executed, output_dir / path.name)
    return results


def format_table(results: list[RunResult]) -> str:
    """A plain-text table of notebook, status and time."""
    width = max([len(r.notebook) for r in results] + [8])
    lines = [f"{'notebook':<{width}}  status  seconds", "-" * (width + 17)]
    for r in results:
        lines.append(f"{r.notebook:<{width}}  {r.status:<6}  {r.seconds:7.1f}" + (f"  {r.error}" if r.error else ""))
    lines.append(f"{'total':<{width}}  {sum(r.status == 'ok' for r in results)}/{len(results)} ok  {sum(r.seconds for r in results):5.1f}")
    return "\n".join(lines)


def store_outputs(path: Path, profile: str = "pocket") -> float:
    """Maintainers: re-execute a notebook in place (pocket profile) so nbval has fresh reference outputs."""
    start = time.perf_counter()
    executed = execute_notebook(path, profile)
    clean_metadata(executed)
    nbformat.write(executed, path)
    return time.perf_counter() - start
