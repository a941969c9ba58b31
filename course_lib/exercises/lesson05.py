"""Checks for lesson 05 (zero-shot and classification heads): each recomputes the truth."""
import torch

from . import not_answered, report
from ..zero_shot import DEFAULT_TEMPLATE, make_hypotheses, nli_logits, scores_from_nli_logits, zero_shot_by_similarity


def _as_floats(answer) -> torch.Tensor | None:
    try:
        return torch.as_tensor(answer, dtype=torch.float32).flatten()
    except (TypeError, ValueError, RuntimeError):
        return None


def check_multi_label_scores(answer, model, tokenizer, text, candidate_labels, device, template=DEFAULT_TEMPLATE):
    """Exercise 1: multi-label zero-shot scores by hand, one per label, in the order of `candidate_labels`."""
    if answer is None:
        return not_answered("answer", "for each label: softmax over [contradiction logit, entailment logit], keep the entailment part.")
    logits = nli_logits(model, tokenizer, text, make_hypotheses(candidate_labels, template), device)
    truth = scores_from_nli_logits(logits, model.config, multi_label=True)
    got = _as_floats(answer)
    if got is None or got.numel() != len(candidate_labels):
        return report(False, f"expected {len(candidate_labels)} numbers (one per label), got {answer!r:.80}.",
                      "return a list or tensor with one score per candidate label, in the order given.")
    if torch.allclose(got, truth, atol=1e-4):
        return report(True, "each label scored on its own: " + ", ".join(f"{l}={s:.3f}" for l, s in zip(candidate_labels, truth)))
    if abs(got.sum().item() - 1) < 1e-3:
        return report(False, "your scores sum to 1, so they compete across labels: that is the single-label mode.",
                      "multi-label compares entailment with contradiction for EACH label separately.")
    return report(False, "the scores differ from the entailment-vs-contradiction probabilities.",
                  "look up both ids with find_label_id(model.config, ...); never hard-code them.")


def check_multi_label_loss(answer, logits, targets):
    """Exercise 2: the multi-label loss by hand, equal to BCEWithLogitsLoss(logits, targets)."""
    if answer is None:
        return not_answered("answer", "mean over every (example, label) of -[y·log σ(z) + (1-y)·log(1-σ(z))].")
    truth = torch.nn.BCEWithLogitsLoss()(logits, targets.float()).item()
    got = _as_floats(answer)
    if got is None or got.numel() != 1:
        return report(False, "expected one number (the mean loss).", "average over examples AND labels: .mean() of the matrix.")
    if abs(got.item() - truth) < 1e-4:
        return report(True, f"{got.item():.4f} matches torch.nn.BCEWithLogitsLoss ({truth:.4f}).")
    wrong_ce = torch.nn.CrossEntropyLoss()(logits, targets.float()).item()
    if abs(got.item() - wrong_ce) < 1e-4:
        return report(False, "that is CrossEntropyLoss: a softmax makes the labels compete, but here several can be true.",
                      "use a sigmoid per label (binary cross-entropy), not a softmax across labels.")
    return report(False, f"{got.item():.4f} is not the multi-label loss.", "use torch.sigmoid(logits), the 0/1 targets and a mean over all entries.")


def check_similarity_top_label(answer, encoder, tokenizer, text, candidate_labels, device, template=DEFAULT_TEMPLATE):
    """Exercise 3: the label whose filled-in template has the highest cosine similarity with `text`."""
    if answer is None:
        return not_answered("answer", "embed the text and each 'This example is {label}.' with mean pooling, then compare cosines.")
    result = zero_shot_by_similarity(encoder, tokenizer, text, candidate_labels, device, template)
    if answer == result["labels"][0]:
        return report(True, f"{answer!r} (cosine {result['scores'][0]:.3f}; runner-up {result['labels'][1]!r} {result['scores'][1]:.3f}).")
    if answer not in candidate_labels:
        return report(False, f"{answer!r} is not one of the candidate labels.", f"return one of {candidate_labels}.")
    return report(False, f"{answer!r} is not the most similar label.",
                  "normalise the mean-pooled vectors (unit length) and take the label with the largest dot product.")
