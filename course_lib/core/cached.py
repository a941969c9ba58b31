"""Train the top of an encoder on cached outputs of its frozen bottom.

When the embeddings and layers 0..L-1 are frozen, their output for a sentence never changes, so running them
every epoch is wasted work. `cache_hidden_states` runs them **once** and keeps, per row, the hidden states that
enter layer L (unpadded). `TopLayers` is a view of the same model that starts at layer L: layers L.., the pooler
and the head, sharing the model's own parameters, so training it trains the model. The engine trains it like any
model: `train(TopLayers(model, L), cached_train, cached_eval)`; `CachedStates.collate` pads a batch of cached rows,
like DataCollatorWithPadding pads token ids.
"""
import torch
from torch import nn
from tqdm.auto import tqdm

from .batches import by_length, make_loader, tokenize
from .errors import CourseError
from .freezing import find_encoder, head_of, num_layers
from .precision import autocast_for, store_dtype
from .tensors import POOLINGS, additive_mask, pool
from .validation import num_labels_of


class CachedStates(torch.utils.data.Dataset):
    """One row = (hidden states entering layer `first_layer`, [length, hidden], its label): a plain torch Dataset."""

    def __init__(self, states: list, labels: list, first_layer: int):
        self.states, self.labels, self.first_layer = states, [int(label) for label in labels], first_layer

    def __len__(self) -> int:
        return len(self.states)

    def __getitem__(self, index: int) -> dict:
        return {"hidden_states": self.states[index], "label": self.labels[index]}

    def lengths(self) -> list[int]:
        """Tokens per row (for length-grouped batches)."""
        return [len(s) for s in self.states]

    def select(self, indices) -> "CachedStates":
        """The rows at `indices` (no copy of the tensors)."""
        return CachedStates([self.states[i] for i in indices], [self.labels[i] for i in indices], self.first_layer)

    @staticmethod
    def collate(rows: list[dict]) -> dict:
        """Pad cached rows to the longest one in the batch; the attention mask marks the real tokens."""
        longest, width = max(len(row["hidden_states"]) for row in rows), rows[0]["hidden_states"].shape[-1]
        states = torch.zeros(len(rows), longest, width)
        mask = torch.zeros(len(rows), longest, dtype=torch.long)
        for i, row in enumerate(rows):
            states[i, :len(row["hidden_states"])], mask[i, :len(row["hidden_states"])] = row["hidden_states"], 1
        return {"hidden_states": states, "attention_mask": mask, "labels": torch.tensor([row["label"] for row in rows])}


def check_layer_split(model: nn.Module, first_layer: int) -> None:
    """Raise a CourseError unless 0 < first_layer <= number of layers."""
    n = num_layers(model)
    if not 0 < first_layer <= n:
        raise CourseError(f"first_layer={first_layer}, but this encoder has layers 0..{n - 1}.",
                          f"cache below a layer between 1 and {n} (0 would cache nothing).")


def run_layers(layers, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Run encoder layers one after the other on padded hidden states (the mask keeps [PAD] keys out)."""
    mask = additive_mask(attention_mask, hidden.dtype)
    for layer in layers:
        hidden = layer(hidden, mask)
    return hidden


def keep_rows(hidden: torch.Tensor, attention_mask: torch.Tensor, device) -> list[torch.Tensor]:
    """Each row's real tokens, on the CPU, in the dtype the cache stores (fp16 on a GPU in mixed precision)."""
    return [row[:n].clone() for row, n in zip(hidden.to(store_dtype(device)).cpu(), attention_mask.sum(-1).tolist())]


@torch.no_grad()
def cache_hidden_states(model, dataset, tokenizer, device, first_layer: int, batch_size: int = 64,
                        max_length: int = 128, progress: bool = True) -> CachedStates:
    """Run the embeddings and layers 0..first_layer-1 once; keep each row's states (unpadded, on the CPU)."""
    check_layer_split(model, first_layer)
    _, encoder = find_encoder(model)
    encoder.eval()
    encoded = tokenize(dataset, tokenizer, max_length)
    order, states = by_length(encoded), [None] * len(encoded)
    loader = make_loader(encoded.select(order), tokenizer, batch_size, shuffle=False)
    rows = iter(order)
    for batch in tqdm(loader, desc=f"caching layers 0-{first_layer - 1}", disable=not progress, leave=False):
        batch = {k: v.to(device) for k, v in batch.items() if k != "labels"}
        with autocast_for(device):
            hidden = encoder.embeddings(input_ids=batch["input_ids"], token_type_ids=batch.get("token_type_ids"))
            hidden = run_layers(encoder.encoder.layer[:first_layer], hidden, batch["attention_mask"])
        for row in keep_rows(hidden, batch["attention_mask"], device):
            states[next(rows)] = row
    return CachedStates(states, dataset["label"], first_layer)


@torch.no_grad()
def advance(model: nn.Module, data: CachedStates, to_layer: int, batch_size: int = 128) -> CachedStates:
    """Run the (frozen) layers data.first_layer..to_layer-1 on cached states: a cache one split point higher."""
    check_layer_split(model, to_layer)
    _, encoder = find_encoder(model)
    encoder.eval()
    device, order = next(encoder.parameters()).device, by_length(data)  # similar lengths together: little padding
    states = [None] * len(data)
    rows = iter(order)
    for batch in make_loader(data.select(order), None, batch_size, shuffle=False):
        hidden, attention = batch["hidden_states"].to(device), batch["attention_mask"].to(device)
        with autocast_for(device):
            hidden = run_layers(encoder.encoder.layer[data.first_layer:to_layer], hidden, attention)
        for row in keep_rows(hidden, attention, device):
            states[next(rows)] = row
    return CachedStates(states, data.labels, to_layer)


class TopLayers(nn.Module):
    """Layers first_layer.. + pooler + head of a BERT-style classifier, fed with cached hidden states."""

    def __init__(self, model: nn.Module, first_layer: int, pooling: str = "pooler"):
        super().__init__()
        check_layer_split(model, first_layer)
        if pooling not in POOLINGS:
            raise CourseError(f"Unknown pooling {pooling!r}.", f"use one of {POOLINGS}.")
        _, encoder = find_encoder(model)
        self.pooling, self.first_layer = pooling, first_layer
        self.layers = encoder.encoder.layer[first_layer:]
        self.pooler = getattr(encoder, "pooler", None)
        self.dropout = getattr(model, "dropout", nn.Identity())
        self.head = head_of(model)
        self.num_labels = num_labels_of(model)

    def forward(self, hidden_states, attention_mask):
        hidden_states = run_layers(self.layers, hidden_states, attention_mask)
        return self.head(self.dropout(pool(hidden_states, attention_mask, self.pooling, self.pooler)))
