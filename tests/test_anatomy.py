"""One encoder layer recomputed by hand equals the model's, for BERT shapes of both profiles; the diagram and statistics."""
import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModel, BertConfig, BertModel  # noqa: E402

from course_lib.lessons import anatomy  # noqa: E402
from course_lib.core.errors import CourseError  # noqa: E402
from course_lib.exercises import lesson02  # noqa: E402
from course_lib.core.plots import show_heatmaps  # noqa: E402

TOLERANCE = 1e-5
SENTENCES = ["A man is playing a guitar.", "Short.", "The stock market fell sharply today, again and again."]


@pytest.fixture(scope="module")
def pocket(session):
    return session.load_model("encoder", AutoModel, attn_implementation="eager").eval()


def tiny_bert(heads: int, head_dim: int, layers: int = 2) -> BertModel:
    """A random BERT with the given head shape (bert-base is 12 x 64; MiniLM 12 x 32)."""
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=heads * head_dim, num_hidden_layers=layers, num_attention_heads=heads,
                        intermediate_size=4 * heads * head_dim, attn_implementation="eager")
    return BertModel(config).eval()


def run(model, tokenizer):
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        return batch, model(**batch, output_hidden_states=True, output_attentions=True)


@pytest.mark.parametrize("make", [lambda: None, lambda: tiny_bert(12, 64, 1), lambda: tiny_bert(4, 8)],
                         ids=["pocket-minilm-12x32", "bert-base-shape-12x64", "tiny-4x8"])
def test_every_layer_by_hand_equals_the_model(make, pocket, tokenizer):
    model = make() or pocket
    batch, outputs = run(model, tokenizer)
    assert (batch["attention_mask"] == 0).any()  # the padding mask is really exercised
    for i, layer in enumerate(model.encoder.layer):
        weights, output = anatomy.encoder_layer_by_hand(layer, outputs.hidden_states[i], batch["attention_mask"])
        assert anatomy.max_difference(weights, outputs.attentions[i]) < TOLERANCE
        assert anatomy.max_difference(output, outputs.hidden_states[i + 1]) < TOLERANCE


def test_a_wrong_step_is_caught(pocket, tokenizer):
    batch, outputs = run(pocket, tokenizer)
    layer, hidden = pocket.encoder.layer[0], outputs.hidden_states[0]
    no_mask = anatomy.attention_weights(layer, hidden, torch.ones_like(batch["attention_mask"]))
    assert anatomy.max_difference(no_mask, outputs.attentions[0]) > 1e-3
    with torch.no_grad():
        _, attended = anatomy.self_attention_block(layer, hidden, batch["attention_mask"])
        skipped_ffn = attended  # forgetting the feed-forward block
    assert anatomy.max_difference(skipped_ffn, outputs.hidden_states[1]) > 1e-2


def test_heads_split_and_merge_back():
    x = torch.arange(2 * 5 * 12, dtype=torch.float32).view(2, 5, 12)
    heads = anatomy.split_heads(x, 3)
    assert heads.shape == (2, 3, 5, 4) and torch.equal(heads[0, 1, 2], x[0, 2, 4:8])
    assert torch.equal(anatomy.merge_heads(heads), x)


def test_additive_mask_blocks_only_padding():
    mask = anatomy.additive_mask(torch.tensor([[1, 1, 0]]))
    assert mask.shape == (1, 1, 1, 3) and mask[0, 0, 0, :2].eq(0).all() and mask[0, 0, 0, 2] < -1e30


def test_weight_statistics_show_the_untrained_pocket_pooler(pocket):
    stats = anatomy.weight_statistics(pocket)
    assert stats.loc["pooler.dense.bias", "max |value|"] == 0.0  # measured: MiniLM's pooler bias is all zeros
    assert stats.loc["pooler.dense.weight", "std"] < stats.loc["encoder Q/K/V weights (all layers)", "std"] / 3
    assert stats.loc["pooler.dense.weight", "numbers"] == pocket.config.hidden_size ** 2
    with pytest.raises(CourseError, match="no pooler"):
        anatomy.weight_statistics(BertModel(BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                                       intermediate_size=16), add_pooling_layer=False))


@pytest.mark.parametrize("heads,head_dim,layers", [(12, 64, 12), (12, 32, 6)])
def test_diagram_rows_carry_this_configs_shapes(heads, head_dim, layers):
    config = BertConfig(hidden_size=heads * head_dim, num_attention_heads=heads, num_hidden_layers=layers,
                        intermediate_size=4 * heads * head_dim)
    rows, n_layers = anatomy.encoder_stack_rows(config, batch=2, seq=10)
    shapes = [shape for _, shape in rows]
    assert n_layers == layers and f"3 x [2, {heads}, 10, {head_dim}]" in shapes and "[2, 12, 10, 10]" in shapes
    assert shapes[-1] == f"[2, {heads * head_dim}]" and f"[2, 10, {4 * heads * head_dim}]" in shapes
    figure = anatomy.draw_encoder_stack(config)
    assert f"{layers} layers" in figure.axes[0].get_title()


def test_compared_heatmaps_share_one_colour_scale():
    figure = show_heatmaps([torch.eye(3), 2 * torch.ones(3, 3)], titles=["I", "2"])
    limits = {image.get_clim() for ax in figure.axes for image in ax.images}
    assert limits == {(0.0, 2.0)}
    assert len(figure.axes) == 3  # two panels and ONE colorbar


def my_head(layer, hidden, attention_mask, head, scale=True, masked=True, softmax=True):
    d = layer.attention.self.attention_head_size
    q = layer.attention.self.query(hidden)[..., head * d:(head + 1) * d]
    k = layer.attention.self.key(hidden)[..., head * d:(head + 1) * d]
    scores = q @ k.transpose(-1, -2) / (d ** 0.5 if scale else 1.0)
    if masked:
        scores = scores.masked_fill(attention_mask[:, None, :] == 0, float("-inf"))
    return scores.softmax(-1) if softmax else scores


def test_attention_head_exercise_accepts_right_and_explains_wrong(pocket, tokenizer):
    check = lambda f: lesson02.check_attention_head(f, pocket, tokenizer)
    assert check(my_head).passed and "not seen" in check(my_head).message
    assert not check(None).passed
    assert "√" in check(lambda *a: my_head(*a, scale=False)).hint
    assert "[PAD]" in check(lambda *a: my_head(*a, masked=False)).hint
    assert "sum to 1" in check(lambda *a: my_head(*a, softmax=False)).hint
    assert "shape" in check(lambda layer, hidden, mask, head: hidden).message
