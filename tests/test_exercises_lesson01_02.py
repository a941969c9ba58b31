"""The lesson 01/02 exercise checks accept right answers and reject the typical wrong ones."""
import pytest
import torch
from transformers import AutoModel

import course_lib
from course_lib.exercises import lesson01, lesson02
from course_lib.core.tensors import mean_pool


@pytest.fixture(scope="module")
def model(session):
    return session.load_model("encoder", AutoModel)


def test_ids_by_hand(tokenizer):
    text = "Pikachu visited Kathmandu."
    pieces = tokenizer.tokenize(text)
    right = tokenizer.convert_tokens_to_ids([tokenizer.cls_token] + pieces + [tokenizer.sep_token])
    assert lesson01.check_ids_by_hand(right, tokenizer, text).passed
    assert not lesson01.check_ids_by_hand(None, tokenizer, text).passed
    missing = lesson01.check_ids_by_hand(tokenizer.convert_tokens_to_ids(pieces), tokenizer, text)
    assert not missing.passed and "special tokens" in missing.message
    assert not lesson01.check_ids_by_hand(right[:-2] + [right[-1], right[-2]], tokenizer, text).passed


def test_mask_positions_catches_hard_coded_id(tokenizer):
    assert lesson01.check_mask_positions(lambda ids, tok: [i for i, t in enumerate(ids) if t == tok.mask_token_id], tokenizer).passed
    hard_coded = lesson01.check_mask_positions(lambda ids, tok: [i for i, t in enumerate(ids) if t == 103], tokenizer)
    assert not hard_coded.passed and "50264" in hard_coded.message
    assert not lesson01.check_mask_positions(lambda ids, tok: [], tokenizer).passed


def test_segment_b_tokens(tokenizer):
    question, context = "Where is Kathmandu?", "Kathmandu is the capital of Nepal."
    truth = sum(tokenizer(question, context)["token_type_ids"])
    assert lesson01.check_segment_b_tokens(truth, tokenizer, question, context).passed
    assert not lesson01.check_segment_b_tokens(truth - 1, tokenizer, question, context).passed
    assert "[SEP]" in lesson01.check_segment_b_tokens(truth - 1, tokenizer, question, context).hint


def test_hidden_state_count(model):
    layers = model.config.num_hidden_layers
    assert lesson02.check_hidden_state_count(layers + 1, model).passed
    assert "embedding" in lesson02.check_hidden_state_count(layers, model).hint


def test_mean_pool_check(model, tokenizer):
    assert lesson02.check_mean_pool(mean_pool, model, tokenizer).passed
    naive = lesson02.check_mean_pool(lambda h, m: h.mean(dim=1), model, tokenizer)
    assert not naive.passed and "[PAD]" in naive.message
    assert not lesson02.check_mean_pool(lambda h, m: h[:, 0], model, tokenizer).passed
    assert not lesson02.check_mean_pool(lambda h, m: h.mean(dim=0), model, tokenizer).passed


def test_layer_parameters(model):
    layer = model.encoder.layer[0]
    total = sum(p.numel() for p in layer.parameters())
    matrices = sum(p.numel() for p in layer.parameters() if p.dim() == 2)
    assert lesson02.check_layer_parameters(total, model).passed
    assert "2-D" in lesson02.check_layer_parameters(matrices, model).message
    assert not lesson02.check_layer_parameters(total + 1, model).passed


def test_results_print_verdicts(model):
    assert str(lesson02.check_hidden_state_count(None, model)).startswith("❌ Not yet")
    assert str(lesson02.check_hidden_state_count(model.config.num_hidden_layers + 1, model)).startswith("✅ Correct")


def test_mask_positions_are_checked_on_unseen_texts(tokenizer):
    seen = tokenizer(f"The {tokenizer.mask_token} sat on the {tokenizer.mask_token}.")["input_ids"]
    memorized = [i for i, t in enumerate(seen) if t == tokenizer.mask_token_id]
    result = lesson01.check_mask_positions(lambda ids, tok: memorized, tokenizer)  # right on the example only
    assert not result.passed and "new text" in result.message
    assert "texts you had not seen" in lesson01.check_mask_positions(
        lambda ids, tok: [i for i, t in enumerate(ids) if t == tok.mask_token_id], tokenizer).message
