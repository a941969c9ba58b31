"""Checks for the lesson 02 (hidden states and the pooler) exercises. Each recomputes the truth from the model."""
import torch

from . import Exercise, not_answered, report


def check_hidden_state_count(answer, model):
    """Exercise 1: how many tensors `outputs.hidden_states` holds for this model."""
    if answer is None:
        return not_answered("`n_hidden_states`", "one tensor per layer output, and one from before the first layer.")
    layers = model.config.num_hidden_layers
    if int(answer) == layers + 1:
        return report(True, f"{layers} layers + 1 embedding output = {layers + 1} tensors.")
    if int(answer) == layers:
        return report(False, f"{answer} is the number of encoder layers only.",
                      "hidden_states[0] is the embedding output, before any layer runs.")
    return report(False, f"{answer} is not it.", "it depends on model.config.num_hidden_layers.")


def check_mean_pool(pool, model, tokenizer, device="cpu"):
    """Exercise 2: `pool(last_hidden_state, attention_mask)` is mask-aware mean pooling."""
    if pool is None:
        return not_answered("`my_mean_pool`", "the mean of the real tokens only: attention_mask says which ones are real.")
    short, long = "A short sentence.", "A much longer sentence that forces the short one to be padded with many [PAD] tokens."
    batch = tokenizer([short, long], padding=True, return_tensors="pt").to(device)
    alone = tokenizer([short], return_tensors="pt").to(device)
    with torch.no_grad():
        padded_states, alone_states = model(**batch).last_hidden_state, model(**alone).last_hidden_state
    got = pool(padded_states, batch["attention_mask"])
    if tuple(got.shape) != (2, model.config.hidden_size):
        return report(False, f"the result has shape {tuple(got.shape)}; expected (2, {model.config.hidden_size}).",
                      "average over the token dimension (dim=1), not over the batch or hidden dimension.")
    truth = alone_states.mean(dim=1)[0]
    if torch.allclose(got[0], truth, atol=1e-4):
        return report(True, "the padded short sentence gets the same vector as when it is encoded alone.")
    if torch.allclose(got[0], padded_states[0].mean(dim=0), atol=1e-4):
        return report(False, "you average over the [PAD] positions too, so padding changes the sentence vector.",
                      "only the real tokens may count, in the sum and in the number you divide by: attention_mask marks them.")
    return report(False, "the vector of the padded short sentence differs from its vector when encoded alone.",
                  "a sum over the real tokens divided by the number of real tokens, per sentence.")


def check_layer_parameters(answer, model):
    """Exercise 3: the number of parameters (numel of every tensor) in one encoder layer."""
    if answer is None:
        return not_answered("`layer_params`", "every tensor of the layer counts, with all of its numbers.")
    layer = model.base_model.encoder.layer[0]
    truth = sum(p.numel() for p in layer.parameters())
    matrices = sum(p.numel() for p in layer.parameters() if p.dim() == 2)
    if int(answer) == truth:
        return report(True, f"{truth:,} parameters per encoder layer ({matrices:,} of them in weight matrices).")
    if int(answer) == matrices:
        return report(False, f"{int(answer):,} counts the 2-D weight matrices only.",
                      "biases and LayerNorm weights are parameters too: count p.numel() for every p.")
    return report(False, f"{int(answer):,} is not the parameter count of one encoder layer.",
                  "count the numbers (elements) of every tensor the layer holds, for one layer only.")


UNSEEN_SENTENCES = ["Rain is expected over the hills tomorrow.", "She plays chess.",
                    "My grandfather repaired the old radio in an afternoon.", "Cheap flights sell out fast."]


def reference_head(layer, hidden, attention_mask, head: int, scale=None, masked: bool = True) -> torch.Tensor:
    """One head's attention weights [batch, seq, seq], optionally with a wrong scale or without the mask (for hints)."""
    d = layer.attention.self.attention_head_size
    q = layer.attention.self.query(hidden)[..., head * d:(head + 1) * d]
    k = layer.attention.self.key(hidden)[..., head * d:(head + 1) * d]
    scores = q @ k.transpose(-1, -2) / (d ** 0.5 if scale is None else scale)
    if masked:
        scores = scores + (1.0 - attention_mask[:, None, :].float()) * torch.finfo(scores.dtype).min
    return scores.softmax(dim=-1)


def attention_head_hint(got, layer, hidden, mask, head) -> str:
    """Name the concept a wrong head computation most likely missed."""
    d = layer.attention.self.attention_head_size
    near = lambda other: torch.allclose(got, other, atol=1e-4)
    if not torch.allclose(got.sum(-1), torch.ones_like(got.sum(-1)), atol=1e-3):
        return "each row must sum to 1: apply softmax over the last dimension (the keys)."
    if near(reference_head(layer, hidden, mask, head, scale=1.0)):
        return f"scale the scores: divide QKᵀ by √head_dim = √{d}, not by nothing."
    if near(reference_head(layer, hidden, mask, head, scale=layer.attention.self.all_head_size ** 0.5)):
        return f"scale by √head_dim = √{d} (the size of one head), not √hidden_size."
    if near(reference_head(layer, hidden, mask, head, masked=False)):
        return "[PAD] keys must get no attention: add a large negative number to their scores before the softmax."
    return (f"head {head} reads only its own {d} columns of the query and key projections; "
            "compare every query with every key, scale, mask, softmax over the keys.")


