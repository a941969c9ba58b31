"""Tests for course_lib.attention on the real MiniLM encoder."""
import matplotlib
import pytest
import torch
from transformers import AutoModel

import course_lib
from course_lib.lessons.attention import attention_explorer, attention_matrix, get_attentions, plot_attention

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def eager(session):
    tokenizer = session.load_tokenizer("encoder")
    model = session.load_model("encoder", AutoModel, attn_implementation="eager")
    batch = tokenizer(["The cat sat on the mat."], return_tensors="pt")
    with torch.no_grad():
        outputs = model(**batch, output_attentions=True)
    tokens = tokenizer.convert_ids_to_tokens(batch["input_ids"][0])
    return model, batch, outputs, tokens


def test_attentions_are_row_stochastic(eager):
    model, batch, outputs, tokens = eager
    attentions = get_attentions(outputs, model)
    assert len(attentions) == model.config.num_hidden_layers
    matrix = attention_matrix(attentions, model.config.num_hidden_layers - 1, model.config.num_attention_heads - 1)
    assert matrix.shape == (len(tokens), len(tokens))
    assert torch.allclose(matrix.sum(dim=-1), torch.ones(len(tokens)), atol=1e-5)


def test_missing_attentions_say_how_to_fix(session, eager):
    model, batch, _, _ = eager
    with torch.no_grad():
        plain = model(**batch)  # no output_attentions=True
    with pytest.raises(course_lib.CourseError, match="output_attentions=True"):
        get_attentions(plain, model)
    sdpa = session.load_model("encoder", AutoModel, attn_implementation="sdpa")
    with torch.no_grad():
        fused = sdpa(**batch, output_attentions=True)
    with pytest.raises(course_lib.CourseError, match="attn_implementation='eager'") as info:
        get_attentions(fused, sdpa)
    assert "sdpa" in str(info.value)


def test_out_of_range_layer_and_head(eager):
    model, _, outputs, _ = eager
    layers, heads = model.config.num_hidden_layers, model.config.num_attention_heads
    with pytest.raises(course_lib.CourseError, match=f"from 0 to {layers - 1}"):
        attention_matrix(outputs.attentions, layers, 0)
    with pytest.raises(course_lib.CourseError, match=f"from 0 to {heads - 1}"):
        attention_matrix(outputs.attentions, 0, -1)


def test_plot_has_tokens_on_both_axes(eager):
    _, _, outputs, tokens = eager
    fig = plot_attention(outputs.attentions, tokens, 1, 2)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == tokens
    assert [t.get_text() for t in ax.get_yticklabels()] == tokens
    assert torch.allclose(torch.tensor(ax.images[0].get_array()), outputs.attentions[1][0, 2].float())


def test_explorer_redraws_on_slider_change(eager):
    model, _, outputs, tokens = eager
    explorer = attention_explorer(outputs.attentions, tokens)
    assert explorer.shown == (0, 0)
    assert explorer.layer.max == model.config.num_hidden_layers - 1
    assert explorer.head.max == model.config.num_attention_heads - 1
    first = bytes(explorer.image.value)
    assert first.startswith(b"\x89PNG")
    explorer.layer.value = 2
    explorer.head.value = 3
    assert explorer.shown == (2, 3)
    assert bytes(explorer.image.value).startswith(b"\x89PNG") and bytes(explorer.image.value) != first
