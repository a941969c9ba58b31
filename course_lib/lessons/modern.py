"""Lesson 08: encoders since BERT. One ModernBERT layer recomputed from its weights, RoPE measured, the cost of
alternating local/global attention, and BERT vs ModernBERT read side by side from their configs and modules.

The lesson writes each step out in the notebook; these helpers are the same steps, reusable by the exercise
checks and the tests. They follow transformers' `models/modernbert/modeling_modernbert.py` (transformers 5.x):

    layer(x) = h + GeGLU(mlp_norm(h)),   h = x + Wo(attention(RoPE(Q), RoPE(K), V)),   Q, K, V = Wqkv(attn_norm(x))

with attn_norm an Identity in layer 0 (the embeddings end in a LayerNorm already), RoPE's base (theta) chosen by
the layer's type, and a sliding-window mask (|i - j| <= local_attention // 2) in the "sliding_attention" layers.
The last hidden state is final_norm(output of the last layer).
"""
import math
import time

import pandas as pd
import torch
import torch.nn.functional as F

from ..core.errors import InputError

GLOBAL, LOCAL = "full_attention", "sliding_attention"  # the layer types of ModernBertConfig.layer_types
LENGTHS = (128, 512, 2048, 8192)  # the lengths of the cost table


# ---- checks -------------------------------------------------------------------------------------------------


def base_of(model):
    """The bare encoder (ModernBertModel / BertModel) inside any task model."""
    return getattr(model, "base_model", model)


def check_modern_layer(layer) -> None:
    """Raise an InputError unless `layer` is a ModernBERT encoder layer (fused Wqkv, GeGLU Wi/Wo)."""
    if not (hasattr(layer, "attn") and hasattr(getattr(layer, "attn"), "Wqkv") and hasattr(layer, "mlp")
            and hasattr(layer.mlp, "Wi") and hasattr(layer, "attention_type")):
        raise InputError(f"{type(layer).__name__} is not a ModernBERT encoder layer (no attn.Wqkv / mlp.Wi).",
                         "pass one layer of a ModernBERT encoder, e.g. base.layers[1] with "
                         "base = session.load_model('modern_encoder', AutoModel).")


def check_modern_model(model):
    """The bare ModernBERT encoder of `model`; an InputError for any other model (a BERT has `encoder.layer`)."""
    base = base_of(model)
    if not hasattr(base, "layers") or not hasattr(base, "final_norm"):
        raise InputError(f"{type(model).__name__} is not a ModernBERT model (it has no `layers` and `final_norm`).",
                         "load the lesson's ModernBERT: session.load_model('modern_encoder', AutoModel, "
                         "attn_implementation='eager').")
    return base


def check_mask(hidden: torch.Tensor, attention_mask: torch.Tensor) -> None:
    """hidden is [batch, seq, hidden] and attention_mask [batch, seq] of the same batch."""
    if not isinstance(hidden, torch.Tensor) or hidden.dim() != 3:
        raise InputError(f"hidden must be a [batch, seq, hidden] tensor, but got {type(hidden).__name__} "
                         f"{tuple(getattr(hidden, 'shape', ()))}.", "pass outputs.hidden_states[i] of the batch.")
    if not isinstance(attention_mask, torch.Tensor) or tuple(attention_mask.shape) != tuple(hidden.shape[:2]):
        raise InputError(f"attention_mask must be [batch, seq] = {tuple(hidden.shape[:2])}, but got "
                         f"{tuple(getattr(attention_mask, 'shape', ()))}.", "pass batch['attention_mask'] of the same batch.")


# ---- RoPE ---------------------------------------------------------------------------------------------------


def rope_theta(config, layer_type: str) -> float:
    """The RoPE base of one layer type, read from the config (ModernBERT: one for global, one for local layers)."""
    if layer_type not in (GLOBAL, LOCAL):
        raise InputError(f"Unknown layer type {layer_type!r}.", f"use {GLOBAL!r} or {LOCAL!r} (config.layer_types).")
    return float(config.rope_parameters[layer_type]["rope_theta"])


