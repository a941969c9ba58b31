"""Train the top of an encoder on cached outputs of its frozen bottom.

When the embeddings and layers 0..L-1 are frozen, their output for a sentence never changes, so
running them every epoch is wasted work. `cache_hidden_states` runs them **once** and keeps, per row,
the hidden states that enter layer L (unpadded). `TopLayers` is a view of the same model that starts
at layer L: layers L.., the pooler and the head, sharing the model's own parameters, so training it
trains the model. `collate_hidden_states` pads a batch of cached rows, like DataCollatorWithPadding
pads token ids.
"""
import math
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm
from transformers.masking_utils import create_bidirectional_mask

from .errors import CourseError
from .features import head_of
from .freezing import find_encoder, num_layers
from .hidden_states import mean_pool
from .training import TrainState, autocast_for, by_length, make_loader, mixed_precision_for, tokenize
from .validation import num_labels_of


class CachedStates(Dataset):
    """One row = (hidden states entering layer L, [length, hidden], its label): a plain torch Dataset."""

    def __init__(self, states: list, labels: list, first_layer: int):
        self.states, self.labels, self.first_layer = states, list(labels), first_layer

    def __len__(self) -> int:
        return len(self.states)

    def __getitem__(self, index: int) -> dict:
        return {"hidden_states": self.states[index], "label": int(self.labels[index])}

    def lengths(self) -> list[int]:
        """Tokens per row (for length-grouped batches)."""
        return [len(s) for s in self.states]

    def select(self, indices) -> "CachedStates":
        """The rows at `indices` (no copy of the tensors)."""
        return CachedStates([self.states[i] for i in indices], [self.labels[i] for i in indices], self.first_layer)


@torch.no_grad()
def advance(model: nn.Module, data: CachedStates, to_layer: int, batch_size: int = 128) -> CachedStates:
    """Run the (frozen) layers data.first_layer..to_layer-1 on cached states: a cache one split point higher."""
    check_layer_split(model, to_layer)
    _, encoder = find_encoder(model)
    encoder.eval()
    device, states = device_of(encoder), []
    for batch in cached_loader(data, batch_size, shuffle=False):
        hidden, attention = batch["hidden_states"].to(device), batch["attention_mask"].to(device)
        mask = create_bidirectional_mask(config=encoder.config, inputs_embeds=hidden, attention_mask=attention)
        for layer in encoder.encoder.layer[data.first_layer:to_layer]:
            hidden = layer(hidden, mask)
        for row, n in zip(hidden.to(store_dtype(device)).cpu(), attention.sum(-1).tolist()):
            states.append(row[:n].clone())
    return CachedStates(states, data.labels, to_layer)


def collate_hidden_states(rows: list[dict]) -> dict:
    """Pad cached rows to the longest one in the batch; the attention mask marks the real tokens."""
    longest = max(len(row["hidden_states"]) for row in rows)
    hidden = rows[0]["hidden_states"].shape[-1]
    states = torch.zeros(len(rows), longest, hidden)
    mask = torch.zeros(len(rows), longest, dtype=torch.long)
    for i, row in enumerate(rows):
        n = len(row["hidden_states"])
        states[i, :n], mask[i, :n] = row["hidden_states"], 1
    return {"hidden_states": states, "attention_mask": mask, "labels": torch.tensor([row["label"] for row in rows])}


def check_layer_split(model: nn.Module, first_layer: int) -> None:
    """Raise a CourseError unless 0 < first_layer <= number of layers."""
    n = num_layers(model)
    if not 0 < first_layer <= n:
        raise CourseError(f"first_layer={first_layer}, but this encoder has layers 0..{n - 1}.",
                          f"cache below a layer between 1 and {n} (0 would cache nothing).")


