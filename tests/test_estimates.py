"""Paper estimates: the slow-run warning before lesson 06's long cells and the README's T4 table."""
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from course_lib.core import estimates
from course_lib.core.profiles import SIZES


def fake_session(profile: str, device: str):
    return SimpleNamespace(sizes=SIZES[profile], device=torch.device(device), profile=SimpleNamespace(name=profile))


@pytest.fixture(scope="module")
def bert_base():
    """bert-base-uncased's architecture on the meta device: real parameter count, no memory, no download."""
    with torch.device("meta"):
        return BertForSequenceClassification(BertConfig(vocab_size=30522))


def test_parameter_counts_are_the_real_architectures(bert_base):
    assert sum(p.numel() for p in bert_base.parameters()) == estimates.ARCHS["bert-base-uncased"].params


def test_full_profile_on_a_cpu_warns_before_the_run_and_offers_the_faster_path(bert_base, capsys):
    message = estimates.warn_if_slow(fake_session("full", "cpu"), bert_base)
    assert capsys.readouterr().out.strip() == message
    assert message.startswith("Estimate: ") and "on a CPU" in message and "20,000 rows" in message
    per_token = 6 * 85_646_594 + 6 * 12 * 512 * 768  # 6 N (no embedding tables) + attention, Kaplan et al. 2020
    hours = per_token * 20_000 * 512 * 2 / 0.1e12 / 3600
    assert hours > 7 and f"at most about {hours:.1f} h" in message
    assert "COURSE_PROFILE=pocket" in message and "T4 GPU" in message and "overrides=" in message


def test_pocket_on_a_cpu_gets_one_estimate_line_and_no_alarm(capsys):
    tiny = torch.nn.Linear(1000, 1000)  # 1M parameters
    tiny.config = SimpleNamespace(num_hidden_layers=6, hidden_size=384, num_attention_heads=12)
    message = estimates.warn_if_slow(fake_session("pocket", "cpu"), tiny, rows=100, epochs=1, max_length=128)
    assert message.count("\n") == 0 and "Estimate:" in message and "long run" not in message
    assert capsys.readouterr().out.strip() == message


def test_a_cuda_gpu_needs_no_warning(bert_base, capsys):
    assert estimates.warn_if_slow(fake_session("full", "cuda"), bert_base) == ""
    assert capsys.readouterr().out == ""


def test_memory_estimate_matches_the_published_formulas_by_hand():
    states = 16 * 109_483_778  # fp32 weights + fp32 grads + 2 Adam moments
    activations = 12 * 512 * 16 * 768 * (34 + 5 * 12 * 512 / 768)  # Korthikanti et al. 2022, per layer x 12
    assert estimates.training_memory_gb(estimates.ARCHS["bert-base-uncased"], 16, 512) == pytest.approx((states + activations) / 1e9)


def test_t4_table_has_one_row_per_lesson_notebook():
    from course_lib.tools.runner import course_notebooks

    assert list(estimates.t4_estimates().index) == [p.name[:2] for p in course_notebooks()]


def test_t4_table_fits_a_t4():
    table = estimates.t4_estimates()
    memory = table["peak GB (estimate)"].drop("01")  # lesson 01 loads tokenizers only
    assert table.loc["01", "peak GB (estimate)"].startswith("-")
    assert (memory.astype(float) > 0).all() and (memory.astype(float) < estimates.T4_MEMORY_GB).all()
    half = estimates.training_estimate({**SIZES["full"], "max_length": 256}).loc["06", "T4 minutes (estimate)"]
    full = estimates.training_estimate(SIZES["full"]).loc["06", "T4 minutes (estimate)"]
    assert half.sum() < full.sum() / 1.8  # lesson 06 runs at max_length: time ~ tokens


def test_the_training_estimate_follows_the_sizes_the_lessons_read():
    """Lesson 07's compared modes and widget train for sizes["compare_epochs"] / sizes["widget_epochs"], in the
    lesson and here; lesson 06's real run and the Chinese run do not depend on them."""
    import json

    root = Path(__file__).parent.parent
    cells = json.loads((root / "notebooks" / "07_fine_tuning_modes.ipynb").read_text())["cells"]
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    code += (root / "course_lib" / "lessons" / "studies.py").read_text()  # the stored comparison of the modes
    assert 'sizes["compare_epochs"]' in code and 'sizes["widget_epochs"]' in code
    per_section = lambda sizes: estimates.training_estimate(sizes)["T4 minutes (estimate)"].groupby(level=[0, 1]).sum()
    minutes = per_section(SIZES["full"])
    longer = per_section({**SIZES["full"], "compare_epochs": 4, "widget_epochs": 6})
    changed = [key for key in minutes.index if longer[key] > minutes[key] * 1.5]
    assert changed and all(lesson == "07" for lesson, _ in changed), changed
    assert all("real run" not in section and "Chinese" not in section for _, section in changed), changed
