"""Tests for course_lib.qa: the hand-built span search equals transformers' span decoder, offsets, windows, errors."""
import pytest
import torch
from transformers import AutoModel, AutoModelForQuestionAnswering

import course_lib
from course_lib.lessons import qa
from course_lib.exercises import lesson04

QUESTION = "When was the tower completed?"
CONTEXT = "The Eiffel Tower was completed in 1889. It stands in Paris and is 330 metres tall."


@pytest.fixture(scope="module")
def model(session):
    course_lib.seed_everything(0)
    return session.load_model("qa", AutoModelForQuestionAnswering)


def test_best_span_respects_order_and_length():
    start = torch.tensor([0.0, 0.1, 0.1, 0.7, 0.1])
    end = torch.tensor([0.0, 0.6, 0.1, 0.1, 0.2])  # the best end (1) lies before the best start (3)
    everywhere = torch.ones(5, dtype=torch.bool)
    s, e, score = qa.best_span(start, end, everywhere, max_answer_len=2)
    assert (s, e) == (3, 4) and score == pytest.approx(0.7 * 0.2)
    s, e, _ = qa.best_span(start, end, everywhere, max_answer_len=1)
    assert s == e
    outside = torch.tensor([True, True, True, False, True])
    assert qa.best_span(start, end, outside, max_answer_len=5)[0] != 3


def test_hand_span_equals_the_brute_force_span_in_every_window(model, tokenizer, session):
    long_context = " ".join([CONTEXT] * 12)
    encoding = qa.encode_windows(QUESTION, long_context, tokenizer, max_length=96, stride=24)
    assert len(encoding["input_ids"]) > 3
    start_logits, end_logits = qa.span_logits(model, encoding, session.device)
    for window in range(len(start_logits)):
        mine = qa.decode_window(start_logits[window], end_logits[window], encoding, window, tokenizer, long_context, 15)
        ref = qa.brute_force_span(start_logits, end_logits, encoding, window, tokenizer, 15)
        assert (mine["token_start"], mine["token_end"]) == ref[:2] and mine["score"] == pytest.approx(ref[2], rel=1e-4)
    best = qa.answer_by_hand(QUESTION, long_context, tokenizer, model, session.device, max_length=96, stride=24)
    ref_scores = [qa.brute_force_span(start_logits, end_logits, encoding, w, tokenizer)[2] for w in range(len(start_logits))]
    assert best["score"] == pytest.approx(max(ref_scores), rel=1e-4)


def test_answer_text_comes_from_offsets(model, tokenizer, session):
    result = qa.answer_by_hand(QUESTION, CONTEXT, tokenizer, model, session.device)
    assert result["answer"] == CONTEXT[result["start"]:result["end"]] and result["answer"].strip()
    encoding = qa.encode_windows(QUESTION, CONTEXT, tokenizer)
    decoded = tokenizer.decode(encoding["input_ids"][0][result["token_start"]:result["token_end"] + 1])
    assert decoded.replace(" ", "") == result["answer"].lower().replace(" ", "")


def test_impossible_answer_uses_cls_score(model, tokenizer, session):
    result = qa.answer_by_hand(QUESTION, CONTEXT, tokenizer, model, session.device, handle_impossible_answer=True)
    plain = qa.answer_by_hand(QUESTION, CONTEXT, tokenizer, model, session.device)
    if plain["null_score"] > plain["score"]:
        assert result["answer"] == "" and result["score"] == plain["null_score"]
    else:
        assert result["answer"] == plain["answer"]


def test_errors_name_the_fix(model, tokenizer, session):
    with pytest.raises(course_lib.CourseError, match="question"):
        qa.answer_by_hand("  ", CONTEXT, tokenizer, model, session.device)
    with pytest.raises(course_lib.CourseError, match="context"):
        qa.answer_by_hand(QUESTION, "", tokenizer, model, session.device)
    encoder = session.load_model("encoder", AutoModel)
    with pytest.raises(course_lib.CourseError, match="AutoModelForQuestionAnswering"):
        qa.answer_by_hand(QUESTION, CONTEXT, tokenizer, encoder, session.device)


