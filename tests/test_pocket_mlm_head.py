"""The committed pocket MLM head: it loads with no missing head keys and beats chance on held-out sentences."""
import importlib.util
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForMaskedLM

import course_lib
from course_lib.lessons import masked_lm
from course_lib.core.checkpoints import HEADS_DIR, head_metadata

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "train_pocket_mlm_head.py"
HEAD = HEADS_DIR / "mlm_head.safetensors"
needs_head = pytest.mark.skipif(not HEAD.exists(), reason="no trained pocket MLM head is committed")


@needs_head
def test_head_loads_without_missing_head_keys(session):
    model = session.load_model("mlm", AutoModelForMaskedLM)
    assert model.loading_info.get("pocket_head") == "mlm_head.safetensors"
    assert not [k for k in model.loading_info["missing_keys"] if k.startswith("cls.")]
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight  # still tied after the overlay
    assert "UNTRAINED" not in course_lib.describe_load(model)


@pytest.fixture(scope="module")
def heldout_scores(session, tokenizer):
    """The committed head measured afresh on 100 held-out sentences (a quarter of the script's), masked with seed 1."""
    model = session.load_model("mlm", AutoModelForMaskedLM)
    heldout = masked_lm.mlm_sentences(seed=0)["heldout"][1::4]  # sentences the script never trained on
    frequent = tokenizer.convert_tokens_to_ids([".", "the", "a", ",", "and"])
    return (masked_lm.masked_token_accuracy(model, tokenizer, heldout, session.device, seed=1),
            masked_lm.frequency_baseline(tokenizer, heldout, frequent, seed=1))


@needs_head
def test_head_beats_chance_and_frequency_on_heldout_sentences(tokenizer, heldout_scores):
    trained, always_frequent = heldout_scores
    assert trained["masked_tokens"] > 150
    assert trained["top1"] > 100 / len(tokenizer)  # chance is 1 / 30522
    assert trained["top5"] > always_frequent["top5"] + 0.05
    assert trained["top1"] > always_frequent["top1"]


@needs_head
def test_sidecar_metrics_agree_with_a_fresh_measurement(heldout_scores):
    meta = head_metadata("pocket/minilm-l6-mlm")
    assert meta["model_class"] == "BertForMaskedLM" and meta["script"] == "scripts/train_pocket_mlm_head.py"
    trained, _ = heldout_scores
    for name in ("top1", "top5"):  # a quarter of the script's sample: allow 3 standard errors
        p = meta["metrics"][name]
        tolerance = 3 * (p * (1 - p) / trained["masked_tokens"]) ** 0.5
        assert abs(trained[name] - p) <= tolerance, (name, trained[name], p, tolerance)


def test_training_data_and_masking_are_seeded_and_disjoint(tokenizer):
    first, again, other = masked_lm.mlm_sentences(seed=0), masked_lm.mlm_sentences(seed=0), masked_lm.mlm_sentences(seed=1)
    assert first == again and first["heldout"] != other["heldout"]
    assert not set(first["heldout"]) & set(first["train"])
    small = masked_lm.mlm_sentences(seed=0, movie_sentences=100, snli_sentences=100)
    assert small["heldout"] == first["heldout"]  # the held-out set does not depend on the training size
    spec = importlib.util.spec_from_file_location("train_pocket_mlm_head", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    model = AutoModelForMaskedLM.from_pretrained(course_lib.core.checkpoints.minilm_dir())
    runs = [script.cache_masked_features(model, tokenizer, small["train"][:40], seed=0, batch_size=20) for _ in range(2)]
    assert torch.equal(runs[0][1], runs[1][1]) and torch.allclose(runs[0][0], runs[1][0])
    features, labels = runs[0]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    script.train_head(model, features, labels, seed=0, epochs=2, batch_size=8, lr=1e-3, max_steps=2)  # the shared loop
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed and all(k.startswith("cls.predictions.") and k != "cls.predictions.decoder.weight" for k in changed)
    names = set(script.head_state(model))
    assert "cls.predictions.decoder.weight" not in names  # tied to the word embeddings: never saved
    assert {"cls.predictions.bias", "cls.predictions.decoder.bias", "cls.predictions.transform.dense.weight"} <= names
