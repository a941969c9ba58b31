"""Lesson 02 anatomy: one BERT encoder layer recomputed from its weights, the stack drawn with shapes, weight statistics.

The lesson writes each step out in the notebook; these helpers are the same steps, reusable by the exercise
checks and the tests. They expect a BERT-style layer (`attention.self.query/key/value`, `attention.output`,
`intermediate`, `output`), as in bert-base-uncased and all-MiniLM-L6-v2.
"""
import math

import pandas as pd
import torch

from ..core.errors import InputError
from ..core.tensors import additive_mask


def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """[batch, seq, hidden] -> [batch, heads, seq, head_dim]."""
    batch, seq, hidden = x.shape
    return x.view(batch, seq, num_heads, hidden // num_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """[batch, heads, seq, head_dim] -> [batch, seq, heads * head_dim]."""
    batch, heads, seq, head_dim = x.shape
    return x.transpose(1, 2).reshape(batch, seq, heads * head_dim)


def attention_weights(layer, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """softmax(Q Kᵀ / √d + mask) of every head of `layer`: [batch, heads, seq, seq]."""
    heads = layer.attention.self.num_attention_heads
    q = split_heads(layer.attention.self.query(hidden), heads)
    k = split_heads(layer.attention.self.key(hidden), heads)
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    return torch.softmax(scores + additive_mask(attention_mask, scores.dtype), dim=-1)


def self_attention_block(layer, hidden: torch.Tensor, attention_mask: torch.Tensor):
    """Attention weights and LayerNorm(hidden + W_o · merge(weights · V)): the layer's first half."""
    weights = attention_weights(layer, hidden, attention_mask)
    values = split_heads(layer.attention.self.value(hidden), layer.attention.self.num_attention_heads)
    projected = layer.attention.output.dense(merge_heads(weights @ values))
    return weights, layer.attention.output.LayerNorm(hidden + projected)


def feed_forward_block(layer, x: torch.Tensor) -> torch.Tensor:
    """LayerNorm(x + W_2 · gelu(W_1 · x)): the layer's second half."""
    inner = layer.intermediate.intermediate_act_fn(layer.intermediate.dense(x))
    return layer.output.LayerNorm(x + layer.output.dense(inner))


@torch.no_grad()
def encoder_layer_by_hand(layer, hidden: torch.Tensor, attention_mask: torch.Tensor):
    """Recompute one encoder layer from its weights: (attention weights, layer output)."""
    weights, attended = self_attention_block(layer, hidden, attention_mask)
    return weights, feed_forward_block(layer, attended)


def max_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest absolute difference between two tensors of the same shape."""
    return (a.float() - b.float()).abs().max().item()


def weight_statistics(model) -> pd.DataFrame:
    """Mean, std and largest |value| of the pooler's weight and bias beside the encoder's Q/K/V weights and biases."""
    base = getattr(model, "base_model", model)
    if getattr(base, "pooler", None) is None:
        raise InputError(f"{type(model).__name__} has no pooler.", "load the encoder with AutoModel (BertModel has one).")
    attention = [(n, p) for n, p in base.encoder.named_parameters() if ".attention.self." in n]
    groups = {"pooler.dense.weight": base.pooler.dense.weight, "pooler.dense.bias": base.pooler.dense.bias,
              "encoder Q/K/V weights (all layers)": torch.cat([p.flatten() for n, p in attention if n.endswith("weight")]),
              "encoder Q/K/V biases (all layers)": torch.cat([p.flatten() for n, p in attention if n.endswith("bias")])}
    stats = {name: {"numbers": p.numel(), "mean": p.mean().item(), "std": p.std().item(), "max |value|": p.abs().max().item()}
             for name, p in groups.items()}
    return pd.DataFrame.from_dict(stats, orient="index")


def encoder_stack_rows(config, batch: int, seq: int) -> tuple[list[tuple[str, str]], int]:
    """(block, output shape) rows from input ids to pooler_output, and the number of layers, for this config."""
    H, heads, L, inner = config.hidden_size, config.num_attention_heads, config.num_hidden_layers, config.intermediate_size
    return [("input_ids, attention_mask", f"[{batch}, {seq}]"),
            ("embeddings: word + position + token type, LayerNorm", f"[{batch}, {seq}, {H}]"),
            (f"Q, K, V = linear(x), split into {heads} heads", f"3 x [{batch}, {heads}, {seq}, {H // heads}]"),
            (f"softmax(QKᵀ/√{H // heads} + mask)  (outputs.attentions)", f"[{batch}, {heads}, {seq}, {seq}]"),
            ("weights x V, merge heads, output linear", f"[{batch}, {seq}, {H}]"),
            ("add x (residual), LayerNorm", f"[{batch}, {seq}, {H}]"),
            (f"feed-forward: linear {H}->{inner}, GELU", f"[{batch}, {seq}, {inner}]"),
            (f"linear {inner}->{H}, add (residual), LayerNorm", f"[{batch}, {seq}, {H}]"),
            ("last_hidden_state", f"[{batch}, {seq}, {H}]"),
            ("pooler: tanh(dense(last_hidden_state[:, 0]))", f"[{batch}, {H}]")], L


def draw_encoder_stack(config, batch: int = 2, seq: int = 10):
    """A matplotlib diagram of the encoder stack: one box per step, its output shape beside it, the repeated layer framed."""
    import matplotlib.pyplot as plt

    rows, layers = encoder_stack_rows(config, batch, seq)
    fig, ax = plt.subplots(figsize=(9, 0.62 * len(rows) + 0.6))
    ax.set(xlim=(0, 10), ylim=(-0.6, len(rows)), xticks=[], yticks=[])
    ax.axis("off")
    for i, (block, shape) in enumerate(rows):
        y = len(rows) - 1 - i
        inside = 2 <= i <= 7
        ax.text(3.3, y, block, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round", fc="#dbe9f6" if inside else "#eeeeee", ec="gray"))
        ax.text(7.1, y, shape, ha="left", va="center", fontsize=9, family="monospace")
        if i:
            ax.annotate("", (3.3, y + 0.3), (3.3, y + 0.7), arrowprops=dict(arrowstyle="->", color="gray"))
    ax.add_patch(plt.Rectangle((0.05, len(rows) - 8.45), 6.5, 5.9, fill=False, ec="tab:blue", lw=1.5, ls="--"))
    ax.text(0.15, len(rows) - 2.7, f"encoder layer\nx {layers}", color="tab:blue", fontsize=9, va="top")
    ax.set_title(f"BERT encoder: hidden {config.hidden_size}, {config.num_attention_heads} heads, {layers} layers (batch {batch}, seq {seq})")
    fig.tight_layout()
    return fig
