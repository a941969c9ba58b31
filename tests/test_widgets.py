import torch
from transformers import AutoTokenizer

from course_lib.checkpoints import minilm_dir
from course_lib.widgets import FreezingWidget

from lesson06_fixtures import tiny_bert, word_sentiment


def trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_checkboxes_update_the_count_and_the_model():
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir())
    model = tiny_bert(tokenizer)
    widget = FreezingWidget(model)
    assert f"{trainable(model):,} of" in widget.count.value  # all trainable at first
    for box in widget.checkboxes.values():
        box.value = False
    assert "trainable: 0 of" in widget.count.value and trainable(model) == 0
    widget.checkboxes["head"].value = True
    assert trainable(model) == 32 * 2 + 2 and "trainable: 66 of" in widget.count.value
    widget.mode.value = "last_k"
    assert [g for g, b in widget.checkboxes.items() if b.value] == ["layer.1", "layer.2", "pooler", "head"]
    assert f"trainable: {trainable(model):,} of" in widget.count.value
    widget.checkboxes["embeddings"].value = True  # a hand-made change: the menu no longer claims "last_k"
    assert widget.mode.value == "custom" and widget.checkboxes["layer.1"].value


def test_button_runs_a_short_training():
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir())
    model, data = tiny_bert(tokenizer), word_sentiment(32)
    widget = FreezingWidget(model, data, data, tokenizer, device="cpu", epochs=1, batch_size=16, lr=1e-2, progress=False)
    widget.mode.value = "head_only"
    embeddings_before = model.bert.embeddings.word_embeddings.weight.clone()
    widget.button.click()
    assert widget.result is not None and len(widget.result.history) == 1 and widget.result.step == 2
    assert torch.equal(model.bert.embeddings.word_embeddings.weight, embeddings_before)  # frozen stayed frozen
