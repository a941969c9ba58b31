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


def test_wrong_values_get_a_diagnosis_that_does_not_give_the_answer_away(mlm, session, tokenizer):
    """A wrong answer's message and hint say what is wrong, never the right value (a learner would copy it)."""
    from course_lib.lessons.qa import encode_windows

    model, mlm_tokenizer = mlm
    text = f"the acting was {mlm_tokenizer.mask_token}."
    batch = mlm_tokenizer(text, return_tensors="pt").to(session.device)
    position = (batch["input_ids"][0] == mlm_tokenizer.mask_token_id).nonzero().item()
    with torch.no_grad():
        logits = model(**batch).logits[0]
    good = mlm_tokenizer.convert_tokens_to_ids("good")
    truth = logits[position].softmax(-1)[good].item()
    for wrong, why in [(2 * truth + 0.01, "not the head's probability"), (logits[position, good].item(), "logit"),
                       (100 * truth, "percentage"), (logits[:, good].softmax(0)[position].item(), "positions")]:
        result = lesson03.check_word_probability(wrong, text, "good", mlm_tokenizer, model, session.device)
        assert not result.passed and why in result.message and f"{truth:.4f}" not in str(result)
    assert lesson03.check_word_probability(truth, text, "good", mlm_tokenizer, model, session.device).passed
    in_head = lesson03.check_tied_parameter("cls.predictions.decoder.weight", model)
    assert not in_head.passed and "outside the head" in in_head.hint and "word_embeddings" not in str(in_head)

    question, context = "Where is the tower?", "The tower stands in Paris, beside the river. " * 12
    windows = encode_windows(question, context, tokenizer, max_length=48, stride=8)
    positions = [i for i, s in enumerate(windows.sequence_ids(2)) if s == 1]
    truth_range = (positions[0], positions[-1])
    off_by_one = lesson04.check_context_range((truth_range[0], truth_range[1] + 1), windows, 2)
    assert not off_by_one.passed and "inclusive" in off_by_one.hint and str(truth_range) not in str(off_by_one)
    n = len(windows["input_ids"])
    for wrong in (1, n + 1):
        result = lesson04.check_window_count(wrong, question, context, tokenizer, 48, 8)
        assert not result.passed and f"gives {n} windows" not in str(result)
    encoding = tokenizer(question, context, return_offsets_mapping=True, return_tensors="pt")
    first = encoding.sequence_ids(0).index(1)
    offsets = encoding["offset_mapping"][0]
    span = context[int(offsets[first + 1][0]):int(offsets[first + 4][1])]
    for wrong in (span.lower() if span != span.lower() else span.upper(), context[int(offsets[first + 1][0]):int(offsets[first + 4][0])]):
        result = lesson04.check_answer_text(wrong, encoding, context, first + 1, first + 4)
        assert not result.passed and repr(span) not in str(result)
