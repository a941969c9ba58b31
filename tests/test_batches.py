"""From rows to batches (course_lib.core.batches): length-grouped order, padding per batch, and no hidden draws from
the global random state that dropout uses."""
import random

import pytest
import torch
from datasets import Dataset

from course_lib.core.batches import LengthGroupedSampler, make_loader, scoring_loader, tokenize
from course_lib.core.cached import CachedStates


def skewed_lengths(n: int = 2000, seed: int = 0) -> list[int]:
    """Like imdb reviews: most rows short, one in ten very long."""
    rng = random.Random(seed)
    return [rng.randint(200, 512) if rng.random() < 0.1 else rng.randint(8, 40) for _ in range(n)]


def padded_positions(order: list[int], lengths: list[int], batch_size: int) -> int:
    """[PAD] positions when `order` is cut into batches, each padded to its longest row."""
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in batches)


def sampled(lengths, batch_size, seed) -> list[int]:
    return list(LengthGroupedSampler(lengths, batch_size, torch.Generator().manual_seed(seed)))


@pytest.mark.parametrize("rows, batch_size", [(2000, 32), (37, 8), (5, 16), (1, 4)])
def test_the_sampler_yields_every_row_once(rows, batch_size):
    order = sampled(skewed_lengths(rows), batch_size, seed=0)
    assert sorted(order) == list(range(rows)) and len(order) == rows


def test_the_same_seed_gives_the_same_order_and_another_seed_another():
    lengths = skewed_lengths(500)
    assert sampled(lengths, 16, seed=3) == sampled(lengths, 16, seed=3)
    assert sampled(lengths, 16, seed=3) != sampled(lengths, 16, seed=4)


def test_grouped_batches_pad_far_less_than_random_batches():
    lengths, batch_size = skewed_lengths(2000), 32
    grouped = padded_positions(sampled(lengths, batch_size, seed=0), lengths, batch_size)
    shuffled = padded_positions(torch.randperm(len(lengths), generator=torch.Generator().manual_seed(0)).tolist(),
                                lengths, batch_size)
    assert grouped < shuffled / 4, (grouped, shuffled)


def test_the_order_is_still_shuffled_not_sorted():
    """Grouping must not turn into one sorted pass: the long rows are spread over the epoch."""
    lengths = skewed_lengths(2000)
    order = sampled(lengths, 32, seed=0)
    assert order != sorted(order, key=lambda i: -lengths[i])
    first_long = [i for i, row in enumerate(order) if lengths[row] >= 200]
    assert first_long[0] < len(order) // 2 and first_long[-1] > len(order) // 2


@pytest.fixture(scope="module")
def tokenized(tokenizer):
    rng = random.Random(0)
    texts = [" ".join(["word"] * (rng.randint(1, 6) if i % 7 else rng.randint(30, 60))) for i in range(120)]
    return tokenize(Dataset.from_dict({"text": texts, "label": [i % 2 for i in range(120)]}), tokenizer)


def cached_rows(n: int = 40) -> CachedStates:
    return CachedStates([torch.ones(1 + i % 9, 4) for i in range(n)], [i % 2 for i in range(n)], first_layer=1)


@pytest.mark.parametrize("kind", ["tokens", "features", "cached"])
def test_iterating_a_loader_leaves_the_global_random_state_alone(tokenizer, tokenized, kind):
    """Dropout draws from torch's global generator: a loader that drew from it too would change the run."""
    data = {"tokens": tokenized, "cached": cached_rows(),
            "features": Dataset.from_dict({"features": [[float(i)] * 3 for i in range(40)], "label": [0, 1] * 20})}[kind]
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    for shuffle in (True, False):
        for _ in make_loader(data, tokenizer, batch_size=8, shuffle=shuffle, seed=5):
            pass
    assert torch.equal(torch.random.get_rng_state(), before)


def test_a_loader_pads_each_batch_to_its_longest_row_and_repeats_with_its_seed(tokenizer, tokenized):
    loader = make_loader(tokenized, tokenizer, batch_size=16, shuffle=True, seed=1)
    batches = list(loader)
    assert sum(len(b["labels"]) for b in batches) == len(tokenized)
    for batch in batches:
        real = batch["attention_mask"].sum(-1)
        assert batch["input_ids"].shape[1] == real.max().item()  # padded to this batch's longest row, not further
    assert sorted(batch["attention_mask"].sum(-1).tolist() for batch in batches) == \
        sorted(batch["attention_mask"].sum(-1).tolist() for batch in make_loader(tokenized, tokenizer, 16, True, seed=1))


def test_the_scoring_loader_sorts_by_length_and_returns_that_order(tokenizer, tokenized):
    loader, order = scoring_loader(tokenized, tokenizer, batch_size=16)
    lengths = [len(tokenized[i]["input_ids"]) for i in order]
    assert sorted(order) == list(range(len(tokenized))) and lengths == sorted(lengths)
    seen = [length for batch in loader for length in batch["attention_mask"].sum(-1).tolist()]
    assert seen == lengths
