"""Lesson 02 helpers: cosine similarity, parameter groups and per-layer statistics of hidden states.

Mask-aware mean pooling lives in course_lib.core.tensors (the engine and the cached layers use it too)."""
import re

import pandas as pd
import torch
import torch.nn.functional as F

from ..core.errors import InputError


def cosine_matrix(vectors: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every row with every row: [n, hidden] -> [n, n]."""
    if not isinstance(vectors, torch.Tensor) or vectors.dim() != 2:
        raise InputError(f"vectors must be a 2-D tensor [n, hidden], but got {type(vectors).__name__} "
                         f"{tuple(getattr(vectors, 'shape', ()))}.", "stack them first: torch.stack(list_of_vectors).")
    unit = F.normalize(vectors.float(), dim=-1)
    return unit @ unit.T


def parameter_group(name: str) -> str:
    """The block a parameter belongs to: 'embeddings', 'encoder layer i', 'pooler', ..."""
    match = re.search(r"layers?\.(\d+)\.", name)
    if match:
        return f"encoder layer {int(match.group(1))}"
    return name.split(".")[0]


def parameter_table(model: torch.nn.Module) -> pd.DataFrame:
    """Parameters per block: tensors, 2-D weight matrices, numel of the matrices only and numel of everything."""
    rows = {}
    for name, param in model.named_parameters():
        row = rows.setdefault(parameter_group(name), {"tensors": 0, "matrices": 0, "numel_matrices": 0, "numel_all": 0})
        row["tensors"] += 1
        row["numel_all"] += param.numel()
        if param.dim() == 2:
            row["matrices"] += 1
            row["numel_matrices"] += param.numel()
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("group")
    table.loc["total"] = table.sum()
    return table


def real_token_mask(attention_mask: torch.Tensor, skip_cls: bool = False) -> torch.Tensor:
    """A float mask of real (non-[PAD]) tokens, optionally without position 0 ([CLS])."""
    mask = attention_mask.clone().float()
    if skip_cls:
        mask[:, 0] = 0
    return mask


def token_norms_by_layer(hidden_states, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean L2 norm of the real token vectors at each layer (embeddings first): [layers + 1]."""
    mask = real_token_mask(attention_mask)
    return torch.stack([(h.norm(dim=-1) * mask).sum() / mask.sum() for h in hidden_states])


def cls_similarity_by_layer(hidden_states, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean cosine similarity between [CLS] and the other real tokens at each layer: [layers + 1]."""
    mask = real_token_mask(attention_mask, skip_cls=True)
    sims = [(F.cosine_similarity(h[:, :1], h, dim=-1) * mask).sum() / mask.sum() for h in hidden_states]
    return torch.stack(sims)
