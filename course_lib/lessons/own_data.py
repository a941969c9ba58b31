"""Bring your own data: read a labeled CSV/TSV file into a 🤗 Dataset, train on it, save and measure the model.

`read_labeled_file` returns a `Dataset` with the two columns `course_lib.train` reads, `text` and
`label` (a `ClassLabel`, so every label id has a readable name). Everything that usually goes wrong with a
file someone made by hand stops with a `CourseError` that names the problem and the fix: a missing file, the
wrong delimiter, a missing column, empty cells, numeric labels that are not 0..k-1, a single class. String
labels ("positive", "negative") are mapped to ids with `Dataset.class_encode_column`, and the mapping is printed.
"""
import csv
import random
from pathlib import Path

import pandas as pd
from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from ..core.errors import CourseError

DELIMITERS = {".csv": ",", ".tsv": "\t", ".txt": "\t"}
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
MAX_SHOWN = 5  # row numbers listed in an error message
SAMPLE_NAME = "my_reviews.csv"
SAMPLE_IN_REPO = Path(__file__).resolve().parents[2] / "notebooks" / "data" / SAMPLE_NAME
SAMPLE_ROWS, SAMPLE_SEED, SAMPLE_MAX_WORDS = 400, 7, 40
# What a pocket checkpoint is on the Hugging Face Hub, for a model card's `base_model`.
HUB_IDS = {"pocket/minilm-l6": "sentence-transformers/all-MiniLM-L6-v2"}


class OwnDataError(CourseError):
    """A learner's data file that cannot be used as it is."""


def _name(delimiter: str) -> str:
    return DELIMITER_NAMES.get(delimiter, repr(delimiter))


def check_file(path) -> Path:
    """The path as a Path; an OwnDataError if there is no such file or it is not a text table."""
    path = Path(path)
    if not path.is_file():
        nearby = sorted(p.name for p in path.parent.glob("*.[ct]sv")) if path.parent.is_dir() else []
        raise OwnDataError(
            f"There is no file {str(path)!r}.",
            "check the spelling and the folder (a relative path starts from the folder the notebook runs in, Path.cwd())"
            + (f"; CSV/TSV files in {str(path.parent)!r}: {', '.join(nearby)}." if nearby else "."))
    if path.suffix.lower() in {".xlsx", ".xls", ".ods", ".json", ".parquet"}:
        raise OwnDataError(f"{path.name} is not a CSV or TSV file.",
                           "save it as CSV (File > Save as > CSV UTF-8) or TSV, then read that file.")
    return path


def guess_delimiter(header: str, default: str = ",") -> str:
    """The delimiter that splits the header line into the most columns (`default` when none does)."""
    counts = {d: len(next(csv.reader([header], delimiter=d))) for d in DELIMITER_NAMES}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts.get(default, 1) else default


def check_delimiter(path: Path, delimiter: str) -> None:
    """Raise when the header line does not split on `delimiter` but does on another one."""
    with path.open(encoding="utf-8-sig") as file:
        header = file.readline().rstrip("\r\n")
    found = guess_delimiter(header, delimiter)
    if found != delimiter and len(next(csv.reader([header], delimiter=delimiter), [""])) == 1:
        raise OwnDataError(
            f"{path.name} was read with the {_name(delimiter)} delimiter, but its header line {header[:60]!r} "
            f"is separated by {_name(found)}s.",
            f"pass delimiter={found!r}.")


def check_columns(path: Path, columns: list[str], text_column: str, label_column: str) -> None:
    """Raise when the text or label column is not in the file, listing the columns it has."""
    missing = [c for c in (text_column, label_column) if c not in columns]
    if missing:
        raise OwnDataError(
            f"{path.name} has no column {missing[0]!r}; its columns are {columns}.",
            "name the columns you have, e.g. "
            f"read_labeled_file(path, text_column={columns[0]!r}, label_column={columns[-1]!r}).")


