"""The lesson 05 checks accept the right answer, reject typical wrong ones, and say why."""
import pytest
import torch
from transformers import AutoModel, AutoModelForSequenceClassification

import course_lib
from course_lib.exercises import lesson05
from course_lib.lessons.zero_shot import make_hypotheses, nli_logits, scores_from_nli_logits, zero_shot_by_similarity

TEXT, LABELS = "The recipe needs two eggs, flour and a pinch of salt.", ["cooking", "sports", "food"]


def test_multi_label_scores_check(session):
    model, tokenizer = session.load_model("nli", AutoModelForSequenceClassification), session.load_tokenizer("nli")
    logits = nli_logits(model, tokenizer, TEXT, make_hypotheses(LABELS), session.device)
    right = scores_from_nli_logits(logits, model.config, multi_label=True).tolist()
    single = scores_from_nli_logits(logits, model.config).tolist()
    args = (model, tokenizer, TEXT, LABELS, session.device)
    assert lesson05.check_multi_label_scores(right, *args).passed
    wrong = lesson05.check_multi_label_scores(single, *args)
    assert not wrong.passed and "single-label" in wrong.message
    assert not lesson05.check_multi_label_scores(None, *args).passed
    assert not lesson05.check_multi_label_scores([0.5], *args).passed


def test_multi_label_loss_check():
    logits = torch.tensor([[2.5, -1.0, 0.3], [-0.5, 1.5, 2.0]])
    targets = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    p = torch.sigmoid(logits)
    right = (-(targets * p.log() + (1 - targets) * (1 - p).log())).mean().item()
    assert lesson05.check_multi_label_loss(right, logits, targets).passed
    softmax_mistake = torch.nn.CrossEntropyLoss()(logits, targets).item()
    verdict = lesson05.check_multi_label_loss(softmax_mistake, logits, targets)
    assert not verdict.passed and "CrossEntropyLoss" in verdict.message
    assert not lesson05.check_multi_label_loss(right + 0.1, logits, targets).passed


def test_similarity_top_label_check(session):
    encoder, tokenizer = session.load_model("encoder", AutoModel), session.load_tokenizer("encoder")
    text, labels = "The band played their new album live to a sold-out crowd.", ["music", "finance", "medicine", "weather"]
    ranking = zero_shot_by_similarity(encoder, tokenizer, text, labels, session.device)["labels"]
    args = (encoder, tokenizer, text, labels, session.device)
    assert lesson05.check_similarity_top_label(ranking[0], *args).passed
    assert not lesson05.check_similarity_top_label(ranking[-1], *args).passed
    assert "not one of" in lesson05.check_similarity_top_label("jazz", *args).message


def make_zero_shot(model, tokenizer, device, entailment=None, sort=False, swap_modes=False):
    """A zero-shot function by hand; the keyword arguments plant the classic mistakes."""
    from course_lib.lessons.zero_shot import find_label_id

    def zero_shot(text, labels, multi_label=False):
        logits = nli_logits(model, tokenizer, text, make_hypotheses(labels), device)
        ent = find_label_id(model.config, "entail") if entailment is None else entailment
        con = find_label_id(model.config, "contradict")
        multi = multi_label != swap_modes
        scores = logits[:, [con, ent]].softmax(-1)[:, 1] if multi else logits[:, ent].softmax(0)
        return sorted(scores.tolist(), reverse=True) if sort else scores.tolist()
    return zero_shot


def test_zero_shot_function_check(nli, session):
    model, tokenizer = nli
    args = (model, tokenizer, session.device)
    assert lesson05.check_zero_shot_function(make_zero_shot(*args), *args).passed
    wrong_id = [i for i in model.config.id2label if "entail" not in model.config.id2label[i].lower()][-1]
    hard_coded = lesson05.check_zero_shot_function(make_zero_shot(*args, entailment=wrong_id), *args)
    assert not hard_coded.passed and "label2id" in hard_coded.hint
    swapped = lesson05.check_zero_shot_function(make_zero_shot(*args, swap_modes=True), *args)
    assert not swapped.passed and "-label scores" in swapped.message
    assert not lesson05.check_zero_shot_function(make_zero_shot(*args, sort=True), *args).passed
    assert not lesson05.check_zero_shot_function(None, *args).passed
    assert "raised KeyError" in lesson05.check_zero_shot_function(lambda t, l, multi_label=False: {}["x"], *args).message
