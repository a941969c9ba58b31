"""Checks that catch the classic fine-tuning bugs. Each returns a short "OK ..." line or raises a CourseError."""
import dis
import re

import torch
from torch import nn

from ..core.batches import LengthGroupedSampler
from ..core.checkpoints import count_parameters
from ..core.errors import CourseError
from ..core.freezing import groups_for_mode, trainable_groups

POSITIVE_WORDS = {"great", "love", "loved", "wonderful", "excellent", "brilliant", "superb", "delightful", "best",
                  "masterpiece", "enjoyed", "beautiful", "moving", "fantastic", "charming", "perfect"}
NEGATIVE_WORDS = {"terrible", "awful", "boring", "worst", "hated", "hate", "dull", "waste", "bad", "horrible",
                  "mess", "tedious", "disappointing", "stupid", "painful", "poorly"}


def check_logits_not_probabilities(outputs: torch.Tensor) -> str:
    """Raise if what goes into CrossEntropyLoss looks like probabilities (rows in [0, 1] summing to 1)."""
    outputs = outputs.detach().float()
    rows_sum_to_one = torch.allclose(outputs.sum(-1), torch.ones(outputs.shape[:-1]), atol=1e-4)
    if rows_sum_to_one and outputs.min() >= 0 and outputs.max() <= 1:
        raise CourseError("These look like probabilities (every row is in [0, 1] and sums to 1), not logits. "
                          "CrossEntropyLoss applies log-softmax itself, so softmax-first squashes the gradients.",
                          "pass the raw logits (model(...).logits) to the loss; use softmax only to display probabilities.")
    return "OK: these are raw logits (rows do not sum to 1), fit for CrossEntropyLoss."


def lexicon_vote(text: str) -> int:
    """+1 for clearly positive wording, -1 for clearly negative, 0 when unclear or mixed."""
    words = set(re.findall(r"[a-z']+", text.lower()))
    score = len(words & POSITIVE_WORDS) - len(words & NEGATIVE_WORDS)
    return (score > 0) - (score < 0)


def check_label_mapping(texts, labels, positive_label: int = 1) -> str:
    """Raise if labels disagree with obvious wording (e.g. "I loved it" labeled negative) more often than not."""
    votes = [(lexicon_vote(t), int(y)) for t, y in zip(texts, labels)]
    clear = [(v, y) for v, y in votes if v != 0]
    if not clear:
        return "No sentence here has clearly positive or negative wording: nothing to check."
    wrong = sum((v > 0) != (y == positive_label) for v, y in clear)
    if wrong > len(clear) / 2:
        raise CourseError(f"{wrong} of {len(clear)} clearly worded sentences have the opposite label: "
                          f"the labels look inverted (the comment says {positive_label} = positive).",
                          f"relabel so that positive sentences get {positive_label}, or fix the comment.")
    return f"OK: {len(clear) - wrong} of {len(clear)} clearly worded sentences agree with {positive_label} = positive."


def check_trainable(model: nn.Module, mode="head_only", k: int = 2) -> str:
    """Raise if the trainable groups are not those `mode` should train (e.g. the freezing cell was never run)."""
    expected = list(mode) if isinstance(mode, (list, tuple)) else groups_for_mode(model, mode, k)
    actual = trainable_groups(model)
    if actual != expected:
        trainable = count_parameters(model, trainable_only=True)
        raise CourseError(f"Mode {mode!r} should train {expected}, but {actual} are trainable ({trainable:,} parameters). "
                          "Was the freezing cell run?",
                          f"run course_lib.core.freezing.freeze(model, {mode!r}) before training.")
    return f"OK: only {actual} are trainable, as {mode!r} intends."


def check_labeled(dataset, name: str = "this split") -> str:
    """Raise if a split has no usable labels (e.g. imdb's 'unsupervised' split, whose labels are all -1)."""
    labels = torch.as_tensor(list(dataset["label"]))
    if len(labels) == 0 or (labels < 0).any():
        raise CourseError(f"{name} has {int((labels < 0).sum())} of {len(labels)} rows labeled -1 (unlabeled): "
                          "accuracy on it is meaningless.",
                          "evaluate on a labeled split: carve validation out of train (train_test_split).")
    return f"OK: {name} is labeled ({len(labels)} rows, labels {sorted(set(labels.tolist()))})."


def padding_cost(lengths, batch_size: int = 32, pad_to: int | None = 512) -> dict:
    """Token positions computed for rows in this order, batched: each padded to `pad_to`, or to its longest row if None."""
    lengths = list(lengths)
    batches = [lengths[i:i + batch_size] for i in range(0, len(lengths), batch_size)]
    computed = sum(len(b) * (pad_to or max(b)) for b in batches)
    real = sum(lengths)
    return {"computed_tokens": computed, "real_tokens": real, "wasted_fraction": 1 - real / computed}


def check_no_global_model(module_class) -> str:
    """Raise if a module's forward() reads a global nn.Module (a model it should hold as an attribute)."""
    forward = module_class.forward
    global_names = {i.argval for i in dis.get_instructions(forward) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    used = sorted(name for name in global_names if isinstance(forward.__globals__.get(name), nn.Module))
    if used:
        raise CourseError(f"{module_class.__name__}.forward uses the global model(s) {used}: every instance shares "
                          "them, the optimizer never sees their parameters and .to(device) does not move them.",
                          "pass the encoder to __init__ and store it as self.encoder.")
    return f"OK: {module_class.__name__}.forward uses no global model."


def padding_table(lengths, batch_size: int, max_length: int, seed: int = 0):
    """Token positions computed for three ways of batching the same rows (lengths already truncated to max_length)."""
    import pandas as pd

    lengths = [min(n, max_length) for n in lengths]
    grouped = list(LengthGroupedSampler(lengths, batch_size, torch.Generator().manual_seed(seed)))
    ways = {f"pad every row to {max_length}": (lengths, max_length),
            "dynamic, file order": (lengths, None),
            "dynamic, length-grouped (as train() does)": ([lengths[i] for i in grouped], None)}
    rows = {}
    for name, (ordered, pad_to) in ways.items():
        cost = padding_cost(ordered, batch_size, pad_to)
        rows[name] = {"computed positions": cost["computed_tokens"], "real tokens": cost["real_tokens"],
                      "padding share": round(cost["wasted_fraction"], 3)}
    return pd.DataFrame.from_dict(rows, orient="index")
