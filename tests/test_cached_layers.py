import pytest
import torch
from transformers import AutoTokenizer

import course_lib
from course_lib.cached_layers import (TopLayers, cache_hidden_states, collate_hidden_states, evaluate_top, predict_top,
                                      train_top)
from course_lib.checkpoints import minilm_dir
from course_lib.freezing import freeze

from lesson06_fixtures import tiny_bert, word_sentiment


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(minilm_dir())


@pytest.mark.parametrize("first_layer", [1, 2, 3])
def test_cached_bottom_plus_top_equals_the_whole_model(tokenizer, first_layer):
    model, data = tiny_bert(tokenizer).eval(), word_sentiment(24)
    cached = cache_hidden_states(model, data, tokenizer, "cpu", first_layer, batch_size=5, progress=False)
    assert len(cached) == 24 and cached.lengths() == [len(ids) for ids in tokenizer(list(data["text"]))["input_ids"]]
    batch = collate_hidden_states([cached[i] for i in range(8)])
    with torch.no_grad():
        direct = model(**tokenizer(list(data["text"][:8]), padding=True, return_tensors="pt")).logits
        via_cache = TopLayers(model, first_layer).eval()(batch["hidden_states"], batch["attention_mask"])
    torch.testing.assert_close(via_cache, direct, atol=1e-5, rtol=1e-4)


def test_collate_pads_to_the_longest_row_and_masks_padding():
    rows = [{"hidden_states": torch.ones(n, 4), "label": n % 2} for n in (2, 5, 3)]
    batch = collate_hidden_states(rows)
    assert batch["hidden_states"].shape == (3, 5, 4)
    assert batch["attention_mask"].tolist() == [[1, 1, 0, 0, 0], [1] * 5, [1, 1, 1, 0, 0]]
    assert batch["hidden_states"][0, 2:].abs().sum() == 0 and batch["labels"].tolist() == [0, 1, 1]


def test_training_the_top_trains_the_models_own_weights_and_nothing_below(tokenizer):
    model, data = tiny_bert(tokenizer), word_sentiment(64)
    freeze(model, "last_k", k=1)
    cached = cache_hidden_states(model, data, tokenizer, "cpu", 2, progress=False)
    below, top_before = model.bert.encoder.layer[1].output.dense.weight.clone(), model.classifier.weight.clone()
    result = train_top(TopLayers(model, 2), cached, cached, epochs=2, lr=1e-2, batch_size=16, progress=False)
    assert len(result.history) == 2 and result.step == 8 and len(result.losses) == 8
    assert torch.equal(model.bert.encoder.layer[1].output.dense.weight, below)
    assert not torch.equal(model.classifier.weight, top_before)
    scores = evaluate_top(TopLayers(model, 2), cached)
    predictions = predict_top(TopLayers(model, 2), cached)
    assert scores["accuracy"] == pytest.approx((predictions == torch.tensor(data["label"])).float().mean().item())


def test_mean_pooling_reads_only_real_tokens(tokenizer):
    model = tiny_bert(tokenizer).eval()
    top = TopLayers(model, 3, pooling="mean")
    states = torch.randn(1, 3, 32)
    padded = torch.cat([states, torch.randn(1, 2, 32)], dim=1)
    with torch.no_grad():
        short = top(states, torch.ones(1, 3, dtype=torch.long))
        long = top(padded, torch.tensor([[1, 1, 1, 0, 0]]))
    torch.testing.assert_close(short, long)


def test_bad_split_and_pooling_are_course_errors(tokenizer):
    model = tiny_bert(tokenizer)
    with pytest.raises(course_lib.CourseError, match="layers 0..2"):
        TopLayers(model, 0)
    with pytest.raises(course_lib.CourseError, match="pooling"):
        TopLayers(model, 1, pooling="max")
