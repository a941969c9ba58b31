"""Lesson 07 helpers: the ways to fine-tune, each run the same way, compared by one rule.

A *mode* says what trains:
- **full**: every weight, on tokens;
- **LoRA**: low-rank adapters on every layer's query and value projections (`peft`), plus the pooler and the head;
  the pretrained weights stay frozen;
- **last 2 + head**: the top two layers, the pooler and the head, on a cached bottom (it runs once);
- **head only**: a linear head on the frozen encoder's last layer, read three ways: the pooler (what
  `BertForSequenceClassification` reads), the raw [CLS] vector and the mask-aware mean of the token vectors.

`compare_modes` gives every mode the same rows, epochs and batch size, and a learning rate from the same sweep
(course_lib.core.sweeps: three rates 3x apart around the mode's usual rate, extended 3x further while the best is
at an end), picked by accuracy on the check rows (seed 0); the picked rate then trains with every seed, and each run
is scored on the same test rows.
"""
import time
import warnings
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn
from transformers import AutoModelForSequenceClassification

from ..core import stats, sweeps
from ..core.cached import TopLayers, advance, cache_hidden_states
from ..core.errors import CourseError
from ..core.freezing import freeze, num_layers
from ..core.session import seed_everything
from ..core.training import evaluate, train

LORA_RANK = 8


@dataclass(frozen=True)
class Mode:
    """What trains: everything on tokens (top=None), or the top `top` layers and the head on a cached bottom."""

    name: str
    usual_lr: float
    top: int | None = None  # None: on tokens (full or LoRA); 2: last 2 layers + head; 0: head only
    pooling: str = "pooler"
    lora: bool = False


# Usual rates for this budget (a few hundred rows, a few dozen steps): where a mode's best lies at an end of the three
# rates around its usual one, the sweep goes on 3x further (course_lib.core.sweeps).
MODES = (
    Mode("full", 3e-4),
    Mode(f"LoRA (r={LORA_RANK})", 1e-3, lora=True),
    Mode("last 2 + head", 1e-3, top=2),
    Mode("head only: pooler", 1e-2, top=0),
    Mode("head only: [CLS]", 1e-2, top=0, pooling="cls"),
    Mode("head only: mean", 1e-2, top=0, pooling="mean"),
)


def add_lora(model, rank: int = LORA_RANK):
    """Low-rank adapters on every attention layer's query and value projections; the pooler and the head train too.

    Each adapted projection W (d x d) gains B·A with A (rank x d) and B (d x rank), B starting at 0 so the model
    starts exactly as pretrained; only A, B, the pooler and the head are trainable.
    """
    from peft import LoraConfig, get_peft_model

    names = [name for name, _ in model.named_modules()]
    keep = [part for part in ("pooler", "classifier") if any(n == part or n.endswith("." + part) for n in names)]
    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.1, target_modules=["query", "value"],
                        modules_to_save=keep)
    with warnings.catch_warnings():  # peft asks transformers 5 a question it has renamed: a FutureWarning, no error
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        return get_peft_model(model, config)


@dataclass
class ComparisonData:
    """The rows every mode trains, checks and is scored on, and the frozen bottom's outputs cached once."""

    train: object
    check: object
    test: object
    tokenizer: object
    caches: dict  # first trained layer -> {"train", "check", "test"} cached states
    layers: int


def prepare(session, train_rows, check_rows, test_rows, max_length: int) -> ComparisonData:
    """Cache the pretrained bottom's outputs for the cached modes (the bottom is frozen, so every seed shares them)."""
    tokenizer = session.load_tokenizer("encoder")
    base = session.load_model("encoder", AutoModelForSequenceClassification, num_labels=2)
    layers = num_layers(base)
    below_top2 = {name: cache_hidden_states(base, rows, tokenizer, session.device, layers - 2, max_length=max_length,
                                            progress=False)
                  for name, rows in (("train", train_rows), ("check", check_rows), ("test", test_rows))}
    last = {name: advance(base, states, layers) for name, states in below_top2.items()}
    return ComparisonData(train_rows, check_rows, test_rows, tokenizer, {layers - 2: below_top2, layers: last}, layers)


def fresh_model(session, seed: int):
    """The pretrained encoder with a new classification head whose start is set by `seed`."""
    seed_everything(seed)
    return session.load_model("encoder", AutoModelForSequenceClassification, num_labels=2)


def trained_groups(first_layer: int, layers: int, pooling: str) -> list[str]:
    """Layers first_layer.., the pooler where it is read and above the frozen part, and the head."""
    pooler = ["pooler"] if pooling == "pooler" and first_layer < layers else []
    return [f"layer.{i}" for i in range(first_layer, layers)] + pooler + ["head"]


def build(session, mode: Mode, seed: int, data: ComparisonData):
    """The model a mode trains (frozen as the mode says) and the (train, check, test) data it reads."""
    model = fresh_model(session, seed)
    if mode.top is None:
        model = add_lora(model) if mode.lora else model
        return model, (data.train, data.check, data.test)
    first = data.layers - mode.top
    freeze(model, trained_groups(first, data.layers, mode.pooling))
    if mode.pooling == "cls":  # a head of your own on the raw [CLS] vector
        model.classifier = nn.Linear(model.config.hidden_size, 2).to(session.device)
    cache = data.caches[first]
    return TopLayers(model, first, mode.pooling), (cache["train"], cache["check"], cache["test"])


