"""Tests for course_lib.hidden_states on the real MiniLM encoder."""
import pytest
import torch
from transformers import AutoModel

import course_lib
from course_lib.lessons.hidden_states import cls_similarity_by_layer, cosine_matrix, parameter_group, parameter_table, token_norms_by_layer
from course_lib.core.tensors import mean_pool


@pytest.fixture(scope="module")
def setup():
    session = course_lib.setup(profile="pocket", verbose=False)
    return session.load_tokenizer("encoder"), session.load_model("encoder", AutoModel)


def test_mean_pool_ignores_padding(setup):
    tokenizer, model = setup
    batch = tokenizer(["Short.", "A much longer sentence with many more tokens in it."], padding=True, return_tensors="pt")
    alone = tokenizer(["Short."], return_tensors="pt")
    with torch.no_grad():
        padded, single = model(**batch).last_hidden_state, model(**alone).last_hidden_state
    pooled = mean_pool(padded, batch["attention_mask"])
    assert pooled.shape == (2, model.config.hidden_size)
    assert torch.allclose(pooled[0], single[0].mean(dim=0), atol=1e-4)
    assert not torch.allclose(padded[0].mean(dim=0), single[0].mean(dim=0), atol=1e-3)


def test_cosine_matrix():
    vectors = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    sims = cosine_matrix(vectors)
    assert torch.allclose(sims.diag(), torch.ones(3))
    assert torch.allclose(sims, torch.nn.functional.cosine_similarity(vectors[:, None], vectors[None], dim=-1))


def test_parameter_table_totals(setup):
    _, model = setup
    table = parameter_table(model)
    layers = model.config.num_hidden_layers
    assert list(table.index) == ["embeddings"] + [f"encoder layer {i}" for i in range(layers)] + ["pooler", "total"]
    assert table.loc["total", "numel_all"] == sum(p.numel() for p in model.parameters())
    assert table.loc["total", "numel_matrices"] == sum(p.numel() for p in model.parameters() if p.dim() == 2)
    assert table.loc["pooler", "numel_all"] == sum(p.numel() for p in model.pooler.parameters())
    assert table.loc["total", "numel_matrices"] < table.loc["total", "numel_all"]


def test_parameter_group_names():
    assert parameter_group("encoder.layer.11.output.dense.weight") == "encoder layer 11"
    assert parameter_group("embeddings.LayerNorm.weight") == "embeddings"
    assert parameter_group("pooler.dense.bias") == "pooler"


def test_layer_statistics(setup):
    tokenizer, model = setup
    batch = tokenizer(["Hello there.", "The stock market fell sharply today."], padding=True, return_tensors="pt")
    with torch.no_grad():
        outputs = model(**batch, output_hidden_states=True)
    norms = token_norms_by_layer(outputs.hidden_states, batch["attention_mask"])
    sims = cls_similarity_by_layer(outputs.hidden_states, batch["attention_mask"])
    assert norms.shape == sims.shape == (model.config.num_hidden_layers + 1,)
    real = batch["attention_mask"].bool()
    for k in (0, model.config.num_hidden_layers):
        h = outputs.hidden_states[k]
        assert torch.allclose(norms[k], h[real].norm(dim=-1).mean(), atol=1e-4)
        others = [torch.nn.functional.cosine_similarity(h[b, 0], h[b, t], dim=0)
                  for b in range(2) for t in range(1, h.shape[1]) if real[b, t]]
        assert torch.allclose(sims[k], torch.stack(others).mean(), atol=1e-5)
