"""Checks for lesson 08 (encoders since BERT): RoPE, the sliding-window mask and GeGLU, each written by the learner
and checked on inputs the lesson never showed (random tensors of other shapes, other positions, other models)."""
import torch
from transformers import ModernBertConfig, ModernBertModel

from ..lessons import modern
from . import Exercise, not_answered, report

# ---- exercise 1: RoPE -------------------------------------------------------------------------------------------

ROPE_CASES = [  # (batch, heads, seq, head_dim, first position, theta): unseen shapes, offsets and bases
    (2, 3, 5, 8, 0, 10_000.0), (1, 2, 7, 16, 37, 160_000.0), (1, 1, 4, 64, 500, 10_000.0), (3, 2, 6, 32, 3, 1_000.0)]


def _rope_case(batch, heads, seq, head_dim, first, theta):
    generator = torch.Generator().manual_seed(seq * head_dim + first)
    x = torch.randn(batch, heads, seq, head_dim, generator=generator)
    positions = torch.arange(first, first + seq)
    return x, positions, theta


def _rope_reference(x, positions, theta):
    return modern.apply_rope(x, *modern.rope_angles(positions, x.shape[-1], theta))


def _interleaved_rope(x, positions, theta):
    """The other pairing convention (dimensions 2i and 2i+1 rotate together), as in the RoPE paper."""
    d = x.shape[-1]
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
    angles = positions.float()[:, None] * inv_freq
    cos, sin = angles.cos().repeat_interleave(2, -1), angles.sin().repeat_interleave(2, -1)
    pairs = torch.stack((-x[..., 1::2], x[..., 0::2]), dim=-1).flatten(-2)
    return x * cos + pairs * sin


ROPE_MISTAKES = [  # (what the learner's output equals, the hint that names the concept)
    (lambda x, p, t: x, "nothing was rotated: every pair (i, i + d/2) turns by the angle position * theta^(-2i/d)."),
    (lambda x, p, t: _rope_reference(x, -p, t), "you turn the wrong way round: x cos + rotate_half(x) sin, where "
                                                 "rotate_half(x1, x2) = (-x2, x1)."),
    (_interleaved_rope, "you pair neighbours (0, 1), (2, 3), ...; transformers pairs dimension i with i + d/2 "
                        "(rotate_half splits the last dimension into two halves)."),
    (lambda x, p, t: _rope_reference(x, p, t ** 0.5), "the frequencies are off: theta^(-2i/d) for i = 0 .. d/2 - 1, "
                                                       "i.e. torch.arange(0, d, 2) / d in the exponent."),
    (lambda x, p, t: _rope_reference(x, p - p[0], t), "you restarted the positions at 0: use the positions passed in."),
]


def check_rope(function) -> object:
    """`function(x, positions, theta)` rotates x [batch, heads, seq, head_dim] as ModernBERT's RoPE does."""
    if function is None:
        return not_answered("my_rope", "def my_rope(x, positions, theta): ... return the rotated x.")
    for case in ROPE_CASES:
        x, positions, theta = _rope_case(*case)
        truth = _rope_reference(x, positions, theta)
        try:
            got = function(x.clone(), positions.clone(), theta)
        except Exception as error:  # the learner's code may raise anything: report it as a hint
            return report(False, f"my_rope raised {type(error).__name__}: {error} (x of shape {tuple(x.shape)}).",
                          "work on the last dimension only: x.chunk(2, dim=-1) gives the two halves of every head.")
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(x.shape):
            return report(False, f"expected a tensor of shape {tuple(x.shape)}, got "
                                 f"{type(got).__name__} {tuple(getattr(got, 'shape', ()))}.",
                          "return a tensor shaped like x: RoPE rotates, it never changes the shape.")
        if not torch.allclose(got.float(), truth, atol=1e-4):
            for mistake, hint in ROPE_MISTAKES:
                if torch.allclose(got.float(), mistake(x, positions, theta), atol=1e-4):
                    return report(False, f"for head size {x.shape[-1]}, positions {positions[0].item()}.."
                                         f"{positions[-1].item()} and theta {theta:,.0f} the rotation is wrong.", hint)
            return report(False, f"for head size {x.shape[-1]}, positions {positions[0].item()}..{positions[-1].item()} "
                                 f"and theta {theta:,.0f}, the largest difference from RoPE is "
                                 f"{(got.float() - truth).abs().max().item():.3g}.",
                          "check each piece against section 3, step 2: the d/2 speeds, the angles for the given "
                          "positions, and which numbers are paired.")
    return report(True, f"your RoPE equals ModernBERT's on {len(ROPE_CASES)} inputs you had not seen "
                        "(head sizes 8 to 64, positions up to 503, three bases).")


