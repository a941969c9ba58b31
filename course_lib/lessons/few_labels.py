"""Lesson 07 helpers: what to do with a handful of labels (k labeled examples per class).

Three ways to use the encoder on the same k examples per class, each scored on the same test rows:
- **linear head**: the frozen encoder's sentence vectors (mean-pooled, as a sentence-transformer makes them) and a
  logistic regression on them;
- **full fine-tuning** on the 2k examples (course_lib.train);
- **SetFit** (Tunstall et al. 2022, arXiv:2209.11055): first fine-tune the encoder *contrastively* on pairs of the
  examples (two sentences of the same class should get similar vectors, of different classes dissimilar ones), then
  fit the same logistic regression on its new sentence vectors.

Equal budgets: full fine-tuning and SetFit's contrastive step get the same number of optimizer steps and of sentences
through the encoder per step (SetFit: `pairs_per_step` pairs = 2 x that many sentences; full: a batch of the same
size); the linear head trains no encoder at all. Each method's step size comes from the same sweep as lesson 07's
modes (course_lib.core.sweeps: three values 3x apart, extended while the best is at an end, picked on check rows;
for the linear head its regularisation strength), run once per method at one size (`sweep_per_class`) and used at
every size; every configuration runs with several seeds: the seed draws the k examples and sets the training's
randomness.
"""
import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from datasets import Dataset

from ..core import stats, sweeps
from ..core.checkpoints import minilm_dir
from ..core.errors import CourseError
from ..core.session import seed_everything


@dataclass(frozen=True)
class Method:
    """One way to use k labeled examples per class, with its usual step size (or regularisation) for the sweep."""

    name: str
    usual: float


METHODS = (Method("linear head", 1.0), Method("full fine-tuning", 1e-4), Method("SetFit", 2e-5))


def sample_per_class(rows: Dataset, k: int, seed: int) -> Dataset:
    """k rows of each label, drawn with `seed` (the same draw for every method)."""
    labels = np.asarray(rows["label"])
    rng = np.random.default_rng(seed)
    picked = []
    for label in sorted(set(labels.tolist())):
        where = np.flatnonzero(labels == label)
        if len(where) < k:
            raise CourseError(f"Only {len(where)} rows have label {label}; {k} per class were asked for.",
                              f"ask for at most {len(where)} per class.")
        picked += rng.choice(where, size=k, replace=False).tolist()
    return rows.select(sorted(picked))


def encoder_path(session) -> str:
    """Where SetFit / sentence-transformers load the encoder role from (the pocket MiniLM's folder, or its hub id)."""
    name = session.checkpoint("encoder")
    return str(minilm_dir()) if name.startswith("pocket/") else name


def sentence_encoder(session, max_length: int):
    """The encoder role as a SentenceTransformer (mean pooling), on the session's device, reading `max_length` tokens."""
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(encoder_path(session), device=str(session.device))
    encoder.max_seq_length = max_length
    return encoder


def setfit_model(session, max_length: int):
    """A SetFit model on the encoder role: its sentence-transformer body (reading `max_length` tokens) and a logistic head."""
    from setfit import SetFitModel

    quiet()
    model = SetFitModel.from_pretrained(encoder_path(session), device=str(session.device))
    model.model_body.max_seq_length = max_length  # SetFit's own max_length only reaches its head's training
    return model


def quiet() -> None:
    """Keep sentence-transformers' and SetFit's training logs out of the lesson's output."""
    for name in ("setfit", "sentence_transformers"):
        logging.getLogger(name).setLevel(logging.ERROR)


def embed(encoder, texts, batch_size: int = 64) -> np.ndarray:
    """Sentence vectors of `texts` from a SentenceTransformer."""
    return encoder.encode(list(texts), batch_size=batch_size, show_progress_bar=False, convert_to_numpy=True)


def logistic_head(vectors, labels, strength: float, seed: int):
    """A logistic regression on sentence vectors (scikit-learn; C = `strength`, larger = less regularised)."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=strength, max_iter=1000, random_state=seed).fit(vectors, labels)


def run_linear_head(session, examples, check, test, strength, seed, settings, cache) -> dict:
    """The frozen encoder's vectors and a logistic head."""
    if "encoder" not in cache:  # the frozen encoder and its check and test vectors: computed once for every run
        cache["encoder"] = sentence_encoder(session, settings["max_length"])
        cache.update({name: embed(cache["encoder"], rows["text"]) for name, rows in (("check", check), ("test", test))})
    vectors, encoder = {name: cache[name] for name in ("check", "test")}, cache["encoder"]
    head = logistic_head(embed(encoder, examples["text"]), examples["label"], strength, seed)
    return {"check accuracy": head.score(vectors["check"], check["label"]),
            "test accuracy": head.score(vectors["test"], test["label"])}


