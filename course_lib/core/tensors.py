"""Small tensor rules shared by the engine, the cached layers and the lessons: pooling and the attention mask."""
import torch

from .errors import InputError

POOLINGS = ("pooler", "cls", "mean")


def check_hidden_and_mask(last_hidden_state, attention_mask) -> None:
    """Raise an InputError unless the hidden states are [batch, seq, hidden] and the mask [batch, seq] of the same batch."""
    for name, value, dims in (("last_hidden_state", last_hidden_state, 3), ("attention_mask", attention_mask, 2)):
        if not isinstance(value, torch.Tensor) or value.dim() != dims:
            raise InputError(f"{name} must be a {dims}-D tensor, but got {type(value).__name__} "
                             f"{tuple(getattr(value, 'shape', ()))}.",
                             "pass outputs.last_hidden_state and batch['attention_mask'] from the same batch "
                             "(tokenizer(..., return_tensors='pt')).")
    if tuple(last_hidden_state.shape[:2]) != tuple(attention_mask.shape):
        raise InputError(f"last_hidden_state is {tuple(last_hidden_state.shape)} but attention_mask is "
                         f"{tuple(attention_mask.shape)}: they come from different batches.",
                         "pass the attention_mask of the batch the model just ran on: batch['attention_mask'].")


def mean_pool(last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average the token vectors of each sentence, ignoring [PAD] positions: [batch, seq, hidden] -> [batch, hidden]."""
    check_hidden_and_mask(last_hidden_state, attention_mask)
    mask = attention_mask.unsqueeze(-1).to(last_hidden_state.dtype)
    return (last_hidden_state * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


def pool(hidden_states, attention_mask, pooling: str = "pooler", pooler=None) -> torch.Tensor:
    """One vector per row: the model's pooler (dense + tanh on [CLS]), the raw [CLS] vector, or the mask-aware mean."""
    if pooling == "mean":
        return mean_pool(hidden_states, attention_mask)
    if pooling == "pooler" and pooler is not None:
        return pooler(hidden_states)
    return hidden_states[:, 0]


def additive_mask(attention_mask: torch.Tensor, dtype=torch.float32) -> torch.Tensor:
    """[batch, seq] 1/0 mask -> [batch, 1, 1, seq]: 0 for real keys, the lowest float for [PAD] keys.

    Added to the attention scores before the softmax, it gives [PAD] keys a weight of 0 (what BertModel does inside).
    """
    return (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
