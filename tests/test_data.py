import pytest

from course_lib.core import data
from course_lib.core import pocket_data
from course_lib.core.errors import CourseError
from course_lib.core.profiles import choose_profile


def test_split_rows_is_deterministic_disjoint_and_sized():
    rows = [{"text": str(i), "label": i % 2} for i in range(100)]
    sizes = {"train": 50, "validation": 10, "test": 20}
    first, second = data.split_rows(rows, sizes, seed=1), data.split_rows(rows, sizes, seed=1)
    assert first == second
    assert {k: len(v) for k, v in first.items()} == sizes
    texts = [r["text"] for split in first.values() for r in split]
    assert len(texts) == len(set(texts))


def test_empty_dataset_is_a_clear_error():
    with pytest.raises(CourseError, match="empty"):
        data.split_rows([], {"train": 1, "validation": 1, "test": 1})


def test_label_one_means_positive():
    scores = {r["text"]: r["score"] for r in pocket_data.read_movie_snippets()}
    rows = data.movie_snippet_rows()
    assert len(rows) == 10605 - sum(s == 0 for s in scores.values())
    assert all((scores[r["text"]] > 0) == (r["label"] == 1) for r in rows[:2000])


def test_pocket_sentiment_splits_are_labeled_and_disjoint():
    splits = data.load_sentiment(choose_profile("pocket"))
    assert splits["train"].features["label"].names == ["negative", "positive"]
    for name, split in splits.items():
        assert set(split["label"]) == {0, 1}, name
    assert not set(splits["train"]["text"]) & set(splits["test"]["text"])


def test_snli_subset_is_fixed():
    a, b = data.load_snli("test", limit=50, seed=3), data.load_snli("test", limit=50, seed=3)
    assert a["premise"] == b["premise"] and len(a) == 50


def test_snli_follows_the_nli_data_role_of_the_session(monkeypatch):
    import course_lib
    from course_lib.core import pocket_data as pocket

    calls = []
    monkeypatch.setattr(pocket, "read_snli", lambda split: calls.append(split) or [
        {"premise": "A man sleeps.", "hypothesis": "A man is awake.", "label": "contradiction"}])
    course_lib.setup(profile="pocket", verbose=False)
    pairs = data.load_snli("test")  # no profile given: the one setup() chose
    assert calls == ["test"] and pairs["label"] == [data.NLI_LABELS.index("contradiction")]


def test_full_snli_drops_no_gold_label_rows(monkeypatch):
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    features = Features({"premise": Value("string"), "hypothesis": Value("string"), "label": ClassLabel(names=data.NLI_LABELS)})
    rows = [{"premise": f"p{i}", "hypothesis": f"h{i}", "label": -1 if i % 3 == 0 else i % 3} for i in range(9)]
    seen = []
    monkeypatch.setattr(data, "load_hub_dataset", lambda role, name: seen.append((role, name)) or
                        DatasetDict({"test": Dataset.from_list(rows, features=features)}))
    pairs = data.load_snli("test", profile=choose_profile("full"))
    assert seen == [("nli_data", "stanfordnlp/snli")]
    assert len(pairs) == 6 and -1 not in pairs["label"]
