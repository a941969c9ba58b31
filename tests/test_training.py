"""The one training engine (course_lib.core.training) on tiny random models: what it trains, how it steps, how it
stops and resumes, and that the same seed gives the same run."""
import math
import os

import pytest
import torch

import course_lib
from course_lib.core.precision import PRECISION_ENV, autocast_for, mixed_precision_for
from course_lib.core.training import TrainState, Updater, evaluate, fit, improves, make_optimizer, train, unwrapped

CPU = torch.device("cpu")
FAST = dict(device=CPU, lr=1e-2, batch_size=16, warmup=0.0, plot=False, progress=False)


@pytest.fixture(scope="module")
def data(word_sentiment):
    return word_sentiment(96, seed=0), word_sentiment(48, seed=1)


def weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_train_lowers_loss_and_keeps_best_weights(tokenizer, tiny_bert, data):
    model = tiny_bert()
    before = evaluate(model, data[1], CPU, tokenizer)
    result = train(model, *data, tokenizer, epochs=4, **FAST)
    after = evaluate(model, data[1], CPU, tokenizer)
    assert len(result.history) == 4 and not result.interrupted
    assert after["loss"] < before["loss"]
    assert after["accuracy"] >= 0.9 > before["accuracy"]
    best = max(result.history, key=lambda row: (row["eval_accuracy"], -row["eval_loss"]))
    assert after["accuracy"] == pytest.approx(best["eval_accuracy"])  # the model holds the best epoch's weights
    assert after["loss"] == pytest.approx(best["eval_loss"], rel=1e-4)
    assert same_weights(weights(model), result.best_weights)
    assert result.step == 4 * math.ceil(96 / 16) == len(result.losses)


def test_evaluate_returns_per_row_correctness_in_row_order(tokenizer, tiny_bert, data):
    model, rows = tiny_bert(), data[1]
    scores = evaluate(model, rows, CPU, tokenizer, batch_size=7)  # scored shortest first, in uneven batches
    with torch.no_grad():  # one row at a time, in the dataset's own order
        predicted = [model(**tokenizer(text, return_tensors="pt")).logits.argmax(-1).item() for text in rows["text"]]
    expected = torch.tensor([p == label for p, label in zip(predicted, rows["label"])])
    assert scores["rows"] == len(rows) and scores["correct"].dtype == torch.bool
    assert torch.equal(scores["correct"], expected)
    assert scores["accuracy"] == pytest.approx(expected.float().mean().item())


def test_accuracy_ties_are_broken_by_lower_eval_loss():
    state = TrainState(best_accuracy=1.0, best_loss=0.60)
    assert improves({"accuracy": 1.0, "loss": 0.20}, state)  # same accuracy, more confident: better
    assert not improves({"accuracy": 1.0, "loss": 0.70}, state)
    assert not improves({"accuracy": 0.9, "loss": 0.01}, state)  # accuracy comes first
    assert improves({"accuracy": 0.0, "loss": 9.0}, TrainState())  # the first epoch always counts


def test_optimizer_is_torch_adamw_fused_where_pytorch_has_the_kernel():
    weights_ = [torch.nn.Parameter(torch.zeros(3))]
    assert isinstance(make_optimizer(weights_, 1e-3, 0.01, torch.device("cpu")), torch.optim.AdamW)
    assert make_optimizer(weights_, 1e-3, 0.01, torch.device("cpu")).defaults["fused"] is True
    assert not make_optimizer(weights_, 1e-3, 0.01, torch.device("meta")).defaults["fused"]
    frozen = [torch.nn.Parameter(torch.zeros(3), requires_grad=False)]
    with pytest.raises(course_lib.CourseError, match="everything is frozen"):
        make_optimizer(frozen, 1e-3)