def test_predicted_answers_decode_like_answer_by_hand(model, tokenizer, session):
    items = qa.templated_qa(3, seed=2)
    singles = [qa.answer_by_hand(i["question"], i["context"], tokenizer, model, session.device)["answer"] for i in items]
    assert qa.predicted_answers(model, tokenizer, items, session.device) == singles


def test_exercise_checks(tokenizer):
    encoding = qa.encode_windows(QUESTION, CONTEXT, tokenizer)
    ids = encoding.sequence_ids(0)
    first, last = ids.index(1), len(ids) - 1 - ids[::-1].index(1)
    assert lesson04.check_context_range((first, last), encoding).passed
    assert not lesson04.check_context_range((first - 1, last), encoding).passed
    start, end = [0.0, 0.1, 0.1, 2.0, 0.1], [0.0, 1.5, 0.1, 0.1, 0.9]
    assert lesson04.check_best_span((3, 4), start, end, 3).passed
    assert not lesson04.check_best_span((3, 1), start, end, 3).passed
    text = CONTEXT[int(encoding["offset_mapping"][0][first][0]):int(encoding["offset_mapping"][0][first + 2][1])]
    assert lesson04.check_answer_text(text, encoding, CONTEXT, first, first + 2).passed
    assert not lesson04.check_answer_text(text + "x", encoding, CONTEXT, first, first + 2).passed
    n = len(qa.encode_windows(QUESTION, CONTEXT * 10, tokenizer, 64, 16)["input_ids"])
    assert lesson04.check_window_count(n, QUESTION, CONTEXT * 10, tokenizer, 64, 16).passed
    assert not lesson04.check_window_count(n + 1, QUESTION, CONTEXT * 10, tokenizer, 64, 16).passed


def test_templated_items_and_span_training(session, tokenizer):
    items = qa.templated_qa(24, seed=0)
    assert all(i["context"][i["answer_start"]:i["answer_start"] + len(i["answer"])] == i["answer"] for i in items)
    heldout = qa.templated_qa(10, seed=1, heldout=True)
    assert not {i["question"].split()[2] for i in heldout} & set(qa.NAMES[:18])  # unseen names
    encoding = tokenizer([i["question"] for i in items], [i["context"] for i in items], padding=True,
                         return_offsets_mapping=True, return_tensors="pt")
    for k, item in enumerate(items):
        first, last = qa.answer_token_positions(encoding, k, item)
        assert tokenizer.decode(encoding["input_ids"][k][first:last + 1]) == item["answer"].lower()
    course_lib.seed_everything(0)
    student = session.load_model("qa", AutoModelForQuestionAnswering)
    before = [p.detach().clone() for p in student.base_model.parameters()]
    losses = qa.train_span_head(student, tokenizer, items, session.device, epochs=40)
    assert losses[-1] < 0.5 * losses[0]
    assert all(torch.equal(a, b) for a, b in zip(before, student.base_model.parameters()))  # encoder frozen
    assert qa.exact_match(student, tokenizer, items, session.device) > 0.5  # it fits what it saw


def test_brute_force_span_visits_only_legal_spans_and_can_disagree_with_a_wrong_decoder():
    """The reference is the definition, written out: it must catch a decoder that takes two argmaxes."""
    from types import SimpleNamespace

    class Encoding(dict):
        def sequence_ids(self, window):
            return [None, 0, None, 1, 1, 1, 1, None]

    encoding = Encoding(input_ids=torch.tensor([[101, 7, 102, 8, 9, 10, 11, 102]]))
    tokenizer = SimpleNamespace(cls_token_id=101)
    start = torch.tensor([[0.0, 9.0, 0.0, 0.0, 0.0, 0.0, 5.0, 0.0]])  # best start: the question (illegal), then 6
    end = torch.tensor([[0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 1.0, 0.0]])    # best end: 3, before the best legal start
    s, e, score = qa.brute_force_span(start, end, encoding, 0, tokenizer, max_answer_len=3)
    assert 3 <= s <= e <= 6 and e - s < 3 and (s, e) == (6, 6)
    assert (int(start[0, 3:7].argmax()) + 3, int(end[0, 3:7].argmax()) + 3) == (6, 3)  # two argmaxes: end before start
