"""Tests for course_lib.zero_shot: the by-hand zero-shot equals the pipeline, errors name the fix, embeddings rank."""
from types import SimpleNamespace

import pytest
import torch
from transformers import AutoModel, AutoModelForSequenceClassification, pipeline

import course_lib
from course_lib.lessons.zero_shot import embed_sentences, find_label_id, make_hypotheses, mean_pool, scores_from_nli_logits, similarity_scores, zero_shot_by_hand, zero_shot_by_similarity, zero_shot_scores

TEXT = "one day I will see the world"
LABELS = ["travel", "cooking", "dancing", "exploration"]


@pytest.fixture(scope="module")
def encoder(session):
    return session.load_model("encoder", AutoModel), session.load_tokenizer("encoder")


def pipeline_scores(result, labels):
    return torch.tensor([result["scores"][result["labels"].index(label)] for label in labels])


@pytest.mark.parametrize("multi_label", [False, True])
def test_by_hand_equals_the_pipeline(session, nli, multi_label):
    model, tokenizer = nli
    classifier = pipeline("zero-shot-classification", model=model, tokenizer=tokenizer, device=session.device)
    expected = classifier(TEXT, candidate_labels=LABELS, multi_label=multi_label)
    got = zero_shot_by_hand(model, tokenizer, TEXT, LABELS, session.device, multi_label=multi_label)
    assert got["labels"] == expected["labels"]
    assert torch.allclose(pipeline_scores(got, LABELS), pipeline_scores(expected, LABELS), atol=1e-5)
    if not multi_label:
        assert sum(got["scores"]) == pytest.approx(1.0, abs=1e-5)


def test_a_single_label_is_scored_against_contradiction_like_the_pipeline_and_says_so(session, nli, capsys):
    model, tokenizer = nli
    classifier = pipeline("zero-shot-classification", model=model, tokenizer=tokenizer, device=session.device)
    expected = classifier(TEXT, candidate_labels=["travel"])["scores"][0]
    capsys.readouterr()
    assert zero_shot_by_hand(model, tokenizer, TEXT, ["travel"], session.device)["scores"][0] == pytest.approx(expected, abs=1e-5)
    assert "one candidate label ('travel')" in capsys.readouterr().out  # a softmax over one label would always be 1.0
    zero_shot_by_hand(model, tokenizer, TEXT, ["travel"], session.device, multi_label=True)
    assert capsys.readouterr().out == ""


def test_label_ids_are_looked_up_case_insensitively():
    config = SimpleNamespace(label2id={"CONTRADICTION": 0, "Neutral": 1, "ENTAILMENT": 2})
    assert find_label_id(config, "entail") == 2
    assert find_label_id(config, "contradict") == 0
    logits = torch.tensor([[0.0, 5.0, 1.0], [2.0, 0.0, 3.0]])
    assert torch.allclose(scores_from_nli_logits(logits, config), torch.tensor([1.0, 3.0]).softmax(0))
    multi = scores_from_nli_logits(logits, config, multi_label=True)
    assert torch.allclose(multi, torch.sigmoid(torch.tensor([1.0 - 0.0, 3.0 - 2.0])))


def test_errors_name_the_fix(session, nli):
    model, tokenizer = nli
    with pytest.raises(course_lib.CourseError, match="candidate_labels is empty(.|\n)*Fix:"):
        zero_shot_by_hand(model, tokenizer, TEXT, [], session.device)
    with pytest.raises(course_lib.CourseError, match=r"has no '\{\}'(.|\n)*Fix: put \{\}"):
        make_hypotheses(LABELS, "This example is about travel.")
    not_nli = session.load_model("classifier", AutoModelForSequenceClassification)
    with pytest.raises(course_lib.CourseError, match="does not match the task(.|\n)*NLI(.|\n)*Fix:"):
        zero_shot_by_hand(not_nli, tokenizer, TEXT, LABELS, session.device)


def test_mean_pool_ignores_padding(session, encoder):
    model, tokenizer = encoder
    alone = embed_sentences(model, tokenizer, ["short one"], session.device)
    padded = embed_sentences(model, tokenizer, ["short one", "a much longer sentence that forces padding on the first"], session.device)
    assert torch.allclose(alone[0], padded[0], atol=1e-5)
    assert torch.allclose(padded.norm(dim=-1), torch.ones(2), atol=1e-5)
    hidden, mask = torch.tensor([[[1.0], [3.0], [100.0]]]), torch.tensor([[1, 1, 0]])
    assert mean_pool(hidden, mask).item() == 2.0


@pytest.mark.parametrize("text, label", [
    ("I baked bread and a chocolate cake in the oven.", "cooking"),
    ("The striker scored a goal in the final minute of the match.", "sports"),
    ("The senate passed the new tax bill after a long vote.", "politics"),
])
def test_embedding_zero_shot_on_clear_examples(session, encoder, text, label):
    model, tokenizer = encoder
    result = zero_shot_by_similarity(model, tokenizer, text, ["cooking", "sports", "politics"], session.device)
    assert result["labels"][0] == label
    assert result["scores"] == sorted(result["scores"], reverse=True)


def test_batched_scores_equal_one_text_at_a_time(session, nli, encoder):
    model, tokenizer = nli
    texts = [TEXT, "I fried onions and garlic in olive oil."]
    for multi_label in (False, True):
        batched = zero_shot_scores(model, tokenizer, texts, LABELS, session.device, multi_label=multi_label, batch_size=3)
        for row, text in zip(batched, texts):
            single = zero_shot_by_hand(model, tokenizer, text, LABELS, session.device, multi_label=multi_label)
            assert torch.allclose(row, pipeline_scores(single, LABELS), atol=1e-5)
    enc, enc_tokenizer = encoder
    cosines = similarity_scores(enc, enc_tokenizer, texts, LABELS, session.device)
    for row, text in zip(cosines, texts):
        assert torch.allclose(row, pipeline_scores(zero_shot_by_similarity(enc, enc_tokenizer, text, LABELS, session.device), LABELS), atol=1e-5)