def run_full(session, examples, check, test, lr, seed, settings, cache) -> dict:
    """Full fine-tuning on the examples with course_lib.train, the same steps and batch as SetFit's contrastive step."""
    from datasets import concatenate_datasets
    from transformers import AutoModelForSequenceClassification

    from ..core.training import evaluate, train

    seed_everything(seed)
    model = session.load_model("encoder", AutoModelForSequenceClassification, num_labels=2)
    batch = 2 * settings["pairs_per_step"]  # as many sentences per step as SetFit's pairs hold
    # the examples repeated to fill `steps` batches, as one epoch: one evaluation at the end, not one per pass
    copies = -(-settings["steps"] * batch // len(examples))
    rows = concatenate_datasets([examples] * copies).select(range(settings["steps"] * batch))
    tokenizer, length = session.load_tokenizer("encoder"), settings["max_length"]
    train(model, rows, check, tokenizer, device=session.device, epochs=1, lr=lr, batch_size=batch,
          max_length=length, seed=seed, plot=False, progress=False)
    return {"check accuracy": evaluate(model, check, session.device, tokenizer, max_length=length)["accuracy"],
            "test accuracy": evaluate(model, test, session.device, tokenizer, max_length=length)["accuracy"]}


def run_setfit(session, examples, check, test, lr, seed, settings, cache) -> dict:
    """SetFit: contrastive fine-tuning on pairs of the examples, then a logistic head on the new vectors."""
    from setfit import Trainer, TrainingArguments

    seed_everything(seed)
    model = setfit_model(session, settings["max_length"])
    args = TrainingArguments(batch_size=settings["pairs_per_step"], max_steps=settings["steps"], num_epochs=1,
                             body_learning_rate=lr, seed=seed, report_to="none", show_progress_bar=False)
    Trainer(model=model, args=args, train_dataset=examples).train()
    vectors = {name: embed(model.model_body, rows["text"]) for name, rows in (("check", check), ("test", test))}
    return {"check accuracy": float(np.mean(model.model_head.predict(vectors["check"]) == np.asarray(check["label"]))),
            "test accuracy": float(np.mean(model.model_head.predict(vectors["test"]) == np.asarray(test["label"])))}


RUNNERS = {"linear head": run_linear_head, "full fine-tuning": run_full, "SetFit": run_setfit}


def compare_few_labels(session, pool: Dataset, check: Dataset, test: Dataset, settings: dict, progress=None) -> pd.DataFrame:
    """Each method: the sweep once, at the sweep size with seed 0; then every size k and seed at the picked value."""
    if settings["seeds"] < 3:
        raise CourseError(f"seeds={settings['seeds']}: fewer than 3 seeds give no usable spread.", "pass seeds=3 or more.")
    runs, cache = [], {}
    for method in METHODS:
        def run(k, value, seed):
            examples = sample_per_class(pool, k, seed)
            start = time.perf_counter()
            scores = RUNNERS[method.name](session, examples, check, test, value, seed, settings, cache)
            return {"per class": k, "method": method.name, "value": value, "seed": seed, **scores,
                    "test rows": len(test), "seconds": time.perf_counter() - start}

        k_sweep = settings["sweep_per_class"]
        sweep, best = sweeps.sweep(lambda value: run(k_sweep, value, 0), method.usual, lambda r: r["check accuracy"])
        runs += [{**r, "picked": r["value"] == best} for r in sweep]
        for k in settings["per_class"]:
            runs += [{**run(k, best, seed), "picked": True} for seed in range(settings["seeds"])
                     if not (k == k_sweep and seed == 0)]  # that run is the sweep's own
            if progress is not None:
                progress(f"{method.name}: {k} per class")
    return pd.DataFrame(runs)


# ---- reading a stored study: below this line nothing changes the numbers (not in the study's fingerprint) ----


def measured_few_labels(runs: pd.DataFrame) -> dict[tuple, stats.Measured]:
    """(k, method) -> the picked value's runs as stats.Measured."""
    picked = runs[runs["picked"]]
    return {(k, method): stats.measured(f"{method}, {k} per class", group["test accuracy"].tolist(),
                                        int(group["test rows"].iloc[0]))
            for (k, method), group in picked.groupby(["per class", "method"], sort=False)}


def summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean test accuracy ± 95% margin, per size (rows) and method (columns)."""
    cells = {}
    for (k, method), m in measured_few_labels(runs).items():
        cells.setdefault(k, {})[method] = f"{m.mean:.1%} ± {m.margin:.1%}"
    table = pd.DataFrame.from_dict(cells, orient="index")[[m.name for m in METHODS]]
    return table.sort_index().rename_axis("examples per class")


def plot_few_labels(runs: pd.DataFrame, baseline: stats.Measured | None = None):
    """Test accuracy against examples per class, one line per method, 95% intervals as error bars."""
    import matplotlib.pyplot as plt

    measured = measured_few_labels(runs)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for offset, method in zip((-0.03, 0.0, 0.03), METHODS):
        ks = sorted(k for k, m in measured if m == method.name)
        means = [measured[(k, method.name)].mean for k in ks]
        margins = [measured[(k, method.name)].margin for k in ks]
        ax.errorbar([k * (1 + offset) for k in ks], means, yerr=margins, marker="o", capsize=4, label=method.name)
    if baseline is not None:
        ax.axhline(baseline.mean, color="gray", ls=":", label=baseline.name)
    ax.set(xscale="log", xlabel="labeled examples per class (log scale)", ylabel="test accuracy",
           title="few labels: mean and 95% interval (test-set noise and seed spread)")
    ax.set_xticks(sorted({k for k, _ in measured}), [str(k) for k in sorted({k for k, _ in measured})])
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.show()
