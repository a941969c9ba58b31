"""Checks at course_lib's entry points: wrong types, empty texts, bad sizes, unusable datasets, over-length input.

Each check raises a CourseError subclass whose message shows the offending value and names the fix, or
applies a sensible default and says so in one line (`note`). Nothing returns a meaningless number silently.
"""
from collections.abc import Mapping
from numbers import Integral, Real

from .errors import DataError, InputError

TEXT_COLUMNS = (("text",), ("premise", "hypothesis"))  # what train()/evaluate() tokenize
READY_COLUMNS = ("input_ids", "features")  # already tokenized, or cached encoder features
UNLIMITED = 1_000_000  # tokenizers without a known limit report model_max_length = 1e30


def note(message: str) -> None:
    """Announce a default that course_lib applied for the learner, in one line."""
    print(f"Note: {message}")


def shown(value, limit: int = 60) -> str:
    """A short repr of `value` for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 5] + " ...>"


def check_text(text, name: str = "text", example: str = "'BERT reads text.'") -> str:
    """Raise an InputError unless `text` is a non-empty string; return it."""
    if not isinstance(text, str):
        raise InputError(f"{name} must be a string, but got {type(text).__name__} {shown(text)}.",
                         f"pass a string, e.g. {name}={example} (str(value) turns a number into text).")
    if not text.strip():
        raise InputError(f"{name} is empty ({text!r}): there is nothing for the model to read.",
                         f"pass a non-empty string, e.g. {name}={example}.")
    return text


def check_texts(texts, name: str = "texts", example: str = "['a great film', 'a dull film']") -> list[str]:
    """Raise an InputError unless `texts` is a non-empty list (or Dataset column) of non-empty strings; return a list."""
    if isinstance(texts, str):
        raise InputError(f"{name} must be a list of strings, but got one string {shown(texts)}.",
                         f"wrap it in a list: {name}=[text].")
    if isinstance(texts, Mapping) or not hasattr(texts, "__iter__"):
        raise InputError(f"{name} must be a list of strings, but got {type(texts).__name__} {shown(texts)}.",
                         f"pass a list, e.g. {name}={example} (for a dict: list(d.values()); for a Dataset: ds['text']).")
    texts = list(texts)
    if not texts:
        raise InputError(f"{name} is an empty list: there is nothing for the model to read.",
                         f"pass at least one string, e.g. {name}={example}.")
    for index, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{name}[{index}] is {shown(text)}, not a non-empty string.",
                             f"drop or fix it, e.g. {name} = [t for t in {name} if isinstance(t, str) and t.strip()].")
    return texts


def check_positive(value, name: str, example, integer: bool = True):
    """Raise an InputError unless `value` is a number > 0 (a whole number when `integer`); return it."""
    kinds = Integral if integer else Real  # numpy numbers count too
    if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0:
        wanted = "a whole number >= 1" if integer else "a number > 0"
        raise InputError(f"{name} must be {wanted}, but got {shown(value)}.", f"pass e.g. {name}={example}.")
    return value


def model_input_limit(tokenizer, model=None) -> int:
    """The most tokens the model reads at once: the tokenizer's limit, capped by the position embeddings."""
    limits = [tokenizer.model_max_length] if tokenizer.model_max_length < UNLIMITED else []
    config = getattr(model, "config", None)
    positions = getattr(config, "max_position_embeddings", None)
    if positions:  # RoBERTa-style models start positions after padding_idx, losing two slots
        limits.append(positions - 2 if "roberta" in getattr(config, "model_type", "") else positions)
    return min(limits) if limits else 512


def fit_max_length(max_length: int, tokenizer, model, name: str = "max_length") -> int:
    """`max_length` itself, or the model's limit (with a note) when it asks for more than the model reads."""
    check_positive(max_length, name, 384)
    limit = model_input_limit(tokenizer, model)
    if max_length > limit:
        note(f"{name}={max_length} is more than this model reads; using {name}={limit}.")
        return limit
    return max_length


def text_columns(dataset) -> tuple[str, ...]:
    """The columns train()/evaluate() tokenize (empty when the dataset is already tokenized or cached)."""
    if any(column in dataset.column_names for column in READY_COLUMNS):
        return ()
    for columns in TEXT_COLUMNS:
        if all(column in dataset.column_names for column in columns):
            return columns
    other = [c for c in dataset.column_names if c != "label"]
    rename = f"dataset.rename_column({other[0]!r}, 'text')" if other else "Dataset.from_dict({'text': texts, 'label': labels})"
    raise DataError(f"The dataset has columns {dataset.column_names}, but no 'text' column (nor 'premise' + 'hypothesis').",
                    f"name the text column 'text': {rename}.")


def is_cached(dataset) -> bool:
    """True for cached hidden states (course_lib.core.cached.CachedStates): labeled, already numbers."""
    return hasattr(dataset, "collate") and hasattr(dataset, "labels")


def labels_in(dataset) -> list:
    """The label of every row of a Dataset or of cached states."""
    return list(dataset.labels) if is_cached(dataset) else list(dataset["label"])


