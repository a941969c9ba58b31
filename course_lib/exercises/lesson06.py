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
        return not_answered("my_collate(rows)", "return a dict of tensors: input_ids, attention_mask, labels.")
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
            return report(False, f"on a batch of {size} unseen rows, {problem}",
                          "pad each list to the longest row *in this batch* with tokenizer.pad_token_id (0 in the "
                          "attention_mask), then torch.tensor(...); the int labels become batch['labels'].")
    return report(True, "your collate pads unseen batches of 2, 3 and 5 rows exactly like DataCollatorWithPadding.")


def tiny_classifier(layers: int, seed: int):
    """A random BERT classifier of `layers` layers (unseen sizes for the freezing exercise)."""
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32, num_labels=2)
    return BertForSequenceClassification(config)


def check_freeze_last_k(freeze_all_but_last):
    """Does freeze_all_but_last(model, k) leave exactly the last k layers, the pooler and the head trainable?"""
    for layers, k in ((3, 1), (5, 2), (4, 4)):
        model = tiny_classifier(layers, seed=layers)
        try:
            freeze_all_but_last(model, k)
        except Exception as error:  # the learner's code failed: show why, with a hint
            return report(False, f"freeze_all_but_last raised {type(error).__name__}: {error}",
                          "loop over model.bert.encoder.layer and call requires_grad_ on modules.")
        wanted = {g for g in groups_for_mode(model, "last_k", k)}
        trainable = {group for group, row in freeze_report(model).drop("total").iterrows() if row["trainable"] > 0}
        partly = [g for g, row in freeze_report(model).drop("total").iterrows() if 0 < row["trainable"] < row["total"]]
        if trainable == set(freeze_report(model).index) - {"total"} and k < layers:
            return report(False, f"on a {layers}-layer model with k={k}, everything still trains.",
                          "start with model.requires_grad_(False), then switch the top back on.")
        if trainable != wanted or partly:
            extra, missing = sorted(trainable - wanted), sorted(wanted - trainable)
            return report(False, f"on a {layers}-layer model with k={k}: trains {sorted(trainable)}"
                          + (f"; should not train {extra}" if extra else "") + (f"; should train {missing}" if missing else "")
                          + (f"; partly frozen {partly}" if partly else "") + ".",
                          "the last k layers are model.bert.encoder.layer[-k:] (count from the model, not a fixed 6); "
                          "the pooler and classifier train too.")
    return report(True, "only the last k layers, the pooler and the head train, on 3-, 4- and 5-layer models.")
