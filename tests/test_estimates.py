"""Paper estimates: the slow-run warning before lesson 06's long cells and the README's T4 table."""
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from course_lib import estimates
from course_lib.profiles import SIZES


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


def test_t4_table_covers_every_lesson_and_fits_a_t4():
    table = estimates.t4_estimates()
    assert list(table.index) == ["00", "01", "02", "03", "04", "05", "06", "07"]
    memory = table["peak GB (estimate)"].drop("01")  # lesson 01 loads tokenizers only
    assert table.loc["01", "peak GB (estimate)"].startswith("-")
    assert (memory.astype(float) > 0).all() and (memory.astype(float) < estimates.T4_MEMORY_GB).all()
    six = estimates.lesson06_estimate({**SIZES["full"], "max_length": 256})
    halved = estimates.lesson06_estimate(SIZES["full"])
    assert six["T4 minutes (estimate)"].sum() < halved["T4 minutes (estimate)"].sum() / 1.8  # time ~ tokens


def test_lesson06_estimate_follows_the_sizes_the_notebook_reads():
    """The compared modes and the widget train for sizes["compare_epochs"] / sizes["widget_epochs"], in the lesson and here."""
    import json

    cells = json.loads((Path(__file__).parent.parent / "notebooks" / "06_fine_tuning_modes.ipynb").read_text())["cells"]
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert 'sizes["compare_epochs"]' in code and 'sizes["widget_epochs"]' in code
    minutes = {section: row["T4 minutes (estimate)"] for section, row in
               estimates.lesson06_estimate(SIZES["full"]).iterrows()}
    longer = {section: row["T4 minutes (estimate)"] for section, row in
              estimates.lesson06_estimate({**SIZES["full"], "compare_epochs": 4, "widget_epochs": 6}).iterrows()}
    changed = [section for section in minutes if longer[section] > minutes[section] * 1.5]
    assert changed and all("real run" not in s and "Chinese" not in s for s in changed), changed
