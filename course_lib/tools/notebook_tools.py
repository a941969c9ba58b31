"""The first two cells of every lesson: the Colab bootstrap, then `setup()` (tests check every notebook starts so)."""
import re
from pathlib import Path

from .repository import github_url, pip_source

REPO_URL = github_url()  # from course_lib/repository.py, the one place that names the repository

BOOTSTRAP_CELL = f'''# Colab / fresh machine: install course_lib if it is missing (a no-op once it is installed). It adds only what is
# missing and keeps every package already installed at its version, so Colab needs no restart.
import importlib, importlib.metadata as meta, importlib.util, pathlib, re, subprocess, sys, tempfile
if importlib.util.find_spec("course_lib") is None:
    repo = pathlib.Path.cwd().parent
    source = str(repo) if (repo / "pyproject.toml").exists() else "{pip_source()}"
    keep = {{re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version for d in reversed(list(meta.distributions()))
            if d.metadata["Name"] and re.fullmatch(r"[0-9][0-9A-Za-z.+!]*", d.version)}}
    held = pathlib.Path(tempfile.mkdtemp()) / "installed.txt"
    held.write_text("".join(f"{{name}}=={{version}}\\n" for name, version in keep.items()))
    print(f"Installing course_lib from {{source}} (only what is missing; installed packages stay as they are) ...")
    pip = [sys.executable, "-m", "pip", "install", "-q", source]
    if subprocess.run(pip + ["-c", str(held)]).returncode != 0:
        print("course_lib needs other versions of packages installed here, so pip replaces them. If it says so, "
              "restart (Colab: Runtime > Restart session) and run this cell again.")
        subprocess.run(pip, check=True)
    importlib.invalidate_caches()
import course_lib'''

# Each lesson passes its number: on a CPU that reaches the hub, `auto` chooses the profile per lesson from its cost.
SETUP_CELL = 'session = course_lib.setup(lesson="{lesson}")'


def setup_cell(notebook) -> str:
    """The setup cell of notebooks/NN_name.ipynb: SETUP_CELL with its lesson number NN."""
    return SETUP_CELL.format(lesson=Path(notebook).name[:2])


def is_setup_cell(source: str) -> bool:
    """True for SETUP_CELL with some two-digit lesson number."""
    return re.fullmatch(re.escape(SETUP_CELL).replace(re.escape("{lesson}"), r"\d\d"), source) is not None


def rewrite_first_cells(paths, bootstrap: bool = True, setup: bool = True) -> list:
    """Make each notebook's first code cell BOOTSTRAP_CELL and its second setup_cell(path), changing nothing else.

    Each file is read fresh and written back at once, as plain text: only the source lines of those two cells change
    (outputs, execution counts and every other cell stay byte for byte). Returns the paths that changed.
    """
    import json

    changed = []
    for path in map(Path, paths):
        text = path.read_text(encoding="utf-8")
        notebook = json.loads(text)
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        wanted = [(0, BOOTSTRAP_CELL)] * bootstrap + [(1, setup_cell(path))] * setup
        updated = text
        for index, source in wanted:
            old = code[index]["source"]
            old = "".join(old) if isinstance(old, list) else old
            if old == source:
                continue
            new_lines, old_lines = source.splitlines(keepends=True), old.splitlines(keepends=True)
            as_json = lambda lines: json.dumps(lines, indent=1, ensure_ascii=False).replace("\n", "\n   ")
            old_text, new_text = f'"source": {as_json(old_lines)}', f'"source": {as_json(new_lines)}'
            if updated.count(old_text) != 1:
                raise ValueError(f"{path.name}: cell {index + 1}'s source is not stored in the usual nbformat layout")
            updated = updated.replace(old_text, new_text)
        if updated != text:
            json.loads(updated)  # still a notebook
            path.write_text(updated, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":  # python -m course_lib.tools.notebook_tools notebooks/*.ipynb
    import sys

    for changed in rewrite_first_cells(sys.argv[1:]):
        print(f"updated {changed}")


def stored_text(notebook) -> str:
    """Everything a notebook's stored outputs show a learner (streams, text/plain, text/html), as one string."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") or "")
            for kind in ("text/plain", "text/html"):
                value = output.get("data", {}).get(kind, "")
                parts.append("".join(value) if isinstance(value, list) else value)
    return "\n".join(parts)