def rope_angles(positions: torch.Tensor, head_dim: int, theta: float):
    """cos and sin of the rotation angles position * theta^(-2i/d), each pair (i, i + d/2) sharing one angle.

    positions: [seq] or [batch, seq] -> cos, sin: [..., seq, head_dim].
    """
    if head_dim % 2:
        raise InputError(f"RoPE rotates pairs of numbers, so head_dim must be even, but it is {head_dim}.",
                         "use a head size that is a multiple of 2 (hidden_size / num_attention_heads).")
    if theta <= 0:
        raise InputError(f"theta must be a positive number, but got {theta!r}.", "read it from the config: "
                         "config.rope_parameters[layer_type]['rope_theta'].")
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=positions.device) / head_dim))
    angles = positions.to(torch.float32)[..., None] * inv_freq  # [..., seq, head_dim / 2]
    angles = torch.cat((angles, angles), dim=-1)  # the library pairs dimension i with i + d/2
    return angles.cos(), angles.sin()


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """(x1, x2) -> (-x2, x1) on the two halves of the last dimension: a 90-degree turn of every pair."""
    first, second = x.chunk(2, dim=-1)
    return torch.cat((-second, first), dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate every pair of x [batch, heads, seq, head_dim] by its angle: x cos + rotate_half(x) sin."""
    if cos.dim() == 2:
        cos, sin = cos[None], sin[None]
    return x * cos[:, None] + rotate_half(x) * sin[:, None]


def positions_of(batch_size: int, seq_len: int, position_ids=None, device=None) -> torch.Tensor:
    """position_ids as [batch, seq]: 0, 1, 2, ... when none are given (what the model uses)."""
    if position_ids is None:
        return torch.arange(seq_len, device=device)[None].expand(batch_size, seq_len)
    return position_ids.expand(batch_size, seq_len) if position_ids.dim() == 2 else position_ids[None].expand(batch_size, seq_len)


def rope_score(q: torch.Tensor, k: torch.Tensor, m: int, n: int, theta: float) -> float:
    """q . k / sqrt(d) after rotating q to position m and k to position n (q, k: [head_dim])."""
    cos, sin = rope_angles(torch.tensor([m, n], device=q.device), q.shape[-1], theta)
    q_rot = q * cos[0] + rotate_half(q) * sin[0]
    k_rot = k * cos[1] + rotate_half(k) * sin[1]
    return (q_rot @ k_rot).item() / math.sqrt(q.shape[-1])


def scores_at_placements(q: torch.Tensor, k: torch.Tensor, offset: int, starts, theta: float) -> pd.DataFrame:
    """The score of query q at position m with key k at m + offset, for each m in `starts`."""
    rows = [{"query position": m, "key position": m + offset, "score": rope_score(q, k, m, m + offset, theta)} for m in starts]
    return pd.DataFrame(rows)


# ---- the mask ------------------------------------------------------------------------------------------------


def window_mask(seq_len: int, local_attention: int, device=None) -> torch.Tensor:
    """[seq, seq] booleans, True where query i may read key j in a local layer: |i - j| <= local_attention // 2."""
    for name, value in (("seq_len", seq_len), ("local_attention", local_attention)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name} must be a whole number >= 1, but got {value!r}.",
                             "pass e.g. window_mask(12, config.local_attention).")
    position = torch.arange(seq_len, device=device)
    return (position[:, None] - position[None, :]).abs() <= local_attention // 2


def allowed(layer, attention_mask: torch.Tensor) -> torch.Tensor:
    """[batch, 1, seq, seq] booleans: which keys each query of `layer` may read (real keys, inside the window if local)."""
    keys = attention_mask.bool()[:, None, None, :]
    if layer.attention_type == LOCAL:
        seq = attention_mask.shape[1]
        keys = keys & window_mask(seq, layer.attn.config.local_attention, attention_mask.device)[None, None]
    return keys.expand(-1, 1, attention_mask.shape[1], -1)


# ---- one layer by hand ---------------------------------------------------------------------------------------


def split_qkv(layer, normed: torch.Tensor):
    """The fused projection Wqkv(x) cut into Q, K, V, each [batch, heads, seq, head_dim]."""
    batch, seq, _ = normed.shape
    heads = layer.attn.config.num_attention_heads
    qkv = layer.attn.Wqkv(normed).view(batch, seq, 3, heads, -1)  # [Q | K | V] side by side, each heads x head_dim
    q, k, v = qkv.unbind(dim=2)
    return q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)


def attention_by_hand(layer, hidden: torch.Tensor, attention_mask: torch.Tensor, position_ids=None):
    """The attention half of a ModernBERT layer: (attention weights [batch, heads, seq, seq], Wo output [batch, seq, hidden])."""
    check_modern_layer(layer)
    check_mask(hidden, attention_mask)
    normed = layer.attn_norm(hidden)  # pre-norm (an Identity in layer 0)
    q, k, v = split_qkv(layer, normed)
    theta = rope_theta(layer.attn.config, layer.attention_type)
    cos, sin = rope_angles(positions_of(hidden.shape[0], hidden.shape[1], position_ids, hidden.device), q.shape[-1], theta)
    q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(~allowed(layer, attention_mask), torch.finfo(scores.dtype).min)
    weights = scores.softmax(dim=-1)
    merged = (weights @ v).transpose(1, 2).reshape(hidden.shape)
    return weights, layer.attn.Wo(merged)