def check_dataset_type(dataset, what: str) -> None:
    """Raise a DataError unless `dataset` is a datasets.Dataset (not a list, dict, DataFrame or DatasetDict)."""
    from datasets import Dataset, DatasetDict

    if isinstance(dataset, Dataset) or is_cached(dataset):
        return
    if isinstance(dataset, DatasetDict):
        raise DataError(f"{what} is a DatasetDict with splits {list(dataset)}, not one split.",
                        f"pick a split, e.g. {what}=splits['train'].")
    fix = ("turn it into a Dataset: Dataset.from_list(rows) for a list of {'text': ..., 'label': ...} dicts, "
           "or Dataset.from_dict({'text': texts, 'label': labels}) (from datasets import Dataset).")
    if dataset is None:
        raise DataError(f"{what} is None.", f"pass a labeled split, e.g. {what}=splits['validation'].")
    raise DataError(f"{what} is a {type(dataset).__name__}, not a datasets.Dataset: {shown(dataset)}.", fix)


def check_label_column(dataset, what: str, num_labels: int | None) -> None:
    """Raise a DataError when there is no 'label' column or its values are not integers."""
    from datasets import ClassLabel

    valid = f"0..{num_labels - 1}" if num_labels else "0..num_labels-1"
    if "label" not in dataset.column_names:
        raise DataError(f"{what} has columns {dataset.column_names}, but no 'label' column.",
                        f"name the label column 'label', e.g. {what} = {what}.rename_column('sentiment', 'label').")
    feature = dataset.features["label"]
    dtype = "int64" if isinstance(feature, ClassLabel) else getattr(feature, "dtype", "unknown")
    if not str(dtype).startswith(("int", "uint")):
        example = dataset[0]["label"]
        fix = ("map them with `dataset.class_encode_column('label')`" if dtype in ("string", "large_string") else
               "cast them with `dataset.cast_column('label', datasets.Value('int64'))`")
        raise DataError(f"{what} has {dtype} labels (e.g. {example!r}), but labels must be integers {valid}.", fix + ".")


def check_labels(dataset, num_labels: int | None, what: str = "train_data") -> None:
    """Raise a CourseError when a dataset is empty, has a label outside 0..num_labels-1, or the model's classes are unknown."""
    if dataset is None or len(dataset) == 0:
        raise DataError(f"{what} is empty: there is nothing to train or evaluate on.",
                        "check the split you passed and any filter or select() applied to it.")
    if num_labels is None:
        raise InputError("The model does not say how many classes it predicts: it has no `num_labels` attribute "
                         "and no `config.num_labels`.",
                         "give your module one in __init__, e.g. self.num_labels = 2.")
    bad = [label for label in labels_in(dataset) if not 0 <= label < num_labels]
    if bad:
        raise DataError(
            f"{what} has label {int(bad[0])} ({len(bad)} bad rows), but the model has num_labels={num_labels} "
            f"(valid labels 0..{num_labels - 1}). A label of -1 means an unlabeled split.",
            "use a labeled split (carve validation out of train), or load the model with the right num_labels.")


def check_text_values(dataset, what: str, columns: tuple[str, ...]) -> None:
    """Raise a DataError when a text column holds None, a non-string or an empty string."""
    for column in columns:
        bad = [i for i, text in enumerate(dataset[column]) if not isinstance(text, str) or not text.strip()]
        if bad:
            raise DataError(f"{what} has {len(bad)} missing or empty {column!r} value(s); the first, row {bad[0]}, "
                            f"is {shown(dataset[bad[0]][column])}.",
                            f"drop them: {what} = {what}.filter(lambda row: isinstance(row[{column!r}], str) "
                            f"and row[{column!r}].strip() != '').")


def check_dataset(dataset, what: str, tokenizer, num_labels: int | None) -> None:
    """Raise a DataError/InputError for a dataset train()/evaluate() cannot use (emptiness is checked later)."""
    check_dataset_type(dataset, what)
    if len(dataset) == 0 or is_cached(dataset):
        return  # check_labels says "empty" with its own fix; cached states hold numbers and labels already
    check_label_column(dataset, what, num_labels)
    columns = text_columns(dataset)
    check_text_values(dataset, what, columns)
    if tokenizer is None and "features" not in dataset.column_names:
        kind = "text" if columns else "token ids"
        raise InputError(f"{what} holds {kind}, but tokenizer=None: the batches cannot be tokenized or padded.",
                         "pass the model's tokenizer as the 4th argument, e.g. "
                         "train(model, train_data, eval_data, session.load_tokenizer('encoder'), device=session.device).")


def check_train_call(model, train_data, eval_data, tokenizer, device, *, epochs=1, lr=5e-5, batch_size=32,
                     grad_accum=1, max_length=128):
    """Validate what train() is given; return the torch.device to use ("gpu" -> "cuda", with a note)."""
    check_positive(lr, "lr", 5e-5, integer=False)
    check_positive(epochs, "epochs", 3)
    check_positive(grad_accum, "grad_accum", 1)
    return check_evaluate_call(model, train_data, device, tokenizer, batch_size, max_length, "train_data", eval_data)


def num_labels_of(model) -> int | None:
    """How many classes the model predicts: its `num_labels`, else `config.num_labels`, else None (it does not say)."""
    return getattr(model, "num_labels", None) or getattr(getattr(model, "config", None), "num_labels", None)


def check_evaluate_call(model, dataset, device, tokenizer=None, batch_size=64, max_length=128, what="eval_data",
                        eval_data=None):
    """Validate what evaluate() (or train()) is given; return the torch.device to use."""
    from .device import pick_device

    check_positive(batch_size, "batch_size", 16)
    check_positive(max_length, "max_length", 128)
    num_labels = num_labels_of(model)
    check_dataset(dataset, what, tokenizer, num_labels)
    if eval_data is not None:
        check_dataset(eval_data, "eval_data", tokenizer, num_labels)
    return pick_device(device)
