import math

import pytest
import torch
from transformers import AutoTokenizer

import course_lib
from course_lib.checkpoints import minilm_dir
from course_lib.training import TrainState, evaluate, improves, make_optimizer, mixed_precision_for, train

from lesson06_fixtures import tiny_bert, word_sentiment

CPU = torch.device("cpu")
FAST = dict(device=CPU, lr=1e-2, batch_size=16, warmup=0.0, plot=False, progress=False)


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(minilm_dir())


@pytest.fixture(scope="module")
def data():
    return word_sentiment(96, seed=0), word_sentiment(48, seed=1)


def weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_train_lowers_loss_and_keeps_best_weights(tokenizer, data):
    torch.manual_seed(0)
    model = tiny_bert(tokenizer)
    before = evaluate(model, data[1], CPU, tokenizer)
    result = train(model, *data, tokenizer, epochs=4, **FAST)
    after = evaluate(model, data[1], CPU, tokenizer)
    assert len(result.history) == 4 and not result.interrupted
    assert after["loss"] < before["loss"]
    assert after["accuracy"] >= 0.9 > before["accuracy"]
    best = max(result.history, key=lambda row: (row["eval_accuracy"], -row["eval_loss"]))
    assert after["accuracy"] == pytest.approx(best["eval_accuracy"])  # the model holds the best epoch's weights
    assert after["loss"] == pytest.approx(best["eval_loss"], rel=1e-4)
    assert all(torch.equal(v, result.best_weights[k]) for k, v in model.state_dict().items())
    assert result.step == 4 * math.ceil(96 / 16) == len(result.losses)


def test_accuracy_ties_are_broken_by_lower_eval_loss():
    state = TrainState(best_accuracy=1.0, best_loss=0.60)
    assert improves({"accuracy": 1.0, "loss": 0.20}, state)  # same accuracy, more confident: better
    assert not improves({"accuracy": 1.0, "loss": 0.70}, state)
    assert not improves({"accuracy": 0.9, "loss": 0.01}, state)  # accuracy comes first
    assert improves({"accuracy": 0.0, "loss": 9.0}, TrainState())  # the first epoch always counts


def test_optimizer_is_torch_adamw_fused_where_pytorch_has_the_kernel():
    weights = [torch.nn.Parameter(torch.zeros(3))]
    assert isinstance(make_optimizer(weights, 1e-3, 0.01, torch.device("cpu")), torch.optim.AdamW)
    assert make_optimizer(weights, 1e-3, 0.01, torch.device("cpu")).defaults["fused"] is True
    assert not make_optimizer(weights, 1e-3, 0.01, torch.device("meta")).defaults["fused"]


def test_gradient_accumulation_counts_optimizer_steps(tokenizer, data):
    model = tiny_bert(tokenizer)
    result = train(model, *data, tokenizer, epochs=1, grad_accum=2, **FAST)
    assert result.step == 6  # batches
    assert result.scheduler.scheduler.last_epoch == 3  # optimizer/scheduler steps: 6 batches / 2


def test_keyboard_interrupt_keeps_progress_and_resume_finishes(tokenizer, data):
    model = tiny_bert(tokenizer)
    start = weights(model)

    def stop_mid_epoch_2(state):
        if state.step == 10:  # epoch 1 has 6 batches: stop at batch 4 of epoch 2
            raise KeyboardInterrupt

    result = train(model, *data, tokenizer, epochs=2, callbacks=[stop_mid_epoch_2], **FAST)
    assert result.interrupted and result.epoch == 1 and result.batches_done == 4
    assert len(result.history) == 1 and result.step == 6 + 4
    assert any(not torch.equal(v, start[k]) for k, v in model.state_dict().items())  # trained weights kept
    resumed = train(model, *data, tokenizer, epochs=2, state=result, **FAST)
    assert resumed is result and not resumed.interrupted
    assert len(resumed.history) == 2 and resumed.step == 12 and [s for s, _ in resumed.losses] == list(range(1, 13))


def test_labels_out_of_range_and_empty_data(tokenizer, data):
    model = tiny_bert(tokenizer)
    bad = data[0].cast_column("label", data[0].features["label"].__class__(names=list("abcdef")))
    bad = bad.map(lambda row, i: {"label": 5 if i == 3 else row["label"]}, with_indices=True)
    with pytest.raises(course_lib.CourseError) as error:
        train(model, bad, data[1], tokenizer, epochs=1, **FAST)
    assert "num_labels=2" in str(error.value) and "label 5" in str(error.value)
    with pytest.raises(course_lib.CourseError, match="empty"):
        train(model, data[0].select([]), data[1], tokenizer, epochs=1, **FAST)


def test_mixed_precision_choice():
    assert mixed_precision_for(CPU) == "no"


def test_resuming_for_more_epochs_stretches_the_schedule_and_trains(tokenizer, data, capsys):
    model = tiny_bert(tokenizer)
    result = train(model, *data, tokenizer, epochs=1, **FAST)
    assert result.optimizer.param_groups[0]["lr"] == 0.0  # the linear schedule ended with epoch 1
    after_one = weights(model)
    seen = []  # (learning rate after the step, weights after the step) for every step of the extra epoch
    watch = lambda state: seen.append((state.optimizer.param_groups[0]["lr"],
                                       weights(state.accelerator.unwrap_model(state.model))))
    resumed = train(model, *data, tokenizer, epochs=2, state=result, callbacks=[watch], **FAST)
    assert "decays to 0 at the end of epoch 2" in capsys.readouterr().out
    assert resumed.epoch == 2 and len(resumed.history) == 2 and resumed.step == 12
    lrs = [lr for lr, _ in seen]
    assert len(seen) == 6 and all(lr > 0 for lr in lrs[:-1]) and lrs == sorted(lrs, reverse=True)
    assert lrs[0] <= FAST["lr"] and lrs[-1] == 0.0  # stretched: decays from > 0 to 0 at the end of epoch 2
    assert any(not torch.equal(seen[-1][1][k], v) for k, v in after_one.items())  # the extra epoch trained


def test_resuming_with_no_new_epochs_says_so(tokenizer, data, capsys):
    model = tiny_bert(tokenizer)
    result = train(model, *data, tokenizer, epochs=1, **FAST)
    train(model, *data, tokenizer, epochs=1, state=result, **FAST)
    assert "pass epochs=2 or more" in capsys.readouterr().out and result.epoch == 1