@pytest.mark.parametrize("grad_accum, steps", [(1, 6), (2, 3), (4, 2)])  # 96 rows / 16 = 6 batches; a partial last group steps too
def test_gradient_accumulation_steps_the_optimizer_once_per_group_of_batches(tokenizer, tiny_bert, data, grad_accum, steps):
    model = tiny_bert()
    result = train(model, *data, tokenizer, epochs=1, grad_accum=grad_accum, **FAST)
    head = model.classifier.weight
    assert result.optimizer.state[head]["step"].item() == steps  # AdamW's own count of the updates it applied
    assert result.step == steps and result.updater.scheduler.last_epoch == steps
    assert len(result.losses) == 6  # the training loss of every batch is still recorded


def test_same_seed_gives_the_same_run_with_dropout_on(tokenizer, tiny_bert, data):
    """Two runs from the same start with the same seed: the same losses and weights, dropout included, whatever ran
    in between; another seed gives another run."""
    dropout = dict(hidden_dropout_prob=0.2, attention_probs_dropout_prob=0.2)
    runs = []
    for run, seed in enumerate((0, 0, 1)):
        model = tiny_bert(seed=0, **dropout)  # the same start every time
        torch.rand(100 + 37 * run)  # other cells drew random numbers first, a different count each time
        result = train(model, *data, tokenizer, epochs=2, seed=seed, **FAST)
        runs.append(([loss for _, loss in result.losses], weights(model)))
    (losses_a, weights_a), (losses_b, weights_b), (losses_c, weights_c) = runs
    assert losses_a == losses_b and same_weights(weights_a, weights_b)
    assert losses_a != losses_c and not same_weights(weights_a, weights_c)


def test_dropout_is_on_while_training_and_off_afterwards(tokenizer, tiny_bert, data):
    model = tiny_bert(hidden_dropout_prob=0.2)
    modes = []
    train(model, *data, tokenizer, epochs=1, callbacks=[lambda state: modes.append(unwrapped(state).training)], **FAST)
    assert modes and all(modes) and not model.training


def test_keyboard_interrupt_keeps_progress_and_resume_finishes_the_same_run(tokenizer, tiny_bert, data):
    model = tiny_bert()
    start = weights(model)

    def stop_mid_epoch_2(state):
        if state.step == 10:  # epoch 1 has 6 batches: stop after batch 4 of epoch 2
            raise KeyboardInterrupt

    result = train(model, *data, tokenizer, epochs=2, callbacks=[stop_mid_epoch_2], **FAST)
    assert result.interrupted and result.epoch == 1 and result.batches_done == 4
    assert len(result.history) == 1 and result.step == 6 + 4
    first_epoch = dict(result.history[0])
    assert not same_weights(weights(model), start)  # the trained weights are kept
    resumed = train(model, *data, tokenizer, epochs=2, state=result, **FAST)
    assert resumed is result and not resumed.interrupted
    assert len(resumed.history) == 2 and resumed.history[0] == first_epoch  # the history goes on, not over
    assert resumed.step == 12 and [s for s, _ in resumed.losses] == list(range(1, 13))
    straight = tiny_bert()  # the same run without the interruption
    uninterrupted = train(straight, *data, tokenizer, epochs=2, **FAST)
    assert [loss for _, loss in resumed.losses] == pytest.approx([loss for _, loss in uninterrupted.losses], rel=1e-6)
    assert all(torch.allclose(v, weights(straight)[k], atol=1e-6) for k, v in weights(model).items())


def test_labels_out_of_range_and_empty_data(tokenizer, tiny_bert, data):
    model = tiny_bert()
    bad = data[0].cast_column("label", data[0].features["label"].__class__(names=list("abcdef")))
    bad = bad.map(lambda row, i: {"label": 5 if i == 3 else row["label"]}, with_indices=True)
    with pytest.raises(course_lib.CourseError) as error:
        train(model, bad, data[1], tokenizer, epochs=1, **FAST)
    assert "num_labels=2" in str(error.value) and "label 5" in str(error.value)
    with pytest.raises(course_lib.CourseError, match="empty"):
        train(model, data[0].select([]), data[1], tokenizer, epochs=1, **FAST)


