"""Build lesson notebooks with the same first cells (Colab bootstrap, then `setup()`)."""
import nbformat

from .repository import github_url, pip_source

REPO_URL = github_url()  # from course_lib/repository.py, the one place that names the repository

BOOTSTRAP_CELL = f'''# Colab / fresh machine: install course_lib if it is missing (a no-op once it is installed).
import importlib, importlib.util, pathlib, subprocess, sys
if importlib.util.find_spec("course_lib") is None:
    repo = pathlib.Path.cwd().parent
    source = str(repo) if (repo / "pyproject.toml").exists() else "{pip_source()}"
    print(f"Installing course_lib from {{source}} ...")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)
    importlib.invalidate_caches()
import course_lib'''

SETUP_CELL = "session = course_lib.setup()"


def new_lesson(title_markdown: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook: title, bootstrap and setup cells, then `cells` as ("md"|"code", source) pairs."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(title_markdown),
                      nbformat.v4.new_code_cell(BOOTSTRAP_CELL),
                      nbformat.v4.new_code_cell(SETUP_CELL)]
    for kind, source in cells:
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        notebook.cells.append(make(source.strip("\n")))
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def panel(children, text: str):
    """A VBox whose stored text form is `text`, not a `VBox(children=...)` repr, where no widget can render."""
    import ipywidgets as widgets

    class Panel(widgets.VBox):
        def __repr__(self) -> str:
            return text

    return Panel(children)