@torch.no_grad()
def check_attention_head(my_head, model, tokenizer, device="cpu", layer: int = 1, head: int = 2):
    """Code exercise: `my_head(layer_module, hidden, attention_mask, head)` -> one head's weights, checked on unseen sentences."""
    if my_head is None:
        return not_answered("`my_attention_head`", "one head's weights: its own slice of Q and K, compared, scaled, masked, softmaxed.")
    config = model.config  # small stand-ins may have fewer layers or heads than the defaults ask for
    layer, head = min(layer, config.num_hidden_layers - 1), min(head, config.num_attention_heads - 1)
    batch = tokenizer(UNSEEN_SENTENCES, padding=True, return_tensors="pt").to(device)
    outputs = model(**batch, output_hidden_states=True, output_attentions=True)
    module, hidden, mask = model.base_model.encoder.layer[layer], outputs.hidden_states[layer], batch["attention_mask"]
    truth = outputs.attentions[layer][:, head] if outputs.attentions else reference_head(module, hidden, mask, head)
    got = my_head(module, hidden, mask, head)
    if got is None:
        return not_answered("my_attention_head's return value")
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(truth.shape):
        return report(False, f"expected a tensor of shape {tuple(truth.shape)} = [batch, seq, seq]; got "
                      f"{tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__}.",
                      "one head gives one [seq, seq] matrix of weights per sentence: a row per query, a column per key.")
    error = (got.float() - truth.float()).abs().max().item()
    if error < 1e-4:
        return report(True, f"on {len(UNSEEN_SENTENCES)} sentences you had not seen, layer {layer} head {head}: "
                      f"max difference from the model's attention < 1e-4.")
    return report(False, f"on unseen sentences your weights differ from the model's by up to {error:.3g}.",
                  attention_head_hint(got.float(), module, hidden, mask, head))


ex1 = Exercise(
    "02", "ex1", "n_hidden_states", check_hidden_state_count,
    hints=("hidden_states holds the output of every encoder layer, plus one tensor from before the first layer: "
           "which block runs before the layers?",
           "hidden_states[0] is the embedding output; then one tensor per layer. The number of layers is in "
           "config.num_hidden_layers.",
           "n_hidden_states = config.num_hidden_layers + 1"),
    solution_code='''
n_hidden_states = config.num_hidden_layers + 1
''')

ex2 = Exercise(
    "02", "ex2", "my_mean_pool", check_mean_pool,
    hints=("In a padded batch, a short sentence has [PAD] positions whose vectors are not part of it. Its mean must "
           "count the real tokens only, and attention_mask (1 = real, 0 = [PAD]) says which those are.",
           "Multiply the states by the mask, turned into [batch, seq, 1] so it broadcasts over the hidden size; sum "
           "over the token dimension (dim=1); divide by the number of real tokens of each sentence.",
           "mask = attention_mask.unsqueeze(-1).float(); return (last_hidden_state * mask).sum(dim=1) / mask.sum(dim=1)"),
    solution_code='''
def my_mean_pool(last_hidden_state, attention_mask):
    mask = attention_mask.unsqueeze(-1).float()
    return (last_hidden_state * mask).sum(dim=1) / mask.sum(dim=1)
''')

ex3 = Exercise(
    "02", "ex3", "layer_params", check_layer_parameters,
    hints=("A parameter count counts numbers, not tensors: every tensor of the layer contributes all of its elements, "
           "the biases and the LayerNorm scales and shifts included.",
           "model.encoder.layer[0].parameters() yields the layer's tensors; p.numel() is the number of elements of "
           "one of them. Add them up.",
           "layer_params = sum(p.numel() for p in model.encoder.layer[0].parameters())"),
    solution_code='''
layer_params = sum(p.numel() for p in model.encoder.layer[0].parameters())
''')

ex4 = Exercise(
    "02", "ex4", "my_attention_head", check_attention_head,
    hints=("A head works on its own slice of the hidden dimension: head h reads columns h*d to (h+1)*d of the query "
           "and key projections, where d is the size of one head (layer.attention.self.attention_head_size).",
           "Then, as in section 5 for all heads at once: scores = q @ kᵀ / √d; give [PAD] keys (attention_mask == 0) "
           "the lowest float before the softmax; softmax over the last dimension (the keys).",
           "cols = slice(head * d, (head + 1) * d); q = layer.attention.self.query(hidden)[..., cols]; same for k; "
           "scores = q @ k.transpose(-1, -2) / math.sqrt(d); scores.masked_fill(attention_mask[:, None, :] == 0, "
           "torch.finfo(scores.dtype).min).softmax(dim=-1)"),
    solution_code='''
def my_attention_head(layer, hidden, attention_mask, head):
    d = layer.attention.self.attention_head_size
    cols = slice(head * d, (head + 1) * d)                                  # this head's slice of the hidden dimension
    q, k = layer.attention.self.query(hidden)[..., cols], layer.attention.self.key(hidden)[..., cols]
    scores = q @ k.transpose(-1, -2) / math.sqrt(d)                         # [batch, seq, seq]
    scores = scores.masked_fill(attention_mask[:, None, :] == 0, torch.finfo(scores.dtype).min)
    return scores.softmax(dim=-1)
''')