def geglu(layer, h: torch.Tensor) -> torch.Tensor:
    """The MLP half's block: Wo(gelu(a) * g), where (a, g) = Wi(mlp_norm(h)) cut in two halves."""
    check_modern_layer(layer)
    a, g = layer.mlp.Wi(layer.mlp_norm(h)).chunk(2, dim=-1)
    return layer.mlp.Wo(layer.mlp.act(a) * g)


@torch.no_grad()
def modern_layer_by_hand(layer, hidden: torch.Tensor, attention_mask: torch.Tensor, position_ids=None):
    """Recompute one ModernBERT layer from its weights: (attention weights, layer output)."""
    weights, attended = attention_by_hand(layer, hidden, attention_mask, position_ids)
    h = hidden + attended  # residual 1
    return weights, h + geglu(layer, h)  # residual 2


def max_difference(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """Largest absolute difference, over the real (mask == 1) tokens when a [batch, seq] mask is given."""
    difference = (a.float() - b.float()).abs()
    if mask is not None:
        difference = difference[mask.bool()]
    return difference.max().item()


@torch.no_grad()
def every_layer_by_hand(model, outputs, attention_mask: torch.Tensor, tolerance: float = 1e-5) -> pd.DataFrame:
    """Each layer by hand vs the model: its type, RoPE base, and whether weights and output match (< tolerance).

    outputs.hidden_states[i] is layer i's input; the last entry is final_norm(last layer's output), so the last
    layer's output is compared after the final norm.
    """
    base = check_modern_model(model)
    if not outputs.attentions or outputs.hidden_states is None:
        raise InputError("The outputs hold no attention weights or hidden states.",
                         "load the model with attn_implementation='eager' and call it with output_hidden_states=True, "
                         "output_attentions=True.")
    rows, last = [], len(base.layers) - 1
    for i, layer in enumerate(base.layers):
        weights, out = modern_layer_by_hand(layer, outputs.hidden_states[i], attention_mask)
        if i == last:
            out = base.final_norm(out)
        rows.append({"layer": i, "attention": "global" if layer.attention_type == GLOBAL else "local",
                     "RoPE theta": rope_theta(base.config, layer.attention_type),
                     "pre-norm": type(layer.attn_norm).__name__,
                     "weights match": max_difference(weights, outputs.attentions[i]) < tolerance,
                     "output match": max_difference(out, outputs.hidden_states[i + 1]) < tolerance})
    return pd.DataFrame(rows).set_index("layer")


# ---- BERT vs ModernBERT, read from configs and modules ------------------------------------------------------


def _positions(base) -> str:
    table = getattr(getattr(base, "embeddings", None), "position_embeddings", None)
    if table is not None:
        return f"learned absolute: a table of {table.weight.shape[0]} x {table.weight.shape[1]} added to the tokens"
    parameters = getattr(base.config, "rope_parameters", None) or {}
    thetas = " / ".join(f"{'global' if kind == GLOBAL else 'local'} {p['rope_theta']:,.0f}"
                        for kind, p in sorted(parameters.items()) if p)
    return f"rotary (RoPE) on Q and K, no table; theta {thetas}"


def _norms(base) -> str:
    layer = _layers(base)[0]
    if hasattr(layer, "attn_norm"):
        first = type(layer.attn_norm).__name__
        return f"pre-norm: attn_norm, mlp_norm before each block (layer 0's attn_norm: {first}), then final_norm"
    names = [n for n, m in layer.named_modules() if isinstance(m, torch.nn.LayerNorm)]
    return f"post-norm: LayerNorm after each residual add ({', '.join(names)})"


def _mlp(base) -> str:
    layer, config = _layers(base)[0], base.config
    if hasattr(layer, "mlp"):
        wi = layer.mlp.Wi
        return (f"GeGLU: Wi {wi.in_features} -> 2 x {wi.out_features // 2}, {config.hidden_activation}(a) * g, "
                f"Wo {layer.mlp.Wo.in_features} -> {layer.mlp.Wo.out_features}")
    dense = layer.intermediate.dense
    return (f"{dense.in_features} -> {dense.out_features}, {config.hidden_act}, "
            f"{layer.output.dense.in_features} -> {layer.output.dense.out_features}")


def _attention(base) -> str:
    config = base.config
    kinds = list(getattr(config, "layer_types", None) or [GLOBAL] * config.num_hidden_layers)
    n_global = kinds.count(GLOBAL)
    if n_global == len(kinds):
        return f"global in all {len(kinds)} layers"
    where = ", ".join(str(i) for i, kind in enumerate(kinds) if kind == GLOBAL)
    return (f"global in {n_global} of {len(kinds)} layers ({where}); the other {len(kinds) - n_global}: "
            f"sliding window of {config.local_attention} tokens (+-{config.local_attention // 2})")


def _pooler(base) -> str:
    pooler = getattr(base, "pooler", None)
    if pooler is not None:
        return f"dense {pooler.dense.in_features} -> {pooler.dense.out_features} + tanh on [CLS]"
    pooling = getattr(base.config, "classifier_pooling", None)
    return f"none (a classifier pools by config.classifier_pooling = {pooling!r})" if pooling else "none"


def _token_types(base) -> str:
    table = getattr(getattr(base, "embeddings", None), "token_type_embeddings", None)
    if table is not None:
        return f"yes: a table of {table.weight.shape[0]} segment vectors"
    return "none: no segment embedding"


def _biases(base) -> str:
    linear = [m for m in base.modules() if isinstance(m, (torch.nn.Linear, torch.nn.LayerNorm))]
    with_bias = sum(m.bias is not None for m in linear)
    return f"{with_bias} of {len(linear)} linear / norm layers"


def _layers(base):
    return base.layers if hasattr(base, "layers") else base.encoder.layer


def architecture_table(models: dict) -> pd.DataFrame:
    """BERT vs ModernBERT (or any encoders), each row read from the loaded config and modules, never typed.

    models: {column name: model}.
    """
    if not models:
        raise InputError("architecture_table needs at least one model.", "pass e.g. {'BERT': bert, 'ModernBERT': modern}.")
    rows = {}
    for name, model in models.items():
        base = base_of(model)
        if not hasattr(base, "config") or not (hasattr(base, "layers") or hasattr(base, "encoder")):
            raise InputError(f"{name!r} is a {type(model).__name__}, not an encoder model.",
                             "pass models loaded with session.load_model(role, AutoModel).")
        config = base.config
        rows[name] = {
            "layers x hidden (heads)": f"{config.num_hidden_layers} x {config.hidden_size} ({config.num_attention_heads})",
            "positions": _positions(base),
            "norm placement": _norms(base),
            "MLP": _mlp(base),
            "attention pattern": _attention(base),
            "pooler": _pooler(base),
            "token_type_ids": _token_types(base),
            "context length (config)": f"{config.max_position_embeddings:,}",
            "vocabulary (config)": f"{config.vocab_size:,}",
            "bias vectors": _biases(base),
            "parameters": f"{sum(p.numel() for p in base.parameters()):,}",
        }
    return pd.DataFrame(rows)


# ---- cost ------------------------------------------------------------------------------------------------------


def window_pairs(seq_len: int, local_attention: int) -> int:
    """Query-key pairs a local layer scores on seq_len tokens: every i, j with |i - j| <= local_attention // 2."""
    half = local_attention // 2
    position = torch.arange(seq_len)
    return int(((position + half).clamp(max=seq_len - 1) - (position - half).clamp(min=0) + 1).sum())


def attention_pairs(config, seq_len: int, all_global: bool = False) -> int:
    """Query-key pairs one forward pass scores, summed over the layers of `config` (or as if every layer were global)."""
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 1:
        raise InputError(f"seq_len must be a whole number >= 1, but got {seq_len!r}.", "pass e.g. 512.")
    kinds = [GLOBAL] * config.num_hidden_layers if all_global else list(config.layer_types)
    return sum(seq_len * seq_len if kind == GLOBAL else window_pairs(seq_len, config.local_attention) for kind in kinds)


def cost_table(config, lengths=LENGTHS) -> pd.DataFrame:
    """Attention work (query-key pairs, and 4 x pairs x hidden FLOPs for QK^T and weights x V) per forward pass."""
    rows = []
    for n in lengths:
        full, alternating = attention_pairs(config, n, all_global=True), attention_pairs(config, n)
        rows.append({"length": n, "pairs, every layer global": full, "pairs, alternating": alternating,
                     "alternating / global": alternating / full,
                     "attention GFLOPs, alternating": 4 * alternating * config.hidden_size / 1e9})
    return pd.DataFrame(rows).set_index("length")


def readable_costs(table: pd.DataFrame) -> pd.DataFrame:
    """cost_table with thousands separators and the ratio as a percentage, for printing."""
    out = pd.DataFrame(index=table.index)
    for column in table.columns:
        if column == "alternating / global":
            out[column] = table[column].map(lambda r: f"{r:.1%}")
        elif "GFLOPs" in column:
            out[column] = table[column].map(lambda g: f"{g:,.0f}" if g >= 100 else f"{g:.3g}")
        else:
            out[column] = table[column].map(lambda n: f"{n:,}")
    return out


def plot_costs(tables: dict):
    """Attention work against length for each config (log-log), every layer global vs alternating."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for (name, table), colour in zip(tables.items(), ("tab:blue", "tab:orange", "tab:green")):
        ax.plot(table.index, table["pairs, every layer global"], "--o", color=colour, label=f"{name}: every layer global")
        ax.plot(table.index, table["pairs, alternating"], "-o", color=colour, label=f"{name}: alternating local/global")
    ax.set(xscale="log", yscale="log", xlabel="tokens in the input", ylabel="query-key pairs per forward pass",
           title="attention work, computed from the configs")
    ax.set_xticks(list(next(iter(tables.values())).index), [f"{n:,}" for n in next(iter(tables.values())).index])
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def masked_window_attention(q, k, v, local_attention: int) -> torch.Tensor:
    """Attention with a sliding-window mask on the full [seq, seq] score matrix: every pair is computed, most discarded."""
    mask = window_mask(q.shape[-2], local_attention, q.device)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def blocked_window_attention(q, k, v, local_attention: int) -> torch.Tensor:
    """The same sliding-window attention, computed block by block: each block of `half` queries reads only the
    3 x half keys around it, so the work grows like seq x window instead of seq^2. q, k, v: [batch, heads, seq, d]."""
    half = local_attention // 2
    batch, heads, seq, dim = q.shape
    pad = (-seq) % half
    blocks = (seq + pad) // half
    q_blocks = F.pad(q, (0, 0, 0, pad)).view(batch, heads, blocks, half, dim)
    k_padded, v_padded = F.pad(k, (0, 0, half, half + pad)), F.pad(v, (0, 0, half, half + pad))
    k_windows = k_padded.unfold(2, 3 * half, half)  # [batch, heads, blocks, dim, 3 * half]
    v_windows = v_padded.unfold(2, 3 * half, half).transpose(-1, -2)  # [batch, heads, blocks, 3 * half, dim]
    scores = q_blocks @ k_windows / math.sqrt(dim)  # [batch, heads, blocks, half, 3 * half]
    row = torch.arange(half, device=q.device)[:, None]
    column = torch.arange(3 * half, device=q.device)[None, :]
    key = torch.arange(blocks, device=q.device)[:, None, None] * half - half + column  # the key position of each column
    keep = ((row - column + half).abs() <= half) & (key >= 0) & (key < seq)  # [blocks, half, 3 * half]
    scores = scores.masked_fill(~keep, float("-inf"))
    out = scores.softmax(dim=-1) @ v_windows  # [batch, heads, blocks, half, dim]
    return out.reshape(batch, heads, blocks * half, dim)[:, :, :seq]


def full_attention(q, k, v) -> torch.Tensor:
    """Plain global attention (every pair)."""
    return F.scaled_dot_product_attention(q, k, v)


def seconds_of(function, *args, repeats: int = 3, warm: bool = True) -> float:
    """The fastest of `repeats` runs of function(*args), in seconds (after one warm-up run, unless warm=False)."""
    if warm:
        function(*args)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - start)
    return best


@torch.no_grad()
def measure_window_speed(seq_len: int, heads: int, head_dim: int, local_attention: int, seed: int = 0,
                         repeats: int = 3) -> dict:
    """Time global attention, the masked window (every pair computed) and the blocked window on random q, k, v.

    Also checks that the blocked window gives the masked window's output (the same attention, computed cheaper).
    """
    generator = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(1, heads, seq_len, head_dim, generator=generator) for _ in range(3))
    same = max_difference(blocked_window_attention(q, k, v, local_attention),  # also the warm-up of both
                          masked_window_attention(q, k, v, local_attention))
    return {"length": seq_len, "global s": seconds_of(full_attention, q, k, v, repeats=repeats),
            "masked window s": seconds_of(masked_window_attention, q, k, v, local_attention, repeats=repeats, warm=False),
            "blocked window s": seconds_of(blocked_window_attention, q, k, v, local_attention, repeats=repeats, warm=False),
            "blocked == masked (max difference)": same}


# ---- the classifier head -------------------------------------------------------------------------------------


@torch.no_grad()
def classifier_by_hand(model, batch) -> torch.Tensor:
    """ModernBertForSequenceClassification's logits from its parts: pool (config.classifier_pooling), head, classifier."""
    base = check_modern_model(model)
    if not hasattr(model, "classifier") or not hasattr(model, "head"):
        raise InputError(f"{type(model).__name__} has no classification head.",
                         "load it with AutoModelForSequenceClassification, num_labels=2.")
    hidden = base(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    if model.config.classifier_pooling == "mean":
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1)
    else:
        pooled = hidden[:, 0]
    return model.classifier(model.drop(model.head(pooled)))


def text_longer_than(tokenizer, texts, n_tokens: int, step: int = 25) -> str:
    """The first words of `texts` (joined), just enough to make more than `n_tokens` tokens for `tokenizer`."""
    words = " ".join(texts).split()
    for end in range(step, len(words) + step, step):
        text = " ".join(words[:end])
        if token_count(tokenizer, text) > n_tokens:
            return text
    raise InputError(f"The texts make only {token_count(tokenizer, ' '.join(words))} tokens, not more than {n_tokens}.",
                     "pass more texts, e.g. every test row.")


def token_count(tokenizer, text: str) -> int:
    """How many tokens `text` becomes, special tokens included, without truncation."""
    return len(tokenizer(text, truncation=False)["input_ids"])


# ---- BERT vs ModernBERT fine-tuned on the same rows (full profile) -------------------------------------------


def fine_tune(session, role: str, rows, check, test, *, lr: float, seed: int, estimate_runs: int = 0) -> dict:
    """Fine-tune every weight of the role's pretrained encoder under a fresh head; its check and test accuracy.
    With estimate_runs, first print how long that many such runs take at most here (nothing on a CUDA GPU)."""
    from transformers import AutoModelForSequenceClassification

    from ..core.estimates import warn_if_slow
    from ..core.gpu import release
    from ..core.session import seed_everything
    from ..core.training import evaluate, train

    sizes, length = session.sizes, session.sizes["modern_max_length"]
    seed_everything(seed)
    model = session.load_model(role, AutoModelForSequenceClassification, num_labels=2)
    tokenizer = session.load_tokenizer(role)
    if estimate_runs:
        warn_if_slow(session, model, rows=len(rows) * estimate_runs, epochs=sizes["modern_epochs"], max_length=length,
                     what=f"fine-tuning {session.checkpoint(role)} {estimate_runs} times at most (sweep and seeds)")
    result = train(model, rows, check, tokenizer, device=session.device, epochs=sizes["modern_epochs"], lr=lr,
                   batch_size=sizes["batch_size"], max_length=length, seed=seed, progress=False, plot=False)
    test_accuracy = evaluate(model, test, session.device, tokenizer, max_length=length)["accuracy"]
    release(model, result)
    return {"encoder": session.checkpoint(role), "lr": lr, "seed": seed, "check accuracy": result.best_accuracy,
            "check loss": result.best_loss, "test accuracy": test_accuracy, "test rows": len(test),
            "seconds": result.seconds}


def compare_encoders(session, roles, rows, check, test, seeds: int) -> pd.DataFrame:
    """Each role: lesson 07's learning-rate sweep on seed 0 (from lesson 06's rate), then every seed at its pick."""
    from ..core import sweeps
    from .modes import check_score

    if seeds < 3:
        raise InputError(f"seeds={seeds}: fewer than 3 seeds give no usable spread to compare against.",
                         "pass seeds=3 or more.")
    runs = []
    for role in roles:
        estimate = iter([sweeps.MOST_RUNS + seeds - 1])  # the time estimate: before the encoder's first run only
        sweep, best = sweeps.sweep(lambda lr: fine_tune(session, role, rows, check, test, lr=lr, seed=0,
                                                        estimate_runs=next(estimate, 0)),
                                   session.sizes["real_run_lr"], check_score)
        runs += [{**run, "picked": run["lr"] == best} for run in sweep]
        runs += [{**fine_tune(session, role, rows, check, test, lr=best, seed=seed), "picked": True}
                 for seed in range(1, seeds)]
    return pd.DataFrame(runs)
