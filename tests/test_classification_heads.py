"""Tests for course_lib.classification_heads: by-hand heads equal the models, probabilities and losses match."""
import pytest
import torch
from transformers import AutoModelForSequenceClassification

import course_lib
from course_lib.lessons.classification_heads import classification_logits_by_hand, fit_linear_probe, head_style, is_multi_label, label_probabilities, loss_for, tiny_roberta_classifier


def test_roberta_head_by_hand_equals_the_model():
    model = tiny_roberta_classifier(num_labels=3)
    assert head_style(model) == "roberta"
    ids = torch.randint(5, model.config.vocab_size, (2, 9), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        outputs = model(input_ids=ids, output_hidden_states=True)
        by_hand = classification_logits_by_hand(model, outputs.hidden_states[-1])
    assert by_hand.shape == (2, 3)
    assert torch.allclose(by_hand, outputs.logits, atol=1e-6)


def test_bert_head_by_hand_equals_the_pocket_classifier(session):
    model = session.load_model("classifier", AutoModelForSequenceClassification)
    tokenizer = session.load_tokenizer("classifier")
    assert head_style(model) == "bert"
    batch = tokenizer(["a fine film", "dull and far too long"], padding=True, return_tensors="pt")
    with torch.no_grad():
        outputs = model(**batch, output_hidden_states=True)
        by_hand = classification_logits_by_hand(model, outputs.hidden_states[-1])
    assert torch.allclose(by_hand, outputs.logits, atol=1e-5)


def test_multi_label_uses_sigmoid_and_bce():
    logits = torch.tensor([[2.0, -1.0, 0.5]])
    multi = tiny_roberta_classifier().config
    multi.problem_type = "multi_label_classification"
    single = tiny_roberta_classifier().config
    assert is_multi_label(multi) and not is_multi_label(single)
    assert torch.allclose(label_probabilities(logits, multi), 1 / (1 + torch.exp(-logits)))
    assert label_probabilities(logits, single).sum().item() == pytest.approx(1.0)
    assert isinstance(loss_for(multi), torch.nn.BCEWithLogitsLoss)
    assert isinstance(loss_for(single), torch.nn.CrossEntropyLoss)


def test_linear_probe_separates_separable_points():
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(40, 5, generator=generator)
    labels = (features[:, 0] > 0).long()
    probe = fit_linear_probe(features, labels, num_labels=2)
    with torch.no_grad():
        assert (probe(features).argmax(-1) == labels).float().mean().item() >= 0.95