@pytest.mark.parametrize("hardware, device, expected", [
    ({"amx": True}, "cpu", "bf16"),  # Sapphire Rapids and newer: bf16 matrix units
    ({"amx": False}, "cpu", "no"),  # most laptops, AMD EPYC: bf16 would be emulated
    ({"cuda": (8, 0)}, "cuda", "bf16"),  # A100
    ({"cuda": (9, 0)}, "cuda", "bf16"),  # H100
    ({"cuda": (7, 5)}, "cuda", "fp16"),  # T4: no native bf16, fp16 with loss scaling
    ({"cuda": (7, 0)}, "cuda", "fp16"),  # V100
    ({"mps": True, "amx": True}, "mps", "no"),  # Apple GPUs train in fp32
])
def test_the_engine_trains_in_the_precision_the_hardware_runs_natively(fake_hardware, hardware, device, expected):
    """$COURSE_PRECISION unset: the faked hardware alone decides the precision, the autocast and the loss scaling."""
    fake_hardware.cpu(hardware.get("amx", False))
    fake_hardware.cuda(hardware.get("cuda"))
    fake_hardware.mps(hardware.get("mps", False))
    assert PRECISION_ENV not in os.environ
    assert mixed_precision_for(device) == expected
    context = autocast_for(device)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(expected)
    assert getattr(context, "fast_dtype", None) == dtype  # fp32: no autocast at all
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    assert Updater(optimizer, device=device).scaler.is_enabled() == (expected == "fp16")


def test_resuming_for_more_epochs_stretches_the_schedule_and_trains(tokenizer, tiny_bert, data, capsys):
    model = tiny_bert()
    result = train(model, *data, tokenizer, epochs=1, **FAST)
    assert result.optimizer.param_groups[0]["lr"] == 0.0  # the linear schedule ended with epoch 1
    after_one = weights(model)
    seen = []  # (learning rate after the step, weights after the step) for every step of the extra epoch
    watch = lambda state: seen.append((state.optimizer.param_groups[0]["lr"], weights(unwrapped(state))))
    resumed = train(model, *data, tokenizer, epochs=2, state=result, callbacks=[watch], **FAST)
    assert "decays to 0 at the end of epoch 2" in capsys.readouterr().out
    assert resumed.epoch == 2 and len(resumed.history) == 2 and resumed.step == 12
    lrs = [lr for lr, _ in seen]
    assert len(seen) == 6 and all(lr > 0 for lr in lrs[:-1]) and lrs == sorted(lrs, reverse=True)
    assert lrs[0] <= FAST["lr"] and lrs[-1] == 0.0  # stretched: decays from > 0 to 0 at the end of epoch 2
    assert any(not torch.equal(seen[-1][1][k], v) for k, v in after_one.items())  # the extra epoch trained


def test_resuming_with_no_new_epochs_says_so(tokenizer, tiny_bert, data, capsys):
    model = tiny_bert()
    result = train(model, *data, tokenizer, epochs=1, **FAST)
    train(model, *data, tokenizer, epochs=1, state=result, **FAST)
    assert "pass epochs=2 or more" in capsys.readouterr().out and result.epoch == 1


def test_fit_lowers_a_loss_with_the_engines_update_rule():
    """fit(): the helpers' small heads (probes, the span head) minimise their own loss, one step per batch."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=generator)
    y = x @ torch.tensor([2.0, -1.0, 0.5]) + 0.3
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    loss_of = lambda _: torch.nn.functional.mse_loss(model(x).squeeze(-1), y)
    losses = fit(model.parameters(), loss_of, range(10_000), lr=0.05, optimizer=torch.optim.Adam, max_steps=200)
    assert len(losses) == 200  # max_steps cut the endless batches
    assert losses[-1] < 0.01 * losses[0] and losses[-1] < 1e-2
    assert torch.allclose(model.weight, torch.tensor([[2.0, -1.0, 0.5]]), atol=0.1)
    with pytest.raises(course_lib.CourseError, match="lr"):
        fit(model.parameters(), loss_of, range(3), lr=0)
