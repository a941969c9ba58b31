"""Tests for course_lib.masked_lm: the hand-built fill-mask equals the pipeline, masking is BERT's 80/10/10."""
import pytest
import torch
from transformers import AutoModelForMaskedLM, pipeline

import course_lib
from course_lib.lessons import masked_lm
from course_lib.exercises import lesson03


@pytest.fixture(scope="module")
def model(session):
    return session.load_model("mlm", AutoModelForMaskedLM)


def test_logits_by_hand_equal_model_logits(model, tokenizer):
    batch = tokenizer(["the movie was [MASK].", "a dog runs on the [MASK] beach."], padding=True, return_tensors="pt")
    with torch.no_grad():
        assert torch.allclose(masked_lm.mlm_logits_by_hand(model, batch), model(**batch).logits, atol=1e-5)


@pytest.mark.parametrize("text", ["the movie was [MASK].", "the [MASK] was [MASK] and long."])
def test_fill_mask_by_hand_equals_pipeline(model, tokenizer, session, text):
    fill = pipeline("fill-mask", model=model, tokenizer=tokenizer, device=session.device)
    by_hand = masked_lm.fill_mask_by_hand(text, tokenizer, model, session.device, top_k=5)
    assert len(by_hand) == text.count("[MASK]")
    assert masked_lm.same_guesses(by_hand, fill(text, top_k=5))
    other = masked_lm.fill_mask_by_hand("the film was [MASK] and long.", tokenizer, model, session.device, top_k=5)
    assert not masked_lm.same_guesses(other, fill(text, top_k=5))  # the comparison can fail


def test_decoder_is_tied_to_word_embeddings(model):
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight


def test_no_mask_raises_course_error_with_fix(model, tokenizer, session):
    with pytest.raises(course_lib.CourseError, match=r"\[MASK\]"):
        masked_lm.fill_mask_by_hand("the movie was great.", tokenizer, model, session.device)


def test_bert_masking_is_80_10_10_and_skips_special_tokens(tokenizer):
    ids = tokenizer(["the movie was long and the plot was thin"] * 400, return_tensors="pt")["input_ids"]
    masked, labels = masked_lm.mask_tokens(ids, tokenizer, torch.Generator().manual_seed(0))
    chosen = labels != -100
    assert 0.12 < chosen[:, 1:-1].float().mean() < 0.18
    assert not chosen[:, 0].any() and not chosen[:, -1].any()  # [CLS] and [SEP] never chosen
    to_mask = (masked[chosen] == tokenizer.mask_token_id).float().mean()
    kept = (masked[chosen] == ids[chosen]).float().mean()
    assert 0.75 < to_mask < 0.85 and 0.07 < kept < 0.14
    assert torch.equal(masked[~chosen], ids[~chosen])


def test_masking_is_seeded(tokenizer):
    ids = tokenizer(["a man plays a guitar on the street"] * 20, return_tensors="pt")["input_ids"]
    first = masked_lm.mask_tokens(ids, tokenizer, torch.Generator().manual_seed(3))
    again = masked_lm.mask_tokens(ids, tokenizer, torch.Generator().manual_seed(3))
    other = masked_lm.mask_tokens(ids, tokenizer, torch.Generator().manual_seed(4))
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not torch.equal(first[1], other[1])


def test_exercise_checks_accept_truth_and_reject_mistakes(model, tokenizer, session):
    assert lesson03.check_mask_id(tokenizer.mask_token_id, tokenizer).passed
    assert not lesson03.check_mask_id(tokenizer.mask_token_id + 1, tokenizer).passed
    assert not lesson03.check_mask_id(None, tokenizer).passed
    assert lesson03.check_tied_parameter("bert.embeddings.word_embeddings.weight", model).passed
    assert not lesson03.check_tied_parameter("bert.embeddings.position_embeddings.weight", model).passed
    assert not lesson03.check_tied_parameter("cls.predictions.decoder.weight", model).passed
    text = "the movie was [MASK]."
    batch = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        probs = model(**batch).logits[0, 4].softmax(-1)
    good = probs[tokenizer.convert_tokens_to_ids("good")].item()
    assert lesson03.check_word_probability(good, text, "good", tokenizer, model, session.device).passed
    assert not lesson03.check_word_probability(good * 2 + 0.01, text, "good", tokenizer, model, session.device).passed
    guesses = [[g["token_str"] for g in masked_lm.fill_mask_by_hand(text, tokenizer, model, session.device, 3)[0]]]
    assert lesson03.check_top_guesses(guesses, text, tokenizer, model, session.device).passed
    assert not lesson03.check_top_guesses([guesses[0][::-1]], text, tokenizer, model, session.device).passed
