"""Cached hidden states (course_lib.core.cached): the frozen bottom runs once, the engine trains the top on its output."""
import pytest
import torch

import course_lib
from course_lib.core.cached import CachedStates, TopLayers, advance, cache_hidden_states
from course_lib.core.freezing import freeze
from course_lib.core.training import evaluate, train

FAST = dict(device="cpu", epochs=2, lr=1e-2, batch_size=16, warmup=0.0, plot=False, progress=False)


@pytest.mark.parametrize("first_layer", [1, 2, 3])
def test_cached_bottom_plus_top_equals_the_whole_model(tokenizer, tiny_bert, word_sentiment, first_layer):
    model, data = tiny_bert().eval(), word_sentiment(24)
    cached = cache_hidden_states(model, data, tokenizer, "cpu", first_layer, batch_size=5, progress=False)
    assert len(cached) == 24 and cached.lengths() == [len(ids) for ids in tokenizer(list(data["text"]))["input_ids"]]
    batch = CachedStates.collate([cached[i] for i in range(8)])
    with torch.no_grad():
        direct = model(**tokenizer(list(data["text"][:8]), padding=True, return_tensors="pt")).logits
        via_cache = TopLayers(model, first_layer).eval()(batch["hidden_states"], batch["attention_mask"])
    torch.testing.assert_close(via_cache, direct, atol=1e-5, rtol=1e-4)


def test_advancing_a_cache_equals_caching_higher_up(tokenizer, tiny_bert, word_sentiment):
    model, data = tiny_bert().eval(), word_sentiment(12)
    low = cache_hidden_states(model, data, tokenizer, "cpu", 1, progress=False)
    high = cache_hidden_states(model, data, tokenizer, "cpu", 3, progress=False)
    advanced = advance(model, low, 3)
    assert advanced.first_layer == 3 and advanced.labels == high.labels
    for a, b in zip(advanced.states, high.states):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_collate_pads_to_the_longest_row_and_masks_padding():
    rows = [{"hidden_states": torch.ones(n, 4), "label": n % 2} for n in (2, 5, 3)]
    batch = CachedStates.collate(rows)
    assert batch["hidden_states"].shape == (3, 5, 4)
    assert batch["attention_mask"].tolist() == [[1, 1, 0, 0, 0], [1] * 5, [1, 1, 1, 0, 0]]
    assert batch["hidden_states"][0, 2:].abs().sum() == 0 and batch["labels"].tolist() == [0, 1, 1]


def test_the_engine_trains_the_top_on_cached_states_and_nothing_below(tokenizer, tiny_bert, word_sentiment):
    """train(TopLayers(model, L), cached, cached): the model's own top weights change, the frozen bottom does not."""
    model, data = tiny_bert(), word_sentiment(64)
    freeze(model, "last_k", k=1)
    cached = cache_hidden_states(model, data, tokenizer, "cpu", 2, progress=False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    top = TopLayers(model, 2)
    result = train(top, cached, cached, **FAST)
    assert len(result.history) == 2 and result.step == 8 and len(result.losses) == 8  # 64 rows / 16, twice
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert changed and all(k.startswith(("bert.encoder.layer.2.", "bert.pooler.", "classifier.")) for k in changed)
    assert "classifier.weight" in changed and any(k.startswith("bert.encoder.layer.2.") for k in changed)
    scores = evaluate(top, cached, "cpu")
    with torch.no_grad():  # the trained top layers are the model's: the whole model scores the same on the text
        logits = model.eval()(**tokenizer(list(data["text"]), padding=True, return_tensors="pt")).logits
    expected = logits.argmax(-1) == torch.tensor(data["label"])
    assert scores["rows"] == 64 and torch.equal(scores["correct"], expected)
    assert scores["accuracy"] == pytest.approx(expected.float().mean().item())


def test_mean_pooling_reads_only_real_tokens(tiny_bert):
    model = tiny_bert().eval()
    top = TopLayers(model, 3, pooling="mean")
    states = torch.randn(1, 3, 32)
    padded = torch.cat([states, torch.randn(1, 2, 32)], dim=1)
    with torch.no_grad():
        short = top(states, torch.ones(1, 3, dtype=torch.long))
        long = top(padded, torch.tensor([[1, 1, 1, 0, 0]]))
    torch.testing.assert_close(short, long)


def test_bad_split_and_pooling_are_course_errors(tiny_bert):
    model = tiny_bert()
    with pytest.raises(course_lib.CourseError, match="layers 0..2"):
        TopLayers(model, 0)
    with pytest.raises(course_lib.CourseError, match="pooling"):
        TopLayers(model, 1, pooling="max")