ex1 = Exercise(
    "08", "ex1", "my_rope", check_rope,
    hints=("RoPE turns every pair of numbers in q (and k) by an angle that grows with the token's position, at a "
           "different speed for each pair: angle = position * theta^(-2i/d).",
           "transformers pairs dimension i with dimension i + d/2: cut the head in two halves, (x1, x2), and the "
           "rotated vector is x * cos + (-x2, x1) * sin, with the d/2 angles repeated for both halves.",
           "inv_freq = 1 / theta ** (torch.arange(0, d, 2).float() / d); angles = positions.float()[:, None] * inv_freq; "
           "angles = torch.cat((angles, angles), -1); first, second = x.chunk(2, -1); "
           "return x * angles.cos() + torch.cat((-second, first), -1) * angles.sin()"),
    solution_code='''
def my_rope(x, positions, theta):
    d = x.shape[-1]
    inv_freq = 1.0 / theta ** (torch.arange(0, d, 2).float() / d)   # one speed per pair
    angles = positions.float()[:, None] * inv_freq                     # [seq, d/2]
    angles = torch.cat((angles, angles), dim=-1)                       # dimension i and i + d/2 share an angle
    first, second = x.chunk(2, dim=-1)
    return x * angles.cos() + torch.cat((-second, first), dim=-1) * angles.sin()
''')

# ---- exercise 2: the sliding-window mask --------------------------------------------------------------------------

WINDOW_CASES = [(10, 4), (7, 6), (20, 8), (5, 128), (130, 128), (9, 3)]  # (seq_len, local_attention), unseen

