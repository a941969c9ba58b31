"""The freezing widget (lesson 07): ticks change what trains, each press trains once and adds a run."""
import torch

from course_lib.core.plots import panel
from course_lib.lessons.widgets import FreezingWidget


def trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_checkboxes_update_the_count_and_the_model(tiny_bert):
    model = tiny_bert()
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


def test_lora_ticks_exactly_the_groups_that_still_train_whole(tiny_bert):
    widget = FreezingWidget(tiny_bert())
    widget.mode.value = "lora"
    assert [g for g, b in widget.checkboxes.items() if b.value] == ["pooler", "head"]  # the adapters are no group
    assert widget.mode.value == "lora" and "adapters" in widget.count.value
    assert widget.groups_text() == "rank-8 adapters, pooler, head"  # the plot's title and the run table's groups
    whole = [n for n, p in widget.lora_model().named_parameters() if p.requires_grad and "lora_" not in n]
    assert whole and all(".pooler." in n or ".classifier." in n for n in whole)  # what the ticks say trains whole


def test_button_runs_a_short_training(tokenizer, tiny_bert, word_sentiment):
    model, data = tiny_bert(), word_sentiment(32)
    widget = FreezingWidget(model, data, data, tokenizer, device="cpu", epochs=1, batch_size=16, lr=1e-2, progress=False)
    widget.mode.value = "head_only"
    embeddings_before = model.bert.embeddings.word_embeddings.weight.clone()
    widget.button.click()
    assert widget.result is not None and len(widget.result.history) == 1 and widget.result.step == 2
    assert torch.equal(model.bert.embeddings.word_embeddings.weight, embeddings_before)  # frozen stayed frozen
    assert list(widget.caches) == [3]  # head only: the whole 3-layer encoder ran once, into the cache


def test_every_press_adds_a_run_and_different_freezing_gives_different_rows(tokenizer, tiny_bert, word_sentiment):
    model, data = tiny_bert(), word_sentiment(32)
    widget = FreezingWidget(model, data, data, tokenizer, device="cpu", epochs=1, batch_size=16, lr=1e-2, progress=False)
    widget.mode.value = "head_only"
    widget.button.click()
    widget.mode.value = "last_k"  # layer.1, layer.2, pooler, head
    widget.button.click()
    table = widget.runs_table()
    assert list(table.index) == [1, 2] and list(table["mode"]) == ["head_only", "last_k"]
    assert table["trainable params"].tolist() == [66, trainable(model)] and trainable(model) > 66
    assert table["eval accuracy"].between(0, 1).all() and (table["seconds"] >= 0).all()
    assert sorted(widget.caches) == [1, 3]
    figure = widget.runs_figure()
    assert len(figure.axes[0].collections[0].get_offsets()) == 2
    assert [text.get_text().split(" (")[0] for text in figure.axes[0].texts] == ["1: head_only", "2: last_k"]


def test_ticking_the_embeddings_trains_on_tokens(tokenizer, tiny_bert, word_sentiment):
    model, data = tiny_bert(), word_sentiment(32)
    widget = FreezingWidget(model, data, data, tokenizer, device="cpu", max_length=32, epochs=1, batch_size=16, lr=1e-3,
                            progress=False)
    widget.mode.value = "full"
    embeddings_before = model.bert.embeddings.word_embeddings.weight.clone()
    widget.button.click()
    assert widget.caches == {} and widget.runs[0]["trainable params"] == trainable(model)
    assert not torch.equal(model.bert.embeddings.word_embeddings.weight, embeddings_before)


def test_stored_form_is_readable_text_not_a_widget_repr(tiny_bert):
    widget = FreezingWidget(tiny_bert())
    assert "VBox" not in repr(panel([widget.count], "[freezing widget]")) and "<b>" not in widget.count.value


def test_the_same_ticks_give_the_same_run(tokenizer, tiny_bert, word_sentiment):
    """A press is reproducible: the widget seeds dropout itself, whatever ran in the notebook before it."""
    model, data = tiny_bert(hidden_dropout_prob=0.1), word_sentiment(32)  # with dropout, as real checkpoints have
    widget = FreezingWidget(model, data, data, tokenizer, device="cpu", epochs=2, batch_size=8, lr=1e-2, progress=False)
    widget.mode.value = "last_k"
    runs = []
    for _ in range(2):
        widget.button.click()
        runs.append({k: v.clone() for k, v in model.state_dict().items()})
        torch.rand(1000)  # another cell draws random numbers between the presses
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    first, second = widget.runs_table()["eval accuracy"]
    assert first == second
    labels = [text.get_text() for text in widget.runs_figure().axes[0].texts]
    assert labels == ["1, 2: last_k"]  # one readable label on the shared point, not two drawn over each other
