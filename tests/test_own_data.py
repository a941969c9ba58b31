"""course_lib.own_data: a learner's CSV/TSV file read into text + ClassLabel columns, or a CourseError that says why not."""
import csv

import pytest

from course_lib.lessons import own_data
from course_lib.core.errors import CourseError


def write(path, rows, delimiter=","):
    """Write `rows` (the first one is the header) as a delimited text file; return the path."""
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file, delimiter=delimiter).writerows(rows)
    return path


REVIEWS = [["review", "sentiment"], ["Loved it, truly.", "positive"], ["Dull and long.", "negative"],
           ["A joy to watch.", "positive"], ["Not worth it.", "negative"]]


def test_string_labels_become_a_classlabel_in_alphabetical_order(tmp_path, capsys):
    data = own_data.read_labeled_file(write(tmp_path / "r.csv", REVIEWS), "review", "sentiment")
    assert data.column_names == ["text", "label"]
    assert data.features["label"].names == ["negative", "positive"]
    assert data["label"] == [1, 0, 1, 0] and data["text"][0] == "Loved it, truly."
    assert "0 = 'negative', 1 = 'positive'" in capsys.readouterr().out


def test_tsv_is_read_with_tabs_and_integer_labels_stay(tmp_path):
    rows = [["text", "label"], ["good", "1"], ["bad", "0"], ["fine", "1"]]
    data = own_data.read_labeled_file(write(tmp_path / "r.tsv", rows, "\t"), verbose=False)
    assert data["label"] == [1, 0, 1] and data.features["label"].names == ["0", "1"]


def test_label_names_set_the_order(tmp_path):
    rows = [["text", "label"], ["a", "5"], ["b", "1"], ["c", "3"]]
    data = own_data.read_labeled_file(write(tmp_path / "stars.csv", rows), label_names=["1", "3", "5"], verbose=False)
    assert data["label"] == [2, 0, 1]


@pytest.mark.parametrize("make, match", [
    (lambda d: d / "nope.csv", "There is no file"),
    (lambda d: write(d / "semi.csv", REVIEWS, ";"), "delimiter=';'"),
    (lambda d: write(d / "tabs.csv", REVIEWS, "\t"), "delimiter='\\\\t'"),
    (lambda d: write(d / "r.csv", [["Review", "sentiment"]] + REVIEWS[1:]), "no column 'review'.*'Review'"),
    (lambda d: write(d / "r.csv", REVIEWS + [["", "positive"]]), "1 row.*empty.*line\\(s\\) 6"),
    (lambda d: write(d / "r.csv", REVIEWS[:1] + [[t, "1" if l == "positive" else "2"] for t, l in REVIEWS[1:]]), "0..1"),
    (lambda d: write(d / "r.csv", REVIEWS[:1] + [[t, "positive"] for t, _ in REVIEWS[1:]]), "only one label"),
    (lambda d: write(d / "r.csv", REVIEWS[:1]), "no rows"),
    (lambda d: (d / "empty.csv").write_text("") and d / "empty.csv" or d / "empty.csv", "is empty"),
    (lambda d: (d / "book.xlsx").write_bytes(b"PK") and d / "book.xlsx", "not a CSV"),
])
def test_bad_files_raise_a_course_error_naming_the_fix(tmp_path, make, match):
    with pytest.raises(CourseError, match=match) as error:
        own_data.read_labeled_file(make(tmp_path), "review", "sentiment", verbose=False)
    assert "Fix:" in str(error.value)


def test_swapped_columns_are_caught(tmp_path):
    rows = [["review", "sentiment"]] + [[l, f"text number {i}"] for i, l in enumerate(["positive", "negative"] * 30)]
    with pytest.raises(CourseError, match="swapped"):
        own_data.read_labeled_file(write(tmp_path / "r.csv", rows), "review", "sentiment", verbose=False)


def test_drop_empty_leaves_out_empty_rows_and_says_so(tmp_path, capsys):
    path = write(tmp_path / "r.csv", REVIEWS + [["", "positive"], ["Great.", ""]])
    data = own_data.read_labeled_file(path, "review", "sentiment", drop_empty=True)
    assert len(data) == 4 and "left out 2 row(s)" in capsys.readouterr().out


def test_unknown_label_with_label_names(tmp_path):
    with pytest.raises(CourseError, match="not in label_names"):
        own_data.read_labeled_file(write(tmp_path / "r.csv", REVIEWS), "review", "sentiment", label_names=["positive"])


def test_label_config(tmp_path):
    data = own_data.read_labeled_file(write(tmp_path / "r.csv", REVIEWS), "review", "sentiment", verbose=False)
    assert own_data.label_config(data) == {"num_labels": 2, "id2label": {0: "negative", 1: "positive"},
                                           "label2id": {"negative": 0, "positive": 1}}


def test_sample_file_is_reproducible_and_stratified_splits_cover_it(tmp_path):
    shipped = own_data.sample_file()
    assert shipped == own_data.SAMPLE_IN_REPO
    rebuilt = own_data.write_sample_file(tmp_path / "again.csv")
    assert rebuilt.read_bytes() == shipped.read_bytes(), "notebooks/data/my_reviews.csv is not what the script writes"
    data = own_data.read_labeled_file(shipped, "review", "sentiment", verbose=False)
    splits = own_data.three_way_split(data, test=0.2, validation=0.1)
    assert [len(splits[s]) for s in ("train", "validation", "test")] == [280, 40, 80]
    assert set(splits["test"]["text"]).isdisjoint(splits["train"]["text"])
    share = sum(data["label"]) / len(data)
    assert all(abs(sum(s["label"]) / len(s) - share) < 0.05 for s in splits.values())


def test_too_few_rows_to_split():
    from datasets import ClassLabel, Dataset, Features, Value

    tiny = Dataset.from_dict({"text": ["a", "b"], "label": [0, 1]},
                             features=Features({"text": Value("string"), "label": ClassLabel(names=["n", "p"])}))
    with pytest.raises(CourseError, match="too few"):
        own_data.three_way_split(tiny)


def test_folder_sizes_and_model_card(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"x" * 2_000_000)
    (tmp_path / "config.json").write_text("{}")
    table = own_data.folder_files(tmp_path)
    assert table["file"].tolist() == ["model.safetensors", "config.json"]
    assert own_data.folder_megabytes(tmp_path) == pytest.approx(2.000002)
    with pytest.raises(CourseError, match="holds no files"):
        own_data.folder_files(tmp_path / "empty_dir_that_is_missing")
    card = own_data.model_card("me/m", "pocket/minilm-l6", "r.csv", {"train": 280, "validation": 40, "test": 80},
                               0.75, 0.5125, ["negative", "positive"])
    assert "base_model: sentence-transformers/all-MiniLM-L6-v2" in card and "| 80 | 75.0% | 51.2% |" in card
