"""Checks for lesson 06 (fine-tuning modes). Each recomputes the truth from the model or data it is given."""
import torch
import torch.nn.functional as F

from ..freezing import freeze_report, groups_for_mode
from ..pitfalls import padding_cost
from . import not_answered, report


def check_last_k_count(answer, model, k: int = 1):
    """How many parameters train in last_k mode with this k (last k layers + pooler + head)?"""
    if answer is None:
        return not_answered("answer", "add up the `total` column of freeze_report for the groups last_k trains.")
    totals = freeze_report(model)["total"]
    truth = int(sum(totals[g] for g in groups_for_mode(model, "last_k", k)))
    return report(int(answer) == truth, f"last_k with k={k} trains {truth:,} parameters." if int(answer) == truth
                  else f"{int(answer):,} is not the number of parameters last_k with k={k} trains.",
                  "the groups are layer.{n-k}..layer.{n-1}, plus pooler (if any) and head; see freeze_report(model).")


def check_loss_from_logits(answer, logits: torch.Tensor, labels: torch.Tensor):
    """Is `answer` the cross-entropy of these raw logits (no softmax first)?"""
    if answer is None:
        return not_answered("answer", "call torch.nn.functional.cross_entropy on the logits and labels.")
    truth = F.cross_entropy(logits, labels).item()
    wrong = F.cross_entropy(logits.softmax(-1), labels).item()
    answer = float(answer)
    if abs(answer - wrong) < 1e-4:
        return report(False, "that is the loss of softmax(logits): the softmax is applied twice.",
                      "pass the raw logits; cross_entropy applies log-softmax itself.")
    return report(abs(answer - truth) < 1e-4, f"the loss is {truth:.4f}." if abs(answer - truth) < 1e-4
                  else f"{answer:.4f} is not the cross-entropy of these logits.", "F.cross_entropy(logits, labels).item()")


def check_wasted_fraction(answer, tokenizer, texts, batch_size: int = 32):
    """What fraction of the positions computed when padding `texts` to 512 are padding?"""
    if answer is None:
        return not_answered("answer", "count real tokens (len of each input_ids) and compare with len(texts) * 512.")
    lengths = [len(ids) for ids in tokenizer(list(texts), truncation=True, max_length=512)["input_ids"]]
    truth = padding_cost(lengths, batch_size, pad_to=512)["wasted_fraction"]
    ok = abs(float(answer) - truth) < 0.005
    return report(ok, f"{truth:.1%} of the computed positions are padding." if ok
                  else f"{float(answer):.3f} is not the wasted fraction.", "1 - sum(lengths) / (len(texts) * 512)")
