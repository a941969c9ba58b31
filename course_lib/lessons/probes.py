"""Which sentence vector carries the label? A fair linear-probe comparison of [CLS], pooler and mean pooling.

One forward pass per batch gives all three candidate vectors; a linear probe is then trained on each,
with the same rows, the same budget and several seeds; `compare_two` reads a difference through the one rule of
`course_lib.core.stats` (test-set noise and seed spread). Lesson 02 runs this experiment.
"""
import pandas as pd
import torch

from .classification_heads import fit_linear_probe
from ..core.errors import InputError
from ..core.stats import Measured, compare, majority, measured
from ..core.batches import by_length
from ..core.tensors import mean_pool

FEATURES = ("[CLS] raw", "pooler_output", "mean pooling")
BASELINE = "majority class"


def sentence_vectors(outputs, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """The three candidate sentence vectors of one batch: {name: [batch, hidden]}."""
    return {"[CLS] raw": outputs.last_hidden_state[:, 0], "pooler_output": outputs.pooler_output,
            "mean pooling": mean_pool(outputs.last_hidden_state, attention_mask)}


@torch.no_grad()
def encode_features(model, tokenizer, texts: list[str], device, batch_size: int = 32,
                    max_length: int = 128) -> dict[str, torch.Tensor]:
    """Run the encoder once over `texts` and keep all three sentence vectors: {name: [rows, hidden]} on the CPU, in text order."""
    model.eval()
    order = by_length(tokenizer(list(texts), truncation=True, max_length=max_length))  # similar lengths: little padding
    parts = {name: [] for name in FEATURES}
    for start in range(0, len(order), batch_size):
        chunk = [texts[i] for i in order[start:start + batch_size]]
        batch = tokenizer(chunk, padding=True, truncation=True, max_length=max_length, return_tensors="pt").to(device)
        for name, vectors in sentence_vectors(model(**batch), batch["attention_mask"]).items():
            parts[name].append(vectors.float().cpu())
    restore = torch.argsort(torch.tensor(order))
    return {name: torch.cat(chunks)[restore] for name, chunks in parts.items()}


def standardize(train: torch.Tensor, test: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale every column to mean 0 and std 1 with the train statistics only (so no feature wins by its scale)."""
    mean, std = train.mean(dim=0), train.std(dim=0).clamp(min=1e-6)
    return (train - mean) / std, (test - mean) / std


def probe_accuracy(train_x, train_y, test_x, test_y, seed: int, steps: int, lr: float) -> float:
    """Train a linear probe on standardized train features; return its test accuracy."""
    train_x, test_x = standardize(train_x, test_x)
    probe = fit_linear_probe(train_x, train_y, int(max(train_y.max(), test_y.max())) + 1, steps=steps, lr=lr, seed=seed)
    with torch.no_grad():
        return (probe(test_x).argmax(dim=-1) == test_y).float().mean().item()


def seeded_subset(n_rows: int, n_train: int, seed: int) -> torch.Tensor:
    """The row indices one seed trains on: a seeded draw of `n_train` of `n_rows`, without replacement."""
    return torch.randperm(n_rows, generator=torch.Generator().manual_seed(seed))[:n_train]


def check_rows(rows, name: str) -> torch.Tensor:
    """Rows need `text` and integer `label` columns and at least 2 labels; return the labels as a tensor."""
    if not hasattr(rows, "__getitem__") or any(c not in getattr(rows, "column_names", rows) for c in ("text", "label")):
        raise InputError(f"{name} must have 'text' and 'label' columns, but got {type(rows).__name__}.",
                         f"pass a split of session.load_sentiment(), e.g. data['train'].select(range(300)).")
    labels = torch.as_tensor(list(rows["label"]))
    if len(labels) < 4 or labels.unique().numel() < 2:
        raise InputError(f"{name} has {len(labels)} rows and labels {labels.unique().tolist()}: a probe needs "
                         "at least 4 rows and 2 different labels.", "pass a few hundred rows with both labels.")
    return labels


def run_probes(train_x: dict, train_y, test_x: dict, test_y, seeds, n_train: int, steps: int, lr: float) -> pd.DataFrame:
    """One row per (seed, feature): the test accuracy of a probe trained on that seed's rows."""
    runs = []
    for seed in seeds:
        rows = seeded_subset(len(train_y), n_train, seed)  # the same rows for every feature
        for name in FEATURES:
            accuracy = probe_accuracy(train_x[name][rows], train_y[rows], test_x[name], test_y, seed, steps, lr)
            runs.append({"feature": name, "seed": seed, "accuracy": accuracy})
    return pd.DataFrame(runs)


def compare_features(model, tokenizer, train_rows, test_rows, device, seeds=(0, 1, 2), n_train: int | None = None,
                     steps: int = 100, lr: float = 0.001, batch_size: int = 32, max_length: int = 128) -> pd.DataFrame:
    """Linear-probe test accuracy (mean and std over seeds) on [CLS] raw, pooler_output and mean pooling.

    Every seed draws `n_train` of the train rows (default: three quarters) and trains one probe per feature on
    exactly those rows with the same steps and learning rate; all probes are scored on all test rows.
    `table.attrs["runs"]` holds every single run; the last row is the majority-class baseline.
    """
    train_y, test_y = check_rows(train_rows, "train_rows"), check_rows(test_rows, "test_rows")
    if len(seeds) < 2:
        raise InputError(f"seeds={tuple(seeds)}: one seed gives no spread to compare against.", "pass seeds=(0, 1, 2).")
    n_train = n_train or (3 * len(train_y)) // 4
    encode = dict(device=device, batch_size=batch_size, max_length=max_length)
    train_x = encode_features(model, tokenizer, list(train_rows["text"]), **encode)
    test_x = encode_features(model, tokenizer, list(test_rows["text"]), **encode)
    runs = run_probes(train_x, train_y, test_x, test_y, seeds, n_train, steps, lr)
    table = runs.groupby("feature", sort=False)["accuracy"].agg(["mean", "std", "min", "max"])
    table.loc[BASELINE] = [majority(test_y.tolist(), train_y.tolist()).mean, 0.0, float("nan"), float("nan")]
    table.attrs.update(runs=runs, n_train=n_train, n_test=len(test_y), seeds=tuple(seeds))
    return table


def plot_comparison(table: pd.DataFrame, title: str = "linear probe on frozen sentence vectors"):
    """Bars of mean test accuracy with error bars of one std over seeds; the majority baseline as a dashed line."""
    import matplotlib.pyplot as plt

    features = table.drop(index=BASELINE)
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(features.index, features["mean"], yerr=features["std"], capsize=6, color="tab:blue")
    ax.axhline(table.loc[BASELINE, "mean"], color="gray", linestyle="--", label=BASELINE)
    ax.set(ylabel="test accuracy", ylim=(0, 1), title=f"{title} ({len(table.attrs['seeds'])} seeds, ±1 std)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def measured_feature(table: pd.DataFrame, name: str) -> Measured:
    """One row of `compare_features`' table as a `stats.Measured`: every seed's accuracy on the n_test rows
    (the majority class: one number, no seed involved)."""
    rows = int(table.attrs["n_test"])
    if name == BASELINE:
        return Measured(name, (float(table.loc[name, "mean"]),), rows, seeded=False)
    runs = table.attrs["runs"]
    return measured(name, runs.loc[runs["feature"] == name, "accuracy"].tolist(), rows)


def compare_two(table: pd.DataFrame, a: str, b: str) -> str:
    """One sentence, by the one rule (`course_lib.core.stats.compare`): does `a` differ from `b` by more than
    test-set noise and seed spread allow, or is there no measurable difference at this size?"""
    return str(compare(measured_feature(table, a), measured_feature(table, b)))
