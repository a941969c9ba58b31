"""The code exercises of lessons 03 and 04 accept a right function, and reject typical wrong ones with a hint."""
import pytest
import torch
from transformers import AutoModelForMaskedLM

from course_lib.exercises import lesson03, lesson04


@pytest.fixture(scope="module")
def mlm(session):
    """The pocket masked-LM model and its tokenizer."""
    return session.load_model("mlm", AutoModelForMaskedLM), session.load_tokenizer("mlm")


def make_fill_mask(model, tokenizer, device, mask_id=None, reverse=False, shift=0):
    """A fill-mask function; the keyword arguments plant the classic mistakes."""
    def fill(text, top_k=3):
        batch = tokenizer(text, return_tensors="pt").to(device)
        ids = batch["input_ids"][0]
        positions = (ids == (tokenizer.mask_token_id if mask_id is None else mask_id)).nonzero().flatten() + shift
        with torch.no_grad():
            logits = model(**batch).logits[0]
        guesses = [[tokenizer.decode([i]) for i in logits[p].softmax(-1).topk(top_k).indices.tolist()] for p in positions]
        return [g[::-1] for g in guesses] if reverse else guesses
    return fill


def test_fill_mask_function_check(mlm, session):
    model, tokenizer = mlm
    args = (tokenizer, model, session.device)
    assert lesson03.check_fill_mask_function(make_fill_mask(model, tokenizer, session.device), *args).passed
    hard_coded = lesson03.check_fill_mask_function(make_fill_mask(model, tokenizer, session.device, mask_id=4), *args)
    assert not hard_coded.passed and "mask_token_id" in hard_coded.hint
    reversed_order = lesson03.check_fill_mask_function(make_fill_mask(model, tokenizer, session.device, reverse=True), *args)
    assert not reversed_order.passed and "order" in reversed_order.message
    wrong_row = lesson03.check_fill_mask_function(make_fill_mask(model, tokenizer, session.device, shift=-1), *args)
    assert not wrong_row.passed and "AT each mask" in wrong_row.hint
    fixed_k = lesson03.check_fill_mask_function(lambda text, top_k=3: make_fill_mask(model, tokenizer, session.device)(text, 5), *args)
    assert not fixed_k.passed and "top_k" in fixed_k.hint
    assert not lesson03.check_fill_mask_function(None, *args).passed
    assert "raised ZeroDivisionError" in lesson03.check_fill_mask_function(lambda text, top_k=3: 1 / 0, *args).message


def right_span(start_logits, end_logits, in_context, max_answer_len):
    scores = start_logits[:, None] + end_logits[None, :]
    legal = torch.ones_like(scores, dtype=torch.bool).triu() & ~torch.ones_like(scores, dtype=torch.bool).triu(max_answer_len)
    legal &= in_context[:, None] & in_context[None, :]
    return divmod(int(scores.masked_fill(~legal, float("-inf")).argmax()), len(start_logits))


def test_best_span_function_check():
    assert lesson04.check_best_span_function(right_span).passed
    naive = lesson04.check_best_span_function(
        lambda s, e, c, m: (int(s.masked_fill(~c, -1e9).argmax()), int(e.masked_fill(~c, -1e9).argmax())))
    assert not naive.passed
    ignores_context = lesson04.check_best_span_function(lambda s, e, c, m: right_span(s, e, torch.ones_like(c), m))
    assert not ignores_context.passed and "context" in ignores_context.message
    ignores_length = lesson04.check_best_span_function(lambda s, e, c, m: right_span(s, e, c, 1000))
    assert not ignores_length.passed and "max_answer_len" in ignores_length.hint
    assert not lesson04.check_best_span_function(None).passed
    assert "not a pair" in lesson04.check_best_span_function(lambda s, e, c, m: 3).message


def test_best_span_cases_are_new_each_seed_but_reproducible():
    a = lesson04.random_span_case(torch.Generator().manual_seed(1))
    b = lesson04.random_span_case(torch.Generator().manual_seed(1))
    assert torch.equal(a["start_logits"], b["start_logits"]) and not a["in_context"][0]
