import nbformat

from course_lib.__main__ import main
from course_lib.runner import clean_metadata, course_notebooks


def _write(path, *sources):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    notebook.metadata["widgets"] = {"state": {}}
    nbformat.write(notebook, path)
    return path


def test_runner_executes_in_order_and_reports(tmp_path, capsys):
    good = _write(tmp_path / "01_good.ipynb", "import os\nprint(os.environ['COURSE_PROFILE'])")
    bad = _write(tmp_path / "02_bad.ipynb", "raise ValueError('boom')")
    out_dir = tmp_path / "out"
    assert main(["run", "--profile", "pocket", "--output-dir", str(out_dir), str(good)]) == 0
    executed = nbformat.read(out_dir / "01_good.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"].strip() == "pocket"
    assert "widgets" not in executed.metadata
    assert main(["run", "--output-dir", str(out_dir), str(good), str(bad)]) == 1
    table = capsys.readouterr().out
    assert "02_bad.ipynb" in table and "FAILED" in table and "1/2 ok" in table
    assert "ValueError: boom" in table  # the failing cell's error, not the last traceback line


def test_lessons_are_found_in_order():
    names = [p.name for p in course_notebooks()]
    assert names == sorted(names) and names[0] == "00_start_here.ipynb"


def test_clean_metadata_drops_widget_state():
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    notebook.metadata["kernelspec"] = {"name": "my-venv-kernel", "display_name": "x"}
    clean_metadata(notebook)
    assert "widgets" not in notebook.metadata and notebook.metadata["kernelspec"]["name"] == "python3"
