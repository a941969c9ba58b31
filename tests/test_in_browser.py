"""The course as a learner meets it: the widget lessons run in a real browser (headless Chromium), in two front ends.

- `lab`: JupyterLab 4 and the kernel of this venv (ipywidgets 8 here).
- `ipywidgets7`: Colab's widget generation. Colab's runtime holds ipywidgets 7.7.1 (googlecolab/backend-info); its
  own front end cannot run outside Google. The kernel here is the colab world's Python with Colab's whole package
  set (Python 3.13, ipywidgets 7.7.1, ipykernel 6.17.1, torch 2.11 ...), and the front end is the one ipywidgets 7
  ships for JupyterLab: JupyterLab 3.6 with jupyterlab_widgets 1.1, from a small venv of its own. (Colab's pinned
  classic Notebook 6.5.7 with widgetsnbextension 3.6.10 cannot create an `ipywidgets.Output` at all, course or no
  course: "_deserialize_state is not a function"; JupyterLab 4's jupyterlab_widgets 3 does not draw ipywidgets 7's
  controls. So neither can stand in for Colab's front end.)
  Both venvs come from `python -m course_lib worlds colab --browser`, which also installs this checkout's course_lib
  in the world (run directly, the world keeps the course_lib of its last build or check); the variables
  $COURSE_BROWSER_KERNEL and $COURSE_BROWSER_LAB name other Pythons; it is skipped (with the reason) where either is missing.

Slow: needs Debian's `chromium` and `pip install playwright` (no browser download). Run it with
`bash scripts/check_learner_experience.sh`, which installs both, or `python -m pytest -m slow tests/test_in_browser.py`.
Screenshots go to docs/screenshots/ (the README uses them; the ipywidgets 7 ones carry the prefix `ipywidgets7_`).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest

from course_lib.tools.worlds import WORK

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "docs" / "screenshots"
TOKEN = "bert-workbench-test"
CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook tab in front
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LAB_SETTINGS = {  # render every cell (no virtual scrolling) and never fetch news
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}
COLAB_KERNEL = Path(os.environ.get("COURSE_BROWSER_KERNEL") or WORK / "colab" / "venv" / "bin" / "python")
LAB3 = Path(os.environ.get("COURSE_BROWSER_LAB") or WORK / "lab3" / "bin" / "python")

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_notebooks(work: Path) -> Path:
    """A copy of the lessons with every stored output cleared: the browser must produce them."""
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    for path in (work / "notebooks").glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(notebook, path)
    return work / "notebooks"


def serve(command: list, env: dict):
    """Start a Jupyter server on loopback; yield its address; stop it."""
    port = _free_port()
    server = subprocess.Popen([*command, "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=30)


class Front(NamedTuple):
    """A JupyterLab serving the lessons: its address, and which front end it is ("lab" or "ipywidgets7")."""

    address: str
    name: str


@pytest.fixture(scope="module", params=["lab", "ipywidgets7"])
def front(request, tmp_path_factory):
    """A JupyterLab on loopback serving a scratch copy of the notebooks (see the module's docstring)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed: run scripts/check_learner_experience.sh")
    work = tmp_path_factory.mktemp(request.param)
    notebooks = scratch_notebooks(work)
    settings = work / "settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    env = {**os.environ, "COURSE_PROFILE": "pocket", "HF_HUB_OFFLINE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
           "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(work / "workspaces")}
    server = Path(sys.executable)
    if request.param == "ipywidgets7":
        missing = [str(p) for p in (COLAB_KERNEL, LAB3) if not p.exists()]
        if missing:
            pytest.skip(f"not built: {missing}; run `python -m course_lib worlds colab --build-only`, then `--browser`")
        server = LAB3
        spec = work / "jupyter" / "kernels" / "python3"  # "python3" is the colab world's Python, not the server's
        spec.mkdir(parents=True)
        spec.joinpath("kernel.json").write_text(json.dumps({
            "argv": [str(COLAB_KERNEL), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (the colab world)", "language": "python"}))
        cache = COLAB_KERNEL.parents[2] / "course_cache"  # the world's own pocket-data cache, as its suite uses
        env.update(JUPYTER_PATH=str(work / "jupyter"), **({"COURSE_CACHE": str(cache)} if cache.exists() else {}))
        env.pop("PYTHONPATH", None)
    command = [str(server), "-m", "jupyterlab", f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={notebooks}"]
    yield from (Front(address, request.param) for address in serve(command, env))


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        yield chromium
        chromium.close()


def open_and_run_all(browser, front: Front, notebook: str, timeout_s: int = 600):
    """Open a notebook in JupyterLab, Run > Run All Cells, and wait until every cell has run."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{front.address}/lab/tree/{notebook}?reset&token={TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    select_kernel = page.locator(".jp-Dialog button", has_text="Select")
    try:
        select_kernel.wait_for(timeout=5_000)
        select_kernel.click()
    except Exception:
        pass  # the kernel started without asking
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        # a hidden solution cell (collapsed source) shows no prompt text: judge the visible prompts, then the kernel
        prompts = [p.strip() for p in page.locator(f"{CURRENT} .jp-CodeCell .jp-InputPrompt").all_inner_texts()]
        visible = [p for p in prompts if p]
        if visible and all(p not in ("[ ]:", "[*]:") for p in visible) and kernel_is_idle(page):
            break
        time.sleep(1)
    else:
        raise AssertionError(f"{notebook}: cells still pending after {timeout_s} s: {prompts}")
    text = page.locator(f"{CURRENT} .jp-Notebook").inner_text()
    assert "Traceback (most recent call last)" not in text, f"{notebook} raised an error in {front.name}"
    return page


def kernel_is_idle(page) -> bool:
    """True when the notebook's kernel has been idle for two looks a second apart (no cell queued or running)."""
    indicator = page.locator(f"{CURRENT} .jp-Notebook-ExecutionIndicator, .jp-Notebook-ExecutionIndicator").first
    for _ in range(2):
        if indicator.get_attribute("data-status") != "idle":
            return False
        time.sleep(1)
    return True


def screenshot(front: Front, page, name: str, locator=None):
    SHOTS.mkdir(parents=True, exist_ok=True)
    prefix = "" if front.name == "lab" else f"{front.name}_"
    (locator or page).screenshot(path=str(SHOTS / (prefix + name)))


def test_start_here_runs_and_plots(browser, front):
    page = open_and_run_all(browser, front, "00_start_here.ipynb")
    if front.name == "ipywidgets7":  # the kernel really is the colab world's Python: the banner names its version
        version = subprocess.run([str(COLAB_KERNEL), "-c", "import platform; print(platform.python_version())"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        assert f"python {version} |" in page.locator(".jp-Notebook").inner_text()
    assert page.locator(".jp-OutputArea-output img").count() >= 1
    assert "Profile: pocket" in page.locator(".jp-Notebook").inner_text()
    plot = page.locator(".jp-OutputArea-output img").first
    plot.scroll_into_view_if_needed()
    screenshot(front, page, "00_start_here.png")
    page.close()


def test_tokenizer_explorer_reacts_to_typing(browser, front):
    from transformers import AutoTokenizer

    from course_lib.core.checkpoints import minilm_dir

    page = open_and_run_all(browser, front, "01_tokenization.ipynb")
    word = "Lucario juggles xylophones"
    expected = AutoTokenizer.from_pretrained(minilm_dir()).tokenize(word)
    box = page.locator(".widget-text input[type='text']").first
    box.scroll_into_view_if_needed()
    box.fill(word)
    box.press("Enter")
    explorer = page.locator(".widget-vbox").filter(has=page.locator(".widget-text")).first
    page.wait_for_function("([el, tok]) => el.innerText.includes(tok)", arg=[explorer.element_handle(), expected[-1]], timeout=15_000)
    shown = explorer.inner_text()
    assert all(piece in shown for piece in expected), (expected, shown[:500])
    screenshot(front, page, "01_tokenizer_explorer.png", explorer)
    page.close()


def test_attention_heatmap_follows_the_sliders(browser, front):
    page = open_and_run_all(browser, front, "02_hidden_states_and_pooler.ipynb")
    slider = page.locator(".widget-slider").first
    slider.scroll_into_view_if_needed()
    container = page.locator(".widget-vbox").filter(has=page.locator(".widget-slider")).first
    image = container.locator("img").first
    image.wait_for(timeout=30_000)
    before = image.get_attribute("src")
    handle = slider.locator(".noUi-handle, .ui-slider-handle").first  # ipywidgets 8 uses noUiSlider, 7 jQuery UI
    handle.click()
    handle.press("ArrowRight")
    page.wait_for_function("([img, old]) => img.getAttribute('src') !== old", arg=[image.element_handle(), before], timeout=30_000)
    assert page.locator(".jp-OutputArea-output img").count() >= 3  # attention, similarity and layer plots
    screenshot(front, page, "02_attention_explorer.png", container)
    page.close()


def run_table(panel) -> list[list[str]]:
    """The cells of every row of the freezing widget's run table (run, mode, groups, trainable params, seconds, accuracy)."""
    return [row.split("\t") for row in panel.locator("table tbody tr").all_inner_texts()]


def test_freezing_widget_counts_trains_and_compares_runs(browser, front):
    page = open_and_run_all(browser, front, "07_fine_tuning_modes.ipynb", timeout_s=1500)
    panel = page.locator(".widget-vbox").filter(has=page.locator(".widget-checkbox")).first
    panel.scroll_into_view_if_needed()
    count = panel.locator(".widget-label", has_text="trainable:").first  # the first label is the menu's "mode"
    runs_before = len(run_table(panel))  # the notebook itself pressed Train twice
    panel.locator("select").first.select_option("head_only")
    page.wait_for_function("el => el.innerText.startsWith('trainable: 770 of')", arg=count.element_handle(), timeout=15_000)
    panel.locator("button", has_text="Train").first.click()
    page.wait_for_function("([el, n]) => el.querySelectorAll('table tbody tr').length > n",
                           arg=[panel.element_handle(), runs_before], timeout=300_000)
    before = count.inner_text()
    panel.locator(".widget-checkbox", has_text="layer.5").locator("input").click()  # a hand-made choice
    page.wait_for_function("([el, old]) => el.innerText !== old", arg=[count.element_handle(), before], timeout=15_000)
    assert panel.locator("select").first.input_value() == "custom"
    panel.locator("button", has_text="Train").first.click()
    page.wait_for_function("([el, n]) => el.querySelectorAll('table tbody tr').length > n",
                           arg=[panel.element_handle(), runs_before + 1], timeout=300_000)
    panel.locator("select").first.select_option("lora")  # adapters instead of whole groups: a third run
    page.wait_for_function("el => el.innerText.includes('adapters')", arg=count.element_handle(), timeout=15_000)
    panel.locator("button", has_text="Train").first.click()
    page.wait_for_function("([el, n]) => el.querySelectorAll('table tbody tr').length > n",
                           arg=[panel.element_handle(), runs_before + 2], timeout=600_000)
    rows = run_table(panel)[runs_before:]
    assert [row[1] for row in rows] == ["head_only", "custom", "lora"], rows
    trainable = [int(row[3].replace(",", "")) for row in rows]
    assert trainable[0] == 770 and trainable[1] > trainable[0], rows  # two runs, two different freezings
    assert 770 < trainable[2] < trainable[1], rows  # LoRA: adapters, pooler and head; fewer than a whole layer
    # the live loss plot and the runs plot (drawn just after the table's new row: wait for it)
    page.wait_for_function("el => el.querySelectorAll('img').length >= 2", arg=panel.element_handle(), timeout=30_000)
    page.set_viewport_size({"width": 1400, "height": 2000})  # the whole panel: boxes, loss plot, table, runs plot
    panel.scroll_into_view_if_needed()
    screenshot(front, page, "07_freezing_widget.png", panel)
    page.close()
