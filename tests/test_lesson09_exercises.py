"""Lesson 09 exercise checks (use your own model): right answers pass on unseen inputs, typical wrong ones get the
hint they need."""
import pytest

from course_lib.exercises import lesson09

LABELS = {"num_labels": 2, "id2label": {0: "negative", 1: "positive"}, "label2id": {"negative": 0, "positive": 1}}


def test_encode_labels_right_answer_passes():
    def encode_labels(labels):
        names = sorted(set(labels))
        return [names.index(label) for label in labels], names

    assert lesson09.check_encode_labels(encode_labels).passed


@pytest.mark.parametrize("wrong, hint", [
    (lambda labels: None, "still None"),
    (lambda labels: (list(range(len(labels))), list(dict.fromkeys(labels))), "sorts the names"),  # order of first appearance
    (lambda labels: ([0] * len(labels), sorted(set(labels))), "names.index"),
    (lambda labels: sorted(set(labels)), "not a pair"),
    (lambda labels: 1 / 0, "ZeroDivisionError"),
])
def test_encode_labels_wrong_answers_fail_with_a_hint(wrong, hint):
    result = lesson09.check_encode_labels(wrong)
    assert not result.passed and hint in str(result)


@pytest.fixture(scope="module")
def classifier_parts(tokenizer, tiny_bert):
    """A random classifier with named labels: the checks compare with the model's own predictions, trained or not."""
    model = tiny_bert(num_labels=2, id2label=LABELS["id2label"], label2id=LABELS["label2id"]).eval()
    return model, tokenizer, "cpu"


def test_predict_names_checks_against_the_models_own_argmax(classifier_parts):
    model, tokenizer, device = classifier_parts
    truth = lesson09.label_names_by_model(model, tokenizer, lesson09.UNSEEN_SENTENCES, device)
    assert set(truth) <= {"negative", "positive"}
    assert lesson09.check_predict_names(lambda texts: list(truth), model, tokenizer, device).passed
    flipped = ["positive" if t == "negative" else "negative" for t in truth]
    assert not lesson09.check_predict_names(lambda texts: flipped, model, tokenizer, device).passed
    ids = lesson09.check_predict_names(lambda texts: [LABELS["label2id"][t] for t in truth], model, tokenizer, device)
    assert not ids.passed and "label ids" in str(ids)
    dicts = lesson09.check_predict_names(lambda texts: [{"label": t} for t in truth], model, tokenizer, device)
    assert not dicts.passed and "dicts" in str(dicts)
    assert "still None" in str(lesson09.check_predict_names(None, model, tokenizer, device))


def test_fp16_megabytes(classifier_parts):
    model = classifier_parts[0]
    params = sum(p.numel() for p in model.parameters())
    assert lesson09.check_fp16_megabytes(params * 2 / 1e6, model).passed
    fp32 = lesson09.check_fp16_megabytes(params * 4 / 1e6, model)
    assert not fp32.passed and "float32" in str(fp32)
    assert "bytes, not megabytes" in str(lesson09.check_fp16_megabytes(params * 2, model))