@torch.no_grad()
def cache_hidden_states(model, dataset, tokenizer, device, first_layer: int, batch_size: int = 64,
                        max_length: int = 128, progress: bool = True) -> CachedStates:
    """Run the embeddings and layers 0..first_layer-1 once; keep each row's states (unpadded, on the CPU)."""
    check_layer_split(model, first_layer)
    _, encoder = find_encoder(model)
    encoder.eval()
    encoded = tokenize(dataset, tokenizer, max_length)
    order = by_length(encoded)  # similar lengths together: little padding
    states = [None] * len(encoded)
    loader = make_loader(encoded.select(order), tokenizer, batch_size, shuffle=False)
    rows = iter(order)
    for batch in tqdm(loader, desc=f"caching layers 0-{first_layer - 1}", disable=not progress, leave=False):
        batch = {k: v.to(device) for k, v in batch.items() if k != "labels"}
        with autocast_for(device):
            hidden = run_bottom(encoder, batch, first_layer)
        for row, n in zip(hidden.to(store_dtype(device)).cpu(), batch["attention_mask"].sum(-1).tolist()):
            states[next(rows)] = row[:n].clone()
    return CachedStates(states, dataset["label"], first_layer)


def run_bottom(encoder, batch: dict, first_layer: int) -> torch.Tensor:
    """Embeddings, then layers 0..first_layer-1, on a padded batch of token ids."""
    hidden = encoder.embeddings(input_ids=batch["input_ids"], token_type_ids=batch.get("token_type_ids"))
    mask = create_bidirectional_mask(config=encoder.config, inputs_embeds=hidden, attention_mask=batch["attention_mask"])
    for layer in encoder.encoder.layer[:first_layer]:
        hidden = layer(hidden, mask)
    return hidden


def store_dtype(device) -> torch.dtype:
    """float16 for states computed in mixed precision on a GPU (half the memory; imdb reviews are long), else float32."""
    device = torch.device(device)
    return torch.float16 if device.type == "cuda" and mixed_precision_for(device) != "no" else torch.float32


POOLINGS = ("pooler", "cls", "mean")


class TopLayers(nn.Module):
    """Layers first_layer.. + pooler + head of a BERT-style classifier, fed with cached hidden states."""

    def __init__(self, model: nn.Module, first_layer: int, pooling: str = "pooler"):
        super().__init__()
        check_layer_split(model, first_layer)
        if pooling not in POOLINGS:
            raise CourseError(f"Unknown pooling {pooling!r}.", f"use one of {POOLINGS}.")
        self.pooling = pooling
        _, encoder = find_encoder(model)
        self.config, self.first_layer = encoder.config, first_layer
        self.layers = encoder.encoder.layer[first_layer:]
        self.pooler = getattr(encoder, "pooler", None)
        self.dropout = getattr(model, "dropout", nn.Identity())
        self.head = head_of(model)
        self.num_labels = num_labels_of(model) or encoder.config.num_labels  # a custom wrapper: its encoder's

    def forward(self, hidden_states, attention_mask):
        mask = create_bidirectional_mask(config=self.config, inputs_embeds=hidden_states, attention_mask=attention_mask)
        for layer in self.layers:
            hidden_states = layer(hidden_states, mask)
        return self.head(self.dropout(pool(hidden_states, attention_mask, self.pooling, self.pooler)))


def pool(hidden_states, attention_mask, pooling: str = "pooler", pooler=None) -> torch.Tensor:
    """One vector per row: the model's pooler (dense + tanh on [CLS]), the raw [CLS] vector, or the mask-aware mean."""
    if pooling == "mean":
        return mean_pool(hidden_states, attention_mask)
    if pooling == "pooler" and pooler is not None:
        return pooler(hidden_states)
    return hidden_states[:, 0]


