"""Lesson 07 exercise checks (fine-tuning modes): each recomputes the truth from the model it is given."""
from course_lib.exercises import lesson07


def test_last_k_count(tiny_bert):
    model = tiny_bert()
    truth = sum(p.numel() for n, p in model.named_parameters()
                if n.startswith(("bert.encoder.layer.2.", "bert.pooler.", "classifier.")))
    assert lesson07.check_last_k_count(truth, model, k=1).passed
    assert not lesson07.check_last_k_count(truth + 1, model, k=1).passed
    assert not lesson07.check_last_k_count(None, model).passed


def test_freeze_last_k_exercise_checks_models_of_other_sizes():
    def right(model, k):
        model.requires_grad_(False)
        for layer in model.bert.encoder.layer[len(model.bert.encoder.layer) - k:]:
            layer.requires_grad_(True)
        model.bert.pooler.requires_grad_(True)
        model.classifier.requires_grad_(True)

    def fixed_six(model, k):  # assumes MiniLM's 6 layers
        model.requires_grad_(False)
        for i in range(6 - k, 6):
            if i < len(model.bert.encoder.layer):
                model.bert.encoder.layer[i].requires_grad_(True)
        model.classifier.requires_grad_(True)
        model.bert.pooler.requires_grad_(True)

    assert lesson07.check_freeze_last_k(right).passed
    assert not lesson07.check_freeze_last_k(lambda model, k: None).passed
    wrong = lesson07.check_freeze_last_k(fixed_six)
    assert not wrong.passed and "should train" in wrong.message
