"""Freeze parts of an encoder model: name its parameter groups, choose what trains, report the counts.

Groups are model-agnostic: `embeddings`, `layer.0` ... `layer.{n-1}` (from config.num_hidden_layers),
`pooler` (BERT has one, RoBERTa classifiers do not) and `head` (everything outside the encoder).
"""
import re

import pandas as pd
from torch import nn
from transformers import PreTrainedModel

from .errors import CourseError

MODES = ("full", "last_k", "head_only")
LAYER_PATTERN = re.compile(r"(?:^|\.)layers?\.(\d+)\.")


def find_encoder(model: nn.Module) -> tuple[str, PreTrainedModel]:
    """The encoder inside `model` (its `base_model`) and its name prefix, e.g. ("bert.", BertModel)."""
    for name, module in model.named_modules():
        if isinstance(module, PreTrainedModel):
            base = module.base_model
            prefix = name + "." if name else ""
            if base is not module:
                prefix += module.base_model_prefix + "."
            return prefix, base
    raise CourseError(f"{type(model).__name__} contains no 🤗 transformers model, so it has no encoder to freeze.",
                      "pass a model loaded with session.load_model(...) or a module that holds one as an attribute.")


def group_of(name: str, prefix: str) -> str:
    """The group of one parameter name: embeddings, layer.i, pooler, head (or the encoder part it belongs to)."""
    if not name.startswith(prefix):
        return "head"
    rest = name[len(prefix):]
    layer = LAYER_PATTERN.search(rest)
    if layer:
        return f"layer.{layer.group(1)}"
    return rest.split(".")[0]


def parameter_groups(model: nn.Module) -> dict[str, list[nn.Parameter]]:
    """Group name -> its parameters, in model order (embeddings, layer.0, ..., pooler, head)."""
    prefix, _ = find_encoder(model)
    groups: dict[str, list[nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        groups.setdefault(group_of(name, prefix), []).append(parameter)
    order = ["embeddings"] + sorted((g for g in groups if g.startswith("layer.")), key=lambda g: int(g[6:]))
    order += [g for g in groups if g not in order and g != "head"] + ["head"]
    return {g: groups[g] for g in order if g in groups}


def head_of(model: nn.Module) -> nn.Module:
    """The one module outside the encoder: the classification head (e.g. `classifier`)."""
    prefix, encoder = find_encoder(model)
    outside = [module for name, module in model.named_children()
               if module is not encoder and not prefix.startswith(name + ".") and any(True for _ in module.parameters())]
    if len(outside) != 1:
        raise CourseError(f"Expected one head module outside the encoder, found {len(outside)}.",
                          "give your model a single head module (e.g. self.classifier = nn.Linear(...)).")
    return outside[0]


def num_layers(model: nn.Module) -> int:
    """How many transformer layers the encoder has (config.num_hidden_layers)."""
    return find_encoder(model)[1].config.num_hidden_layers


def groups_for_mode(model: nn.Module, mode: str = "full", k: int = 2) -> list[str]:
    """The groups that train in `mode`: full, last_k (last k layers + pooler + head) or head_only."""
    groups = list(parameter_groups(model))
    if mode == "full":
        return groups
    if mode == "head_only":
        return ["head"]
    if mode == "last_k":
        n = num_layers(model)
        if not 0 <= k <= n:
            raise CourseError(f"k={k} layers asked for, but this encoder has {n} layers.", f"use 0 <= k <= {n}.")
        return [f"layer.{i}" for i in range(n - k, n)] + [g for g in ("pooler", "head") if g in groups]
    raise CourseError(f"Unknown freezing mode {mode!r}.", f"use one of {MODES}, or pass a list of group names to train.")


def freeze(model: nn.Module, mode="full", k: int = 2, extra=()) -> pd.DataFrame:
    """Make only the chosen groups trainable; `mode` is a mode name or a list of group names. Returns the report."""
    valid = list(parameter_groups(model))
    chosen = list(mode) if isinstance(mode, (list, tuple)) else groups_for_mode(model, mode, k)
    chosen += list(extra)
    unknown = [g for g in chosen if g not in valid]
    if unknown:
        raise CourseError(f"Unknown group name(s) {unknown}: this model's groups are {valid}.",
                          f"pass names from {valid} (or a mode from {MODES}).")
    for group, parameters in parameter_groups(model).items():
        for parameter in parameters:
            parameter.requires_grad_(group in chosen)
    return freeze_report(model)


def freeze_report(model: nn.Module) -> pd.DataFrame:
    """Trainable and total parameters per group, plus a `total` row."""
    rows = {group: {"trainable": sum(p.numel() for p in ps if p.requires_grad), "total": sum(p.numel() for p in ps)}
            for group, ps in parameter_groups(model).items()}
    report = pd.DataFrame.from_dict(rows, orient="index").rename_axis("group")
    report.loc["total"] = report.sum()
    return report


def trainable_groups(model: nn.Module) -> list[str]:
    """The groups with at least one trainable parameter."""
    return [g for g, ps in parameter_groups(model).items() if any(p.requires_grad for p in ps)]