def check_no_empty_cells(table: pd.DataFrame, path: Path, text_column: str, label_column: str) -> None:
    """Raise when a row has an empty text or label, naming its line numbers in the file."""
    empty = table[(table[text_column].str.strip() == "") | (table[label_column].str.strip() == "")]
    if len(empty):
        lines = [int(i) + 2 for i in empty.index[:MAX_SHOWN]]  # +1 for the header, +1 for counting from 1
        raise OwnDataError(
            f"{path.name} has {len(empty)} row(s) with an empty {text_column!r} or {label_column!r}, "
            f"on line(s) {', '.join(map(str, lines))}{' ...' if len(empty) > MAX_SHOWN else ''}.",
            "fill them in or delete them, or pass drop_empty=True to leave them out (the count is printed).")


def is_integer(value: str) -> bool:
    """True for '0', '12', '-1' (what a spreadsheet writes for a whole number)."""
    return value.strip().lstrip("-").isdigit()


def label_ids(values: list[str], label_names: list[str] | None, label_column: str) -> tuple[list[str], str]:
    """The names for ids 0..k-1, and a one-line note on how the labels were read."""
    distinct = sorted(set(values))
    if label_names is not None:
        unknown = [v for v in distinct if v not in label_names]
        if unknown:
            raise OwnDataError(f"{label_column!r} holds {unknown[:MAX_SHOWN]}, which are not in label_names={label_names}.",
                               "add them to label_names, or fix those rows.")
        return list(label_names), f"labels mapped in the order you gave: {_mapping(label_names)}"
    if len(distinct) < 2:
        raise OwnDataError(f"{label_column!r} holds only one label ({distinct!r}): a classifier needs at least two classes.",
                           "check the label column (is it the right one?) and add examples of the other class(es).")
    if len(distinct) > max(20, len(values) // 2):
        raise OwnDataError(f"{label_column!r} holds {len(distinct)} different values in {len(values)} rows: that looks like text, not labels.",
                           "check that text_column and label_column are not swapped.")
    if all(is_integer(v) for v in distinct):
        numbers = sorted(int(v) for v in distinct)
        if numbers != list(range(len(numbers))):
            raise OwnDataError(
                f"{label_column!r} holds the numbers {numbers[:MAX_SHOWN]}, but class ids must be 0..{len(numbers) - 1}.",
                f"pass label_names={[str(n) for n in numbers]} to map them to 0..{len(numbers) - 1} in that order "
                "(or write the labels as words in the file).")
        names = [str(n) for n in numbers]
        return names, f"labels are already 0..{len(names) - 1}; pass label_names=[...] to give them readable names"
    return distinct, (f"{label_column!r} holds words: mapped to ClassLabel ids in alphabetical order "
                      f"(as dataset.class_encode_column does): {_mapping(distinct)}")


def _mapping(names: list[str]) -> str:
    return ", ".join(f"{i} = {name!r}" for i, name in enumerate(names))


def read_labeled_file(path, text_column: str = "text", label_column: str = "label", delimiter: str | None = None,
                      label_names: list[str] | None = None, drop_empty: bool = False, verbose: bool = True) -> Dataset:
    """Read a CSV/TSV file into a Dataset with `text` and a ClassLabel `label` column, or say what is wrong with it."""
    path = check_file(path)
    delimiter = delimiter or DELIMITERS.get(path.suffix.lower(), ",")
    check_delimiter(path, delimiter)
    try:
        table = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise OwnDataError(f"{path.name} is empty.", "put a header line (e.g. text,label) and one row per example in it.") from None
    except pd.errors.ParserError as error:
        raise OwnDataError(f"{path.name} could not be read with the {_name(delimiter)} delimiter: {str(error).strip()}",
                           "quote texts that contain the delimiter (\"like, this\"), or pass the right delimiter=...") from None
    columns = [str(c) for c in table.columns]
    check_columns(path, columns, text_column, label_column)
    table = table[[text_column, label_column]]
    if drop_empty:
        keep = (table[text_column].str.strip() != "") & (table[label_column].str.strip() != "")
        if verbose and (~keep).sum():
            print(f"left out {(~keep).sum()} row(s) with an empty {text_column!r} or {label_column!r}")
        table = table[keep]
    check_no_empty_cells(table, path, text_column, label_column)
    if table.empty:
        raise OwnDataError(f"{path.name} has a header but no rows.", "add one row per example under the header.")
    values = [v.strip() for v in table[label_column]]
    names, note = label_ids(values, label_names, label_column)
    if verbose:
        print(f"read {len(table)} rows from {path.name}: {note}")
    features = Features({"text": Value("string"), "label": ClassLabel(names=names)})
    return Dataset.from_dict({"text": [t.strip() for t in table[text_column]], "label": [names.index(v) for v in values]},
                             features=features)


def label_config(dataset: Dataset) -> dict:
    """`num_labels`, `id2label` and `label2id` from a dataset's ClassLabel, to pass to from_pretrained."""
    names = dataset.features["label"].names
    return {"num_labels": len(names), "id2label": dict(enumerate(names)), "label2id": {n: i for i, n in enumerate(names)}}


def folder_files(folder) -> pd.DataFrame:
    """The files in a saved model folder and their sizes in MB (1 MB = 10^6 bytes), largest first."""
    files = [p for p in Path(folder).rglob("*") if p.is_file()]
    if not files:
        raise CourseError(f"{folder} holds no files.", "save the model first: model.save_pretrained(folder).")
    table = pd.DataFrame({"file": [str(p.relative_to(folder)) for p in files], "MB": [p.stat().st_size / 1e6 for p in files]})
    return table.sort_values("MB", ascending=False, ignore_index=True)


def folder_megabytes(folder) -> float:
    """Total size of a folder's files in MB (10^6 bytes)."""
    return float(folder_files(folder)["MB"].sum())


def three_way_split(dataset: Dataset, test: float = 0.2, validation: float = 0.1, seed: int = 0) -> DatasetDict:
    """train/validation/test with the same label mix in each (stratified); fractions are of the whole file."""
    if len(dataset) < 20:
        raise OwnDataError(f"{len(dataset)} rows are too few to hold out a validation and a test split.",
                           "label at least a few dozen examples per class (a few hundred is better).")
    held_out = dataset.train_test_split(test_size=test, seed=seed, stratify_by_column="label")
    carved = held_out["train"].train_test_split(test_size=validation / (1 - test), seed=seed, stratify_by_column="label")
    return DatasetDict({"train": carved["train"], "validation": carved["test"], "test": held_out["test"]})


def sample_rows(rows: int = SAMPLE_ROWS, seed: int = SAMPLE_SEED) -> list[dict]:
    """Movie-review sentences (VADER snippets, Hutto & Gilbert 2014) labeled "positive"/"negative" by their mean rating."""
    from ..core.pocket_data import read_movie_snippets

    snippets = [r for r in read_movie_snippets() if r["score"] != 0 and len(r["text"].split()) <= SAMPLE_MAX_WORDS]
    chosen = random.Random(seed).sample(snippets, rows)
    return [{"review": r["text"], "sentiment": "positive" if r["score"] > 0 else "negative"} for r in chosen]


def write_sample_file(path, rows: int = SAMPLE_ROWS, seed: int = SAMPLE_SEED) -> Path:
    """Write the sample CSV (columns `review`, `sentiment`) that lesson 09 trains on; return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=["review", "sentiment"])
        writer.writeheader()
        writer.writerows(sample_rows(rows, seed))
    return path


def sample_file() -> Path:
    """The sample CSV shipped in notebooks/data/, or (after a pip install, e.g. on Colab) a copy written to ./data/."""
    if SAMPLE_IN_REPO.is_file():
        return SAMPLE_IN_REPO
    local = Path("data") / SAMPLE_NAME
    return local if local.is_file() else write_sample_file(local)


def model_card(repo_id: str, base_model: str, data_name: str, rows: dict, accuracy: float, baseline: float,
               label_names: list[str]) -> str:
    """A short model card (README.md) stating what the model is, what it was trained on and how well it did."""
    base_model = HUB_IDS.get(base_model, base_model)
    return f"""---
base_model: {base_model}
pipeline_tag: text-classification
---
# {repo_id}

{base_model} fine-tuned to classify text as {", ".join(label_names)}, on {rows["train"]} labeled rows of `{data_name}`
({rows["validation"]} more chose the best epoch).

| held-out test rows | accuracy | always the majority label |
|---|---|---|
| {rows["test"]} | {accuracy:.1%} | {baseline:.1%} |

Trained with BERT Workbench, lesson 09. A few hundred rows make a small, noisy test: expect the accuracy
on your own texts to differ.

```python
from transformers import pipeline
classifier = pipeline("text-classification", model="{repo_id}")
```
"""
