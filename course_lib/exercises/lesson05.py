"""Checks for lesson 05 (zero-shot and classification heads): each recomputes the truth."""
import torch

from . import Exercise, not_answered, report
from ..lessons.zero_shot import DEFAULT_TEMPLATE, make_hypotheses, nli_logits, scores_from_nli_logits, zero_shot_by_similarity


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
        return not_answered("`bce_loss`", "each (comment, emotion) cell is its own yes/no question.")
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
    return report(False, f"{got.item():.4f} is not the multi-label loss.",
                  "a sigmoid per cell, the binary cross-entropy of each cell, then the mean over every cell.")


def check_similarity_top_label(answer, encoder, tokenizer, text, candidate_labels, device, template=DEFAULT_TEMPLATE):
    """Exercise 3: the label whose filled-in template has the highest cosine similarity with `text`."""
    if answer is None:
        return not_answered("`closest_label`", "compare sentence vectors by their cosine similarity.")
    result = zero_shot_by_similarity(encoder, tokenizer, text, candidate_labels, device, template)
    if answer == result["labels"][0]:
        return report(True, f"{answer!r} (cosine {result['scores'][0]:.3f}; runner-up {result['labels'][1]!r} {result['scores'][1]:.3f}).")
    if answer not in candidate_labels:
        return report(False, f"{answer!r} is not one of the candidate labels.", f"return one of {candidate_labels}.")
    return report(False, f"{answer!r} is not the most similar label.",
                  "compare the text's vector with the vector of each filled-in template, not with the bare label.")


ZERO_SHOT_CASES = (  # unseen by the learner
    ("The team won the championship after a dramatic penalty shootout.", ["sports", "cooking", "politics"]),
    ("Preheat the oven and whisk the eggs with sugar.", ["baking", "finance", "travel", "music"]),
)


def zero_shot_problem(got, logits, config, multi_label: bool, labels) -> tuple[str, str] | None:
    """(message, hint) for how `got` differs from the zero-shot scores of these NLI logits, else None."""
    truth = scores_from_nli_logits(logits, config, multi_label=multi_label)
    values = _as_floats(got)
    mode = "multi_label=True" if multi_label else "multi_label=False"
    if values is None or values.numel() != len(labels):
        return (f"with {mode} it returned {got!r:.80}; expected {len(labels)} scores, one per label.",
                "return a list of floats in the order of the labels you were given (not sorted).")
    if torch.allclose(values, truth, atol=1e-4):
        return None
    other = scores_from_nli_logits(logits, config, multi_label=not multi_label)
    if torch.allclose(values, other, atol=1e-4):
        return (f"with {mode} you computed the {'single' if multi_label else 'multi'}-label scores.",
                "single-label: softmax of the entailment logits ACROSS labels; multi-label: per label, "
                "softmax over [contradiction, entailment].")
    if torch.allclose(values.sort().values, truth.sort().values, atol=1e-4):
        return ("the right scores, in the wrong order.", "keep the order of the labels; do not sort by score.")
    for column in range(logits.shape[1]):
        if not multi_label and torch.allclose(values, logits[:, column].softmax(0), atol=1e-4):
            return (f"you used logit column {column}, which is {config.id2label[column]!r}, not entailment.",
                    "read the entailment id from model.config.label2id (find_label_id), never a typed-in index.")
    return (f"with {mode} your scores {values.tolist()} differ from the model's.",
            "one pair per label: (text, 'This example is {label}.'), run the model, take the entailment logit.")


