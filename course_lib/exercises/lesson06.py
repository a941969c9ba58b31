"""Checks for lesson 06 (the training loop). Each recomputes the truth from the data it is given."""
import torch
import torch.nn.functional as F

from ..lessons.pitfalls import padding_cost
from . import Exercise, not_answered, report


def check_loss_from_logits(answer, logits: torch.Tensor, labels: torch.Tensor):
    """Is `answer` the cross-entropy of these raw logits (no softmax first)?"""
    if answer is None:
        return not_answered("the answer")
    truth = F.cross_entropy(logits, labels).item()
    wrong = F.cross_entropy(logits.softmax(-1), labels).item()
    answer = float(answer)
    if abs(answer - wrong) < 1e-4:
        return report(False, "that is the loss of softmax(logits): the softmax is applied twice.",
                      "the loss applies a softmax itself: give it the raw scores.")
    return report(abs(answer - truth) < 1e-4, f"the loss is {truth:.4f}." if abs(answer - truth) < 1e-4
                  else f"{answer:.4f} is not the cross-entropy of these logits.")


def check_wasted_fraction(answer, tokenizer, texts, batch_size: int = 32):
    """What fraction of the positions computed when padding `texts` to 512 are padding?"""
    if answer is None:
        return not_answered("the answer")
    lengths = [len(ids) for ids in tokenizer(list(texts), truncation=True, max_length=512)["input_ids"]]
    truth = padding_cost(lengths, batch_size, pad_to=512)["wasted_fraction"]
    ok = abs(float(answer) - truth) < 0.005
    return report(ok, f"{truth:.1%} of the computed positions are padding." if ok
                  else f"{float(answer):.3f} is not the share of padding among the computed positions.")


COLLATE_SENTENCES = [  # unseen by the learner: lengths differ, so padding is needed
    "A quiet, patient film that rewards attention.", "Dreadful.", "The second half drags, but the ending lands well.",
    "I would not watch it again.", "Sharp writing, warm performances and a score that stays with you."]


def collate_rows(tokenizer, sentences, labels):
    """Rows as a Dataset yields them: unpadded input_ids and attention_mask, and an int label."""
    encodings = tokenizer(sentences)
    return [{"input_ids": ids, "attention_mask": mask, "label": label}
            for ids, mask, label in zip(encodings["input_ids"], encodings["attention_mask"], labels)]


def collate_problem(batch, expected) -> str | None:
    """What is wrong with a collated batch, or None when it matches DataCollatorWithPadding."""
    if not isinstance(batch, dict):
        return f"my_collate returned {type(batch).__name__}, not a dict of tensors."
    for key, truth in expected.items():
        if key not in batch:
            return f"the batch has no {key!r} entry (it has {sorted(batch)})."
        value = batch[key]
        if not isinstance(value, torch.Tensor):
            return f"batch[{key!r}] is a {type(value).__name__}, not a tensor."
        if tuple(value.shape) != tuple(truth.shape):
            return f"batch[{key!r}] has shape {tuple(value.shape)}, expected {tuple(truth.shape)}."
        if not torch.equal(value.long(), truth.long()):
            return f"batch[{key!r}] has the right shape but different values."
    return None


def check_collate(my_collate, tokenizer):
    """Does my_collate pad unseen batches like DataCollatorWithPadding (input_ids, attention_mask, labels)?"""
    from transformers import DataCollatorWithPadding

    probe = collate_rows(tokenizer, COLLATE_SENTENCES[:2], [1, 0])
    if my_collate(probe) is None:
        return not_answered("my_collate(rows)")
    for size in (2, 3, 5):
        rows = collate_rows(tokenizer, COLLATE_SENTENCES[:size], [i % 2 for i in range(size)])
        expected = DataCollatorWithPadding(tokenizer)([{k: v for k, v in r.items()} for r in rows])
        expected = {"input_ids": expected["input_ids"], "attention_mask": expected["attention_mask"],
                    "labels": expected["labels"]}
        try:
            problem = collate_problem(my_collate(rows), expected)
        except Exception as error:  # the learner's code failed: show why, with a hint
            problem = f"my_collate raised {type(error).__name__}: {error}"
        if problem:
            return report(False, f"on a batch of {size} unseen rows, {problem}")
    return report(True, "your collate pads unseen batches of 2, 3 and 5 rows exactly like DataCollatorWithPadding.")


ex1 = Exercise("06", "ex1", "loss", check_loss_from_logits, hints=(
    "The loss compares the model's raw scores with the labels; it turns the scores into probabilities itself.",
    "torch.nn.functional.cross_entropy takes raw logits [rows, classes] and integer labels [rows]; do not apply a "
    "softmax first.",
    "loss = F.cross_entropy(logits, labels).item()"),
    solution_code="loss = F.cross_entropy(logits, labels).item()\n")

ex2 = Exercise("06", "ex2", "padding_share", check_wasted_fraction, hints=(
    "Padded to 512, every text costs 512 positions, whatever its length; only its real tokens carry information.",
    "Count each text's real tokens (the length of its input_ids, truncated to 512) and compare their sum with "
    "len(texts) * 512.",
    "real = sum(len(ids) for ids in tokenizer(texts, truncation=True, max_length=512)['input_ids']), "
    "then padding_share = 1 - real / (len(texts) * 512)"),
    solution_code=('real = sum(len(ids) for ids in tokenizer(texts, truncation=True, max_length=512)["input_ids"])\n'
                   "padding_share = 1 - real / (len(texts) * 512)\n"))

ex3 = Exercise("06", "ex3", "my_collate", check_collate, hints=(
    "A batch must be a rectangle: every row as long as the longest row of *this* batch, the extra positions marked "
    "as padding in the attention mask.",
    "Pad input_ids with tokenizer.pad_token_id and attention_mask with 0 up to the longest row, then torch.tensor "
    "each list; the rows' 'label' values become one tensor named 'labels'.",
    "longest = max(len(row['input_ids']) for row in rows), pad = lambda values, value: values + [value] * "
    "(longest - len(values)), then one torch.tensor per key."),
    solution_code=(
        "def my_collate(rows):\n"
        "    longest = max(len(row[\"input_ids\"]) for row in rows)\n"
        "    pad = lambda values, value: values + [value] * (longest - len(values))\n"
        "    return {\"input_ids\": torch.tensor([pad(row[\"input_ids\"], tokenizer.pad_token_id) for row in rows]),\n"
        "            \"attention_mask\": torch.tensor([pad(row[\"attention_mask\"], 0) for row in rows]),\n"
        "            \"labels\": torch.tensor([row[\"label\"] for row in rows])}\n"))
