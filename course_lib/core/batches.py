"""From rows to batches: tokenize once without padding, group similar lengths, pad each batch to its longest row.

The engine (course_lib.core.training) reads every kind of data through `make_loader`: a 🤗 Dataset of text
(tokenized here), a tokenized Dataset, a Dataset of fixed-size `features`, or cached hidden states
(course_lib.core.cached.CachedStates), which pad themselves.
"""
import torch
from datasets import Dataset
from torch.utils.data import DataLoader, Sampler
from transformers import DataCollatorWithPadding

MEGABATCH = 50  # batches per megabatch, as in the 🤗 Trainer's group-by-length option


def tokenize(dataset, tokenizer, max_length: int = 128):
    """Tokenize a `text` (or `premise`/`hypothesis`) dataset without padding: padding happens per batch."""
    if not isinstance(dataset, Dataset) or "input_ids" in dataset.column_names or "features" in dataset.column_names:
        return dataset
    columns = ["premise", "hypothesis"] if "premise" in dataset.column_names else ["text"]
    encodings = tokenizer(*[list(dataset[c]) for c in columns], truncation=True, max_length=max_length)
    return Dataset.from_dict({**encodings, "label": list(dataset["label"])})


def token_lengths(dataset) -> list[int]:
    """Tokens per row of a tokenized dataset or a tokenizer's output (its `input_ids`), or of cached states."""
    if hasattr(dataset, "lengths"):
        return dataset.lengths()
    return [len(ids) for ids in dataset["input_ids"]]


def by_length(dataset) -> list[int]:
    """Row indices, shortest first: rows of similar length in one batch need little padding."""
    lengths = token_lengths(dataset)
    return sorted(range(len(lengths)), key=lengths.__getitem__)


class LengthGroupedSampler(Sampler):
    """Shuffled row order in which each run of batches holds rows of similar length.

    Shuffle every row, cut the order into megabatches of up to 50 batches, sort each megabatch from long to short:
    a batch then takes neighbouring rows, so it pads little, and the batches still come in a random order of
    megabatches. The same generator seed gives the same order.
    """

    def __init__(self, lengths: list[int], batch_size: int, generator: torch.Generator):
        self.lengths, self.batch_size, self.generator = list(lengths), batch_size, generator

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self):
        order = torch.randperm(len(self.lengths), generator=self.generator).tolist()
        size = self.batch_size * max(1, min(MEGABATCH, len(order) // (4 * self.batch_size)))
        for start in range(0, len(order), size):
            yield from sorted(order[start:start + size], key=lambda i: -self.lengths[i])


def collate_for(data, tokenizer):
    """The collate function of a kind of data: cached states pad themselves, token ids use DataCollatorWithPadding."""
    if hasattr(data, "collate"):
        return data.collate
    if "features" in data.column_names:
        return None  # fixed-size vectors: the default collate stacks them
    return DataCollatorWithPadding(tokenizer)


def make_loader(data, tokenizer, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    """Batches padded to their longest row; shuffled ones grouped by length (LengthGroupedSampler, seeded by `seed`).

    The DataLoader gets a generator of its own too: iterating a loader draws one random number, and without it
    that number would come from the global random state that dropout uses.
    """
    if isinstance(data, Dataset) and "features" in data.column_names:
        data = data.with_format("torch")
    sampler = None
    if shuffle and "features" in getattr(data, "column_names", ()):
        sampler = torch.utils.data.RandomSampler(data, generator=torch.Generator().manual_seed(seed))
    elif shuffle:
        sampler = LengthGroupedSampler(token_lengths(data), batch_size, torch.Generator().manual_seed(seed))
    return DataLoader(data, batch_size=batch_size, sampler=sampler, collate_fn=collate_for(data, tokenizer),
                      generator=torch.Generator().manual_seed(seed))


def scoring_loader(data, tokenizer, batch_size: int) -> tuple[DataLoader, list[int]]:
    """Batches for scoring, shortest rows first (a mean does not depend on order, padding does), and that order."""
    order = by_length(data) if "features" not in getattr(data, "column_names", ()) else list(range(len(data)))
    return make_loader(data.select(order), tokenizer, batch_size, shuffle=False), order


def inputs_of(batch: dict) -> dict:
    """What the model reads: every entry of the batch but the labels."""
    return {k: v for k, v in batch.items() if k not in ("labels", "label")}


def labels_of(batch: dict) -> torch.Tensor:
    """The label tensor of a batch (`labels` from the collators, `label` from fixed-size features)."""
    return batch["labels"] if "labels" in batch else batch["label"]
