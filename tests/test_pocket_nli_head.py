"""The committed pocket NLI head: loads as the "nli" role like bart-large-mnli, and really does NLI."""
import importlib.util
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForSequenceClassification

import course_lib
from course_lib.core.checkpoints import HEADS_DIR
from course_lib.core.data import load_snli
from course_lib.lessons.zero_shot import find_label_id, nli_predictions, zero_shot_by_hand

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "train_pocket_nli_head.py"
HEAD = HEADS_DIR / "nli_head.safetensors"
SIDECAR = HEADS_DIR / "nli_head.json"


def test_the_head_is_small_and_holds_only_trained_weights():
    assert HEAD.stat().st_size < 10_000_000
    keys = load_file(HEAD).keys()
    assert {"classifier.weight", "classifier.bias", "bert.pooler.dense.weight"} <= set(keys)
    assert not any(k.startswith("bert.embeddings.") or k.startswith("bert.encoder.layer.0.") for k in keys)
    meta = json.loads(SIDECAR.read_text())
    assert meta["model_class"] == "BertForSequenceClassification"
    assert meta["script"] == "scripts/train_pocket_nli_head.py"


def test_it_loads_like_an_nli_checkpoint_with_nothing_untrained(nli):
    model, _ = nli
    assert type(model).__name__ == "BertForSequenceClassification"
    assert model.loading_info["missing_keys"] == [] and model.loading_info["unexpected_keys"] == []
    assert model.loading_info["pocket_head"] == "nli_head.safetensors"
    assert "UNTRAINED" not in course_lib.describe_load(model)
    assert model.config.num_labels == 3
    assert [model.config.id2label[i] for i in range(3)] == ["entailment", "neutral", "contradiction"]  # int keys
    assert find_label_id(model.config, "entail") != find_label_id(model.config, "contradict")


def test_it_beats_chance_by_a_wide_margin_on_snli_test(session, nli):
    model, tokenizer = nli
    pairs = load_snli("test", limit=300, seed=1)
    names = pairs.features["label"].names
    predicted = nli_predictions(model, tokenizer, pairs, session.device)
    accuracy = sum(p == names[gold] for p, gold in zip(predicted, pairs["label"])) / len(pairs)
    assert accuracy > 0.55, f"accuracy {accuracy:.3f} is too close to chance (0.333)"
    recorded = json.loads(SIDECAR.read_text())["metrics"]["snli_test_accuracy"]
    assert abs(accuracy - recorded) < 0.08, "the sidecar metric does not match a fresh measurement"


def test_zero_shot_travel_example_comes_out_on_top(session, nli):
    model, tokenizer = nli
    result = zero_shot_by_hand(model, tokenizer, "one day I will see the world",
                               ["travel", "cooking", "dancing"], session.device)
    assert result["labels"][0] == "travel"


def test_the_script_trains_only_the_top_through_the_shared_loop(session):
    spec = importlib.util.spec_from_file_location("train_pocket_nli_head", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    tokenizer = session.load_tokenizer("nli")
    model = script.BertForSequenceClassification.from_pretrained(course_lib.core.checkpoints.minilm_dir(), **script.CONFIG)
    pairs = list(load_snli("train", limit=16, seed=0))
    cache = script.cache_frozen_states(model, tokenizer, pairs, frozen_layers=4, batch_size=8)
    names = script.trained_parameter_names(model, 4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    script.train(model, cache, 4, names, epochs=1, lr=1e-3, seed=0, max_steps=2)
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed and changed <= set(names) and "classifier.weight" in changed
    batch = tokenizer(["A man sleeps.", "Two dogs run in the snow near a small red house."],
                      ["Someone rests.", "Animals are outside."], padding=True, return_tensors="pt")  # row 0 is padded
    with torch.no_grad():  # the cached path (layers 4-5 on cached states) equals the ordinary forward pass
        hidden = model.bert(**batch, output_hidden_states=True).hidden_states[4]
        assert torch.allclose(script.top_logits(model.eval(), hidden, batch["attention_mask"], 4), model(**batch).logits,
                              atol=1e-5)
