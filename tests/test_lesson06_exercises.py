"""Lesson 06 exercise checks (the training loop): right answers pass, typical wrong ones get the hint they need."""
import torch
import torch.nn.functional as F

from course_lib.exercises import lesson06


def test_loss_from_logits_flags_softmax_first():
    logits, labels = torch.tensor([[2.0, -1.0], [0.5, 1.5]]), torch.tensor([0, 1])
    assert lesson06.check_loss_from_logits(F.cross_entropy(logits, labels).item(), logits, labels).passed
    wrong = lesson06.check_loss_from_logits(F.cross_entropy(logits.softmax(-1), labels).item(), logits, labels)
    assert not wrong.passed and "twice" in wrong.message


def test_wasted_fraction(tokenizer):
    texts = ["a short one", "a slightly longer sentence than that"]
    real = sum(len(ids) for ids in tokenizer(texts)["input_ids"])
    assert lesson06.check_wasted_fraction(1 - real / 1024, tokenizer, texts).passed
    assert not lesson06.check_wasted_fraction(0.5, tokenizer, texts).passed


def right_collate(tokenizer):
    def collate(rows):
        longest = max(len(r["input_ids"]) for r in rows)
        pad = lambda values, value: values + [value] * (longest - len(values))
        return {"input_ids": torch.tensor([pad(r["input_ids"], tokenizer.pad_token_id) for r in rows]),
                "attention_mask": torch.tensor([pad(r["attention_mask"], 0) for r in rows]),
                "labels": torch.tensor([r["label"] for r in rows])}
    return collate


def test_collate_exercise_accepts_the_right_answer_and_hints_on_wrong_ones(tokenizer):
    assert lesson06.check_collate(right_collate(tokenizer), tokenizer).passed
    assert not lesson06.check_collate(lambda rows: None, tokenizer).passed

    def pad_to_512(rows):
        batch = right_collate(tokenizer)(rows)
        extra = 512 - batch["input_ids"].shape[1]
        return {**batch, "input_ids": F.pad(batch["input_ids"], (0, extra)), "attention_mask": F.pad(batch["attention_mask"], (0, extra))}

    wrong = lesson06.check_collate(pad_to_512, tokenizer)
    assert not wrong.passed and "shape" in wrong.message and "(2, 512)" in wrong.message
    assert any("longest row" in hint for hint in lesson06.ex3.hints)  # the hints, tier by tier, lead there
    no_labels = lesson06.check_collate(lambda rows: {k: v for k, v in right_collate(tokenizer)(rows).items() if k != "labels"}, tokenizer)
    assert not no_labels.passed and "'labels'" in no_labels.message
    mask_of_ones = lambda rows: {**right_collate(tokenizer)(rows), "attention_mask": torch.ones_like(right_collate(tokenizer)(rows)["attention_mask"])}
    assert not lesson06.check_collate(mask_of_ones, tokenizer).passed
