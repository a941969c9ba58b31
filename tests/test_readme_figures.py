"""Numbers that agree: every figure the README quotes from a lesson's stored outputs is found there, as exact text.

How to mark a quote (invisible on GitHub): put an HTML comment before the paragraph, table or list item that
quotes the figures, naming the notebook and each figure exactly as the stored output prints it:

    <!-- figures from notebooks/09_use_your_own_model.ipynb: "3,697,538 of 22,713,986", "4.7 s for 2 epochs" -->
    Fine-tuning the last 2 layers ... (3,697,538 of 22,713,986 parameters) ... 4.7 s for 2 epochs ...

The test fails when a figure is missing from that notebook's stored outputs (the lesson changed, or the README
was typed by hand), or from the text that follows the comment (the comment and the prose drifted apart). After
re-storing a lesson, run this test: it names every README figure that no longer matches.
"""
import re
from pathlib import Path

import nbformat
import pytest

from course_lib.tools.notebook_tools import stored_text

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = re.compile(r"<!--\s*figures from (?P<notebook>\S+\.ipynb):(?P<figures>.*?)-->", re.S)
QUOTE = re.compile(r'"([^"]+)"')


def quoted_passage(text: str, end_of_marker: int) -> str:
    """The text a marker vouches for: from the marker to the next blank line (one paragraph, table or list item)."""
    rest = text[end_of_marker:].lstrip("\n")
    blank = re.search(r"\n\s*\n", rest)
    return rest[:blank.start()] if blank else rest


def markers(text: str) -> list[tuple[str, list[str], str]]:
    """(notebook path, figures, the passage after the marker) for every marker in `text`."""
    return [(m["notebook"], QUOTE.findall(m["figures"]), quoted_passage(text, m.end())) for m in MARKER.finditer(text)]


def problems(text: str, root: Path = ROOT) -> list[str]:
    """Every figure that is not where a marker says it is, in words."""
    found = []
    for notebook, figures, passage in markers(text):
        path = root / notebook
        if not path.exists():
            found.append(f"{notebook}: no such notebook")
            continue
        if not figures:
            found.append(f"{notebook}: a marker quotes no figure (write them in double quotes)")
        outputs = stored_text(nbformat.read(path, as_version=4))
        for figure in figures:
            if figure not in outputs:
                found.append(f"{notebook}: its stored outputs do not contain {figure!r}")
            if figure not in passage:
                found.append(f"{notebook}: the README text after the marker does not quote {figure!r}")
    return found


def test_the_readme_marks_its_figures_from_the_lessons():
    named = {Path(notebook).name[:2] for notebook, _, _ in markers(README.read_text())}
    assert named >= {"00", "01", "02", "03", "04", "05", "09"}, f"lessons with marked figures: {sorted(named)}"


def test_every_marked_readme_figure_is_in_the_stored_outputs():
    found = problems(README.read_text())
    assert not found, "README figures that do not match the stored outputs:\n" + "\n".join(found)


def test_a_figure_the_outputs_do_not_print_is_caught(tmp_path):
    cell = nbformat.v4.new_code_cell("print(1)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="training: 4.7 s for 2 epochs\n")]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    (tmp_path / "notebooks").mkdir()
    nbformat.write(notebook, tmp_path / "notebooks" / "99_x.ipynb")
    good = '<!-- figures from notebooks/99_x.ipynb: "4.7 s for 2 epochs" -->\nIt trains in 4.7 s for 2 epochs.\n'
    assert problems(good, tmp_path) == []
    typed_by_hand = '<!-- figures from notebooks/99_x.ipynb: "11.5 s" -->\nabout 11.5 s of CPU time per epoch\n'
    assert problems(typed_by_hand, tmp_path) == ["notebooks/99_x.ipynb: its stored outputs do not contain '11.5 s'"]
    drifted = '<!-- figures from notebooks/99_x.ipynb: "4.7 s for 2 epochs" -->\nIt trains in 5 s.\n\nIt trains in 4.7 s for 2 epochs.'
    assert problems(drifted, tmp_path) == ["notebooks/99_x.ipynb: the README text after the marker does not quote "
                                           "'4.7 s for 2 epochs'"]
    with pytest.raises(AssertionError):
        assert not problems('<!-- figures from notebooks/98_missing.ipynb: "1" -->\n1\n', tmp_path)