def cached_loader(data: CachedStates, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    """Batches of cached rows, padded per batch; shuffled ones grouped by length (like train())."""
    sampler = None
    if shuffle:
        from transformers.trainer_pt_utils import LengthGroupedSampler

        sampler = LengthGroupedSampler(batch_size, lengths=data.lengths(), generator=torch.Generator().manual_seed(seed))
    return DataLoader(data, batch_size=batch_size, sampler=sampler, collate_fn=collate_hidden_states)


def make_top_optimizer(top: nn.Module, lr: float, weight_decay: float, steps: int, warmup: float):
    """torch.optim.AdamW (fused) on the trainable parameters, with train()'s linear warmup/decay schedule."""
    from transformers import get_linear_schedule_with_warmup

    trainable = [p for p in top.parameters() if p.requires_grad]
    if not trainable:
        raise CourseError("No parameter of the top layers is trainable: everything is frozen.",
                          "unfreeze something, e.g. course_lib.freezing.freeze(model, 'head_only').")
    optimizer = torch.optim.AdamW(trainable, lr=lr, weight_decay=weight_decay, fused=True)
    return optimizer, get_linear_schedule_with_warmup(optimizer, int(warmup * steps), steps)


def device_of(module: nn.Module) -> torch.device:
    """The device of a module's parameters."""
    return next(module.parameters()).device


def mixed_precision(device: torch.device):
    """train()'s precision choice as (autocast context, GradScaler); the scaler only works for fp16 (a T4)."""
    return autocast_for(device), torch.amp.GradScaler(device.type, enabled=mixed_precision_for(device) == "fp16")


@torch.no_grad()
def predict_top(top: nn.Module, data: CachedStates, batch_size: int = 128) -> torch.Tensor:
    """Predicted class of every cached row, in row order."""
    top.eval()
    device = device_of(top)
    return torch.cat([top(b["hidden_states"].to(device), b["attention_mask"].to(device)).argmax(-1).cpu()
                      for b in cached_loader(data, batch_size, shuffle=False)])


@torch.no_grad()
def evaluate_top(top: nn.Module, data: CachedStates, batch_size: int = 128) -> dict:
    """Mean cross-entropy and accuracy of the top layers on cached rows (like training.evaluate)."""
    top.eval()
    loss, correct = 0.0, 0
    for batch in cached_loader(data, batch_size, shuffle=False):
        batch = {k: v.to(device_of(top)) for k, v in batch.items()}
        logits = top(batch["hidden_states"], batch["attention_mask"]).float()
        loss += F.cross_entropy(logits, batch["labels"], reduction="sum").item()
        correct += (logits.argmax(-1) == batch["labels"]).sum().item()
    return {"loss": loss / len(data), "accuracy": correct / len(data)}


def train_top(top: nn.Module, train_data: CachedStates, eval_data: CachedStates, *, epochs: int = 1, lr: float = 1e-4,
              batch_size: int = 32, warmup: float = 0.1, weight_decay: float = 0.01, seed: int = 0,
              plot=None, progress: bool = True) -> TrainState:
    """train()'s loop on cached states: length-grouped batches, AdamW + warmup, clipping, best epoch kept."""
    steps = math.ceil(len(train_data) / batch_size) * epochs
    optimizer, scheduler = make_top_optimizer(top, lr, weight_decay, steps, warmup)
    state, device = TrainState(plot=plot), device_of(top)
    autocast, scaler = mixed_precision(device)
    for epoch in range(epochs):
        start, losses = time.perf_counter(), []
        top.train()
        loader = cached_loader(train_data, batch_size, shuffle=True, seed=seed + epoch)
        for batch in tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress, leave=False):
            batch = {k: v.to(device) for k, v in batch.items()}
            with autocast:
                logits = top(batch["hidden_states"], batch["attention_mask"])
            loss = F.cross_entropy(logits.float(), batch["labels"])
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            nn.utils.clip_grad_norm_([p for p in top.parameters() if p.requires_grad], 1.0)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            optimizer.zero_grad()
            state.step += 1
            losses.append(loss.item())
            state.losses.append((state.step, losses[-1]))
            if plot is not None:
                plot.add(state.step, train=losses[-1])
        end_top_epoch(top, state, eval_data, losses, time.perf_counter() - start)
    if state.best_weights is not None:
        top.load_state_dict(state.best_weights)
    if plot is not None and plot.live:
        plot.redraw()
    return state


def end_top_epoch(top: nn.Module, state: TrainState, eval_data: CachedStates, losses: list, seconds: float) -> None:
    """Evaluate after an epoch, record it, and keep the best weights (accuracy, then lower loss)."""
    scores = evaluate_top(top, eval_data)
    state.epoch += 1
    state.seconds += seconds
    state.history.append({"epoch": state.epoch, "train_loss": sum(losses) / max(len(losses), 1),
                          "eval_loss": scores["loss"], "eval_accuracy": scores["accuracy"], "seconds": seconds})
    if state.plot is not None:
        state.plot.add(state.step, eval=scores["loss"])
    if (scores["accuracy"], -scores["loss"]) > (state.best_accuracy, -state.best_loss):
        state.best_accuracy, state.best_loss = scores["accuracy"], scores["loss"]
        state.best_weights = {k: v.detach().clone() for k, v in top.state_dict().items()}
