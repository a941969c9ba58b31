from pathlib import Path

import nbformat

from course_lib.__main__ import main
from course_lib.tools.runner import DEFAULT_SECONDS, LESSON_SECONDS, clean_metadata, course_notebooks, format_table, longest_first, run_course


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


def test_the_longest_lessons_start_first():
    longest = max(LESSON_SECONDS, key=LESSON_SECONDS.get)
    shortest = min(LESSON_SECONDS, key=LESSON_SECONDS.get)
    names = [Path(f"{n}_lesson.ipynb") for n in (shortest, longest, "99")]  # 99: not listed, DEFAULT_SECONDS
    order = [p.name[:2] for p in longest_first(names)]
    assert order[0] == longest and order[-1] == (shortest if LESSON_SECONDS[shortest] < DEFAULT_SECONDS else "99")
    assert sorted(longest_first(names)) == sorted(names)  # the same lessons, only reordered


def test_side_by_side_lessons_report_in_order_with_one_passive_thread_each(tmp_path):
    probe = "import os\nprint(os.environ.get('OMP_NUM_THREADS'), os.environ.get('OMP_WAIT_POLICY'))"
    longest = max(LESSON_SECONDS, key=LESSON_SECONDS.get)
    paths = [_write(tmp_path / f"{name}.ipynb", probe) for name in ("01_first", f"{longest}_longest", "09_last")]
    results = run_course(paths, tmp_path / "out", "pocket", cores=2)
    assert [r.notebook for r in results] == [p.name for p in paths] and all(r.status == "ok" for r in results)
    printed = {p.stem: nbformat.read(tmp_path / "out" / p.name, as_version=4).cells[0].outputs[0]["text"].split()
               for p in paths}
    assert all(words == ["1", "PASSIVE"] for words in printed.values()), printed
    assert "wall clock" in format_table(results, 12.0)
