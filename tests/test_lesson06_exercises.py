import torch
import torch.nn.functional as F
from transformers import AutoTokenizer

from course_lib.checkpoints import minilm_dir
from course_lib.exercises import lesson06

from lesson06_fixtures import tiny_bert


def test_last_k_count():
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir())
    model = tiny_bert(tokenizer)
    truth = sum(p.numel() for n, p in model.named_parameters()
                if n.startswith(("bert.encoder.layer.2.", "bert.pooler.", "classifier.")))
    assert lesson06.check_last_k_count(truth, model, k=1).passed
    assert not lesson06.check_last_k_count(truth + 1, model, k=1).passed
    assert not lesson06.check_last_k_count(None, model).passed


def test_loss_from_logits_flags_softmax_first():
    logits, labels = torch.tensor([[2.0, -1.0], [0.5, 1.5]]), torch.tensor([0, 1])
    assert lesson06.check_loss_from_logits(F.cross_entropy(logits, labels).item(), logits, labels).passed
    wrong = lesson06.check_loss_from_logits(F.cross_entropy(logits.softmax(-1), labels).item(), logits, labels)
    assert not wrong.passed and "twice" in wrong.message


def test_wasted_fraction():
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir())
    texts = ["a short one", "a slightly longer sentence than that"]
    real = sum(len(ids) for ids in tokenizer(texts)["input_ids"])
    assert lesson06.check_wasted_fraction(1 - real / 1024, tokenizer, texts).passed
    assert not lesson06.check_wasted_fraction(0.5, tokenizer, texts).passed