WINDOW_MISTAKES = [
    (lambda n, w: torch.ones(n, n, dtype=torch.bool), "that is a global layer: every token reads every token. In a local "
                                                      "layer a token reads only the tokens near it."),
    (lambda n, w: modern.window_mask(n, 2 * w), "the window is local_attention tokens in all: "
                                                "local_attention // 2 on each side of the query."),
    (lambda n, w: modern.window_mask(n, w) & (torch.arange(n)[:, None] - torch.arange(n)[None, :]).abs().ne(w // 2),
     "the edge is inside the window: |i - j| <= local_attention // 2 (less than or equal)."),
    (lambda n, w: modern.window_mask(n, w) & (torch.arange(n)[:, None] >= torch.arange(n)[None, :]),
     "an encoder reads both sides: the window reaches local_attention // 2 tokens to the left AND to the right."),
]


def check_window_mask(function) -> object:
    """`function(seq_len, local_attention)` is the [seq, seq] boolean mask of a ModernBERT local layer."""
    if function is None:
        return not_answered("my_window_mask", "def my_window_mask(seq_len, local_attention): ... return a bool tensor.")
    for seq_len, local_attention in WINDOW_CASES:
        truth = modern.window_mask(seq_len, local_attention)
        try:
            got = function(seq_len, local_attention)
        except Exception as error:  # the learner's code may raise anything: report it as a hint
            return report(False, f"my_window_mask({seq_len}, {local_attention}) raised {type(error).__name__}: {error}.",
                          "build the positions with torch.arange(seq_len) and compare every pair (i, j).")
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != (seq_len, seq_len):
            return report(False, f"my_window_mask({seq_len}, {local_attention}) should be a [{seq_len}, {seq_len}] "
                                 f"tensor, got {type(got).__name__} {tuple(getattr(got, 'shape', ()))}.",
                          "one row per query, one column per key.")
        if got.dtype != torch.bool:
            return report(False, f"the mask is {got.dtype}, not booleans.",
                          "return True where query i may read key j (a comparison such as (...) <= half gives booleans).")
        if not torch.equal(got, truth):
            for mistake, hint in WINDOW_MISTAKES:
                if torch.equal(got, mistake(seq_len, local_attention)):
                    return report(False, f"for {seq_len} tokens and local_attention = {local_attention} the mask is "
                                         "not the model's.", hint)
            wrong = int((got != truth).sum())
            return report(False, f"for {seq_len} tokens and local_attention = {local_attention}, {wrong} of "
                                 f"{seq_len * seq_len} entries differ from the model's mask.",
                          "compare the distance between query i and key j with the window: how many tokens does "
                          "local_attention allow on each side?")
    return report(True, f"your mask equals the local layers' on {len(WINDOW_CASES)} sizes you had not seen "
                        "(a window wider than the text included).")


ex2 = Exercise(
    "08", "ex2", "my_window_mask", check_window_mask,
    hints=("In a local layer each token reads only its neighbours: a band around the diagonal of the [seq, seq] matrix.",
           "ModernBERT's local_attention counts the whole window: local_attention // 2 tokens on each side, the edge "
           "included, and both directions (an encoder is not causal).",
           "position = torch.arange(seq_len); "
           "return (position[:, None] - position[None, :]).abs() <= local_attention // 2"),
    solution_code='''
def my_window_mask(seq_len, local_attention):
    position = torch.arange(seq_len)
    return (position[:, None] - position[None, :]).abs() <= local_attention // 2
''')

# ---- exercise 3: GeGLU ------------------------------------------------------------------------------------------------


def geglu_models() -> list:
    """Two random ModernBERTs of shapes the lesson never used (the check's 'unseen inputs')."""
    models = []
    for seed, (hidden, inner, heads) in enumerate([(48, 80, 4), (96, 144, 6)]):
        torch.manual_seed(seed)
        config = ModernBertConfig(vocab_size=64, hidden_size=hidden, intermediate_size=inner, num_hidden_layers=2,
                                  num_attention_heads=heads, pad_token_id=0, bos_token_id=1, eos_token_id=2,
                                  cls_token_id=1, sep_token_id=2)
        model = ModernBertModel(config).eval()
        with torch.no_grad():  # a freshly initialised LayerNorm is the identity: give it a scale, so skipping it shows
            for layer in model.layers:
                layer.mlp_norm.weight.uniform_(0.5, 1.5)
        models.append(model)
    return models


def check_geglu(function) -> object:
    """`function(layer, h)` is the MLP block of a ModernBERT layer (pre-norm, GeGLU, Wo), before the residual add."""
    if function is None:
        return not_answered("my_geglu", "def my_geglu(layer, h): ... return the MLP block's output.")
    generator = torch.Generator().manual_seed(8)
    for model in geglu_models():
        layer = model.layers[1]
        h = torch.randn(2, 5, model.config.hidden_size, generator=generator)
        with torch.no_grad():
            truth = layer.mlp(layer.mlp_norm(h))
            try:
                got = function(layer, h)
            except Exception as error:  # the learner's code may raise anything: report it as a hint
                return report(False, f"my_geglu raised {type(error).__name__}: {error}.",
                              "use the layer's own modules: layer.mlp_norm, layer.mlp.Wi, layer.mlp.act, layer.mlp.Wo.")
            if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(h.shape):
                return report(False, f"expected a tensor of shape {tuple(h.shape)}, got {type(got).__name__} "
                                     f"{tuple(getattr(got, 'shape', ()))}.",
                              "Wi widens to 2 x intermediate_size, the gate halves it, Wo brings it back to hidden.")
            if torch.allclose(got, truth, atol=1e-5):
                continue
            a, g = layer.mlp.Wi(layer.mlp_norm(h)).chunk(2, dim=-1)
            unnormed_a, unnormed_g = layer.mlp.Wi(h).chunk(2, dim=-1)
            mistakes = [
                (layer.mlp.Wo(layer.mlp.act(unnormed_a) * unnormed_g), "ModernBERT is pre-norm: normalise h with "
                                                                        "layer.mlp_norm before Wi."),
                (layer.mlp.Wo(layer.mlp.act(g) * a), "the halves are the other way round: the FIRST half goes through "
                                                     "the GELU, the second is the gate."),
                (h + truth, "return the block alone; the residual add (h + ...) comes after it."),
                (layer.mlp.Wo(layer.mlp.act(a) + g), "GeGLU multiplies: gelu(a) * g, a gate, not a sum."),
            ]
            for mistake, hint in mistakes:
                if torch.allclose(got, mistake, atol=1e-5):
                    return report(False, f"on a random ModernBERT of hidden size {model.config.hidden_size} the output "
                                         "is not the layer's MLP block.", hint)
            return report(False, f"on a random ModernBERT of hidden size {model.config.hidden_size} the largest "
                                 f"difference is {(got - truth).abs().max().item():.3g}.",
                          "follow section 3, step 5: pre-norm, Wi, the two halves, the gate, Wo.")
    return report(True, "your GeGLU block equals the layer's on two random ModernBERTs of sizes you had not seen.")


ex3 = Exercise(
    "08", "ex3", "my_geglu", check_geglu,
    hints=("A gated MLP: one projection makes two vectors; one goes through GELU and then scales the other, number "
           "by number, before the projection back.",
           "Three steps, in the layer's own modules: pre-norm (layer.mlp_norm), Wi then cut in two halves (a, g), "
           "then layer.mlp.Wo(gelu(a) * g). No residual inside.",
           "a, g = layer.mlp.Wi(layer.mlp_norm(h)).chunk(2, dim=-1); return layer.mlp.Wo(layer.mlp.act(a) * g)"),
    solution_code='''
def my_geglu(layer, h):
    a, g = layer.mlp.Wi(layer.mlp_norm(h)).chunk(2, dim=-1)   # pre-norm, then one projection cut in two
    return layer.mlp.Wo(torch.nn.functional.gelu(a) * g)       # the GELU of one half gates the other
''')