def check_zero_shot_function(my_zero_shot, model, tokenizer, device):
    """Exercise: my_zero_shot(text, labels, multi_label) equals the zero-shot scores, on texts the learner has not seen."""
    if my_zero_shot is None:
        return not_answered("`my_zero_shot`", "one NLI pair per label, then the entailment scores.")
    for text, labels in ZERO_SHOT_CASES:
        logits = nli_logits(model, tokenizer, text, make_hypotheses(labels), device)
        for multi_label in (False, True):
            try:
                got = my_zero_shot(text, list(labels), multi_label=multi_label)
            except Exception as error:  # the learner's code: report, never a traceback
                return report(False, f"my_zero_shot raised {type(error).__name__}: {error}",
                              "build one (text, hypothesis) pair per label and run the NLI model on the batch.")
            if got is None:
                return not_answered("my_zero_shot's return value", "return the list of scores instead of None.")
            problem = zero_shot_problem(got, logits, model.config, multi_label, labels)
            if problem:
                return report(False, f"for {text!r}: {problem[0]}", problem[1])
    return report(True, f"my_zero_shot matches the model on {len(ZERO_SHOT_CASES)} new texts, single- and multi-label.")


ex1 = Exercise(
    "05", "ex1", "my_zero_shot", check_zero_shot_function,
    hints=("Zero-shot asks the NLI model, once per label, whether the text entails 'This example is {label}.'. The "
           "scores come from the entailment logits (single-label) or from entailment against contradiction "
           "(multi-label).",
           "Encode [text] * len(labels) with the hypotheses as one padded batch and run nli_model. Single-label: "
           "softmax of the entailment column across the labels. Multi-label: per row, softmax over [contradiction, "
           "entailment], keep the entailment part. Read both ids with find_label_id(nli_model.config, ...).",
           "logits[:, entailment].softmax(dim=0).tolist(), or logits[:, [contradiction, entailment]].softmax(dim=-1)[:, 1].tolist()"),
    solution_code='''
def my_zero_shot(text, labels, multi_label=False):
    """One score per label, in the order of `labels`."""
    pairs = nli_tokenizer([text] * len(labels), [f"This example is {label}." for label in labels],
                          padding=True, truncation="only_first", return_tensors="pt").to(session.device)
    with torch.no_grad():
        logits = nli_model(**pairs).logits.float().cpu()
    entailment, contradiction = find_label_id(nli_model.config, "entail"), find_label_id(nli_model.config, "contradict")
    if multi_label:
        return logits[:, [contradiction, entailment]].softmax(dim=-1)[:, 1].tolist()
    return logits[:, entailment].softmax(dim=0).tolist()
''')

ex2 = Exercise(
    "05", "ex2", "bce_loss", check_multi_label_loss,
    hints=("Multi-label: every (comment, emotion) cell is its own yes/no question, scored by a sigmoid. The loss is "
           "the binary cross-entropy of each cell, averaged over all cells.",
           "p = torch.sigmoid(logits_ex2); each cell's loss is -(y·log p + (1 - y)·log(1 - p)) with y from targets_ex2; "
           "then the mean over the whole matrix, as one Python number.",
           "bce_loss = (-(targets_ex2 * torch.log(p) + (1 - targets_ex2) * torch.log(1 - p))).mean().item()"),
    solution_code='''
p = torch.sigmoid(logits_ex2)
bce_loss = (-(targets_ex2 * torch.log(p) + (1 - targets_ex2) * torch.log(1 - p))).mean().item()
''')

ex3 = Exercise(
    "05", "ex3", "closest_label", check_similarity_top_label,
    hints=("Embed the text and each filled-in template ('This example is {label}.') as mean-pooled vectors of "
           "length 1: their dot product is the cosine. The label whose sentence is closest wins.",
           "embed_sentences(encoder, encoder_tokenizer, [text_ex3] + hypotheses, session.device) returns those "
           "vectors, one row per sentence; compare rows 1, 2, ... with row 0 and take the largest.",
           "closest_label = labels_ex3[(vectors[1:] @ vectors[0]).argmax().item()]"),
    solution_code='''
vectors = embed_sentences(encoder, encoder_tokenizer, [text_ex3] + [f"This example is {l}." for l in labels_ex3], session.device)
closest_label = labels_ex3[(vectors[1:] @ vectors[0]).argmax().item()]
''')