def run_mode(session, mode: Mode, lr: float, seed: int, data: ComparisonData, epochs: int, batch_size: int,
             max_length: int) -> dict:
    """Train one mode once; its check and test scores, trainable parameters, seconds and optimizer steps."""
    model, (train_data, check, test) = build(session, mode, seed, data)
    tokenizer = data.tokenizer if mode.top is None else None
    start = time.perf_counter()
    result = train(model, train_data, check, tokenizer, device=session.device, epochs=epochs, lr=lr,
                   batch_size=batch_size, max_length=max_length, seed=seed, plot=False, progress=False)
    seconds = time.perf_counter() - start
    scores = evaluate(model, test, session.device, tokenizer, max_length=max_length)
    return {"mode": mode.name, "lr": lr, "seed": seed, "check accuracy": result.best_accuracy,
            "check loss": result.best_loss, "test accuracy": scores["accuracy"], "test rows": scores["rows"],
            "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "seconds": seconds, "steps": result.step}


def check_score(run: dict) -> tuple:
    """How the sweep ranks a run: its check accuracy (ties: the lower check loss)."""
    return run["check accuracy"], -run["check loss"]


def compare_modes(session, data: ComparisonData, *, epochs: int, batch_size: int, seeds: int, max_length: int,
                  modes=MODES, progress=None) -> pd.DataFrame:
    """Every mode: the rate sweep on seed 0, then every seed at the picked rate. One row per run."""
    if seeds < 3:
        raise CourseError(f"seeds={seeds}: fewer than 3 seeds give no usable spread to compare against.",
                          "pass seeds=3 or more.")
    runs = []
    for mode in modes:
        sweep, best = sweeps.sweep(lambda lr: run_mode(session, mode, lr, 0, data, epochs, batch_size, max_length),
                                   mode.usual_lr, check_score)
        runs += [{**run, "picked": run["lr"] == best} for run in sweep]
        runs += [{**run_mode(session, mode, best, seed, data, epochs, batch_size, max_length), "picked": True}
                 for seed in range(1, seeds)]
        if progress is not None:
            progress(mode.name)
    return pd.DataFrame(runs)


# ---- reading a stored study: below this line nothing changes the numbers (not in the study's fingerprint) ----


def measured_modes(runs: pd.DataFrame) -> list[stats.Measured]:
    """The picked rate's runs of each mode as stats.Measured (one accuracy per seed, on the test rows)."""
    picked = runs[runs["picked"]]
    return [stats.measured(name, group["test accuracy"].tolist(), int(group["test rows"].iloc[0]))
            for name, group in picked.groupby("mode", sort=False)]


def summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per mode: the picked rate, the rates tried, trainable parameters, mean test accuracy ± 95% margin, seeds."""
    rows = {}
    for measured in measured_modes(runs):
        mode_runs = runs[runs["mode"] == measured.name]
        picked = mode_runs[mode_runs["picked"]]
        rows[measured.name] = {"picked lr": picked["lr"].iloc[0],
                               "rates tried": ", ".join(f"{lr:g}" for lr in sorted(mode_runs["lr"].unique())),
                               "trainable": int(picked["trainable"].iloc[0]),
                               "test accuracy": round(measured.mean, 3), "± (95%)": round(measured.margin, 3),
                               "seeds": len(measured.values)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("mode")


def plot_summary(results: list[stats.Measured], baseline: stats.Measured | None = None, title: str = "the modes compared"):
    """Mean test accuracy of each mode with its 95% interval (test-set noise and seed spread), one x per seed."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.45 * len(results) + 1.2))
    for y, result in enumerate(results):
        ax.errorbar([result.mean], [y], xerr=[result.margin], fmt="o", capsize=4, color="tab:blue")
        ax.plot(result.values, [y] * len(result.values), "x", color="gray", alpha=0.7)
    if baseline is not None:
        ax.axvline(baseline.mean, color="gray", ls=":", label=baseline.name)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.02))
    ax.set(yticks=range(len(results)), yticklabels=[r.name for r in results], title=title,
           xlabel="test accuracy: mean, 95% interval (test-set noise and seed spread), x = one seed")
    ax.invert_yaxis()
    fig.tight_layout()
    plt.show()


def sweep_edges(runs: pd.DataFrame, value: str = "lr", by: str = "mode") -> list[str]:
    """One line per method whose picked value is the smallest or largest its sweep tried (its best may lie beyond)."""
    lines = []
    for name, group in runs.groupby(by, sort=False):
        tried, picked = sorted(group[value].unique()), group.loc[group["picked"], value].iloc[0]
        if picked in (tried[0], tried[-1]):
            side = "largest" if picked == tried[-1] else "smallest"
            lines.append(f"{name}: picked the {side} value its sweep tried ({picked:g}); its best may lie beyond, "
                         f"so its score may be a little low.")
    return lines
