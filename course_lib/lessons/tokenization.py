"""Tokenization views and checks for lesson 01: token tables, a live explorer, padding counts, safe encoding."""
import html

import pandas as pd

from ..core import validation
from ..core.errors import CourseError, InputError


def check_text(text, name: str = "text") -> None:
    """Raise an InputError unless `text` is a non-empty string or a non-empty list of them (course_lib.core.validation)."""
    example = "'BERT reads text.'"
    if isinstance(text, (list, tuple)):
        validation.check_texts(text, name, "['BERT reads text.']")
    else:  # one text: a number or None gets "must be a string", with str(value) as the fix
        validation.check_text(text, name, example)


def token_lengths(tokenizer, text, text_pair=None) -> list[int]:
    """Number of tokens (special tokens included, no truncation) for each text (or pair)."""
    encoding = tokenizer(text, text_pair, truncation=False)
    ids = encoding["input_ids"]
    return [len(ids)] if isinstance(text, str) else [len(row) for row in ids]


def encode_checked(tokenizer, text, text_pair=None, truncation=False, max_length=None, **kwargs):
    """`tokenizer(text, text_pair, ...)` that raises a CourseError for empty text or text too long for the model."""
    check_text(text)
    if text_pair is not None:
        check_text(text_pair, "text_pair")
    limit = tokenizer.model_max_length
    if not truncation:
        longest = max(token_lengths(tokenizer, text, text_pair))
        if longest > limit:
            raise CourseError(
                f"The input is {longest} tokens long, but the model accepts at most {limit} (tokenizer.model_max_length).",
                f"cut it: call the tokenizer with truncation=True, max_length={limit} (or a smaller max_length).",
            )
    return tokenizer(text, text_pair, truncation=truncation, max_length=max_length, **kwargs)


def token_table(tokenizer, text: str, text_pair: str | None = None) -> pd.DataFrame:
    """One row per token: position, token, id, attention_mask, token_type_id."""
    encoding = encode_checked(tokenizer, text, text_pair, return_token_type_ids=True)
    ids = encoding["input_ids"]
    return pd.DataFrame({
        "position": range(len(ids)),
        "token": tokenizer.convert_ids_to_tokens(ids),
        "id": ids,
        "attention_mask": encoding["attention_mask"],
        "token_type_id": encoding["token_type_ids"],
    })


def _table_html(tokenizer, text: str, text_pair: str | None) -> str:
    """The token table (or the CourseError message) as HTML for the explorer."""
    try:
        return token_table(tokenizer, text, text_pair or None).to_html(index=False)
    except CourseError as error:
        return f"<pre>{html.escape(str(error))}</pre>"


def tokenizer_explorer(tokenizer, text: str = "Pikachu visited Kathmandu.", text_pair: str = ""):
    """A live widget: type a text (and an optional second segment) and see its tokens and ids.

    Returns a VBox with `.text`, `.text_pair` (Text inputs) and `.table` (HTML output) attributes;
    setting `.text.value` updates `.table.value`, so it can be driven from code and tests.
    """
    import ipywidgets as widgets

    from ..core.plots import panel

    text_box = widgets.Text(value=text, description="text", continuous_update=True, layout=widgets.Layout(width="600px"))
    pair_box = widgets.Text(value=text_pair, description="text pair", placeholder="(optional second segment)",
                            continuous_update=True, layout=widgets.Layout(width="600px"))
    table = widgets.HTML(_table_html(tokenizer, text, text_pair))

    def update(change=None):
        table.value = _table_html(tokenizer, text_box.value, pair_box.value)

    text_box.observe(update, names="value")
    pair_box.observe(update, names="value")
    explorer = panel([text_box, pair_box, table], "[tokenizer explorer: type in the boxes in JupyterLab or Colab]")
    explorer.text, explorer.text_pair, explorer.table = text_box, pair_box, table
    return explorer


def count_padding(batches) -> dict:
    """Real and [PAD] token counts of one batch encoding (or a list of them), read from the attention masks."""
    batches = batches if isinstance(batches, (list, tuple)) else [batches]
    for batch in batches:
        if not hasattr(batch, "keys") or "attention_mask" not in batch.keys():
            raise InputError(f"count_padding needs tokenizer outputs with an attention_mask, but got {type(batch).__name__} "
                             f"{batch!r:.60}.", "pass what the tokenizer returns, e.g. count_padding(tokenizer(texts, padding=True)).")
    real = total = 0
    for batch in batches:
        for row in batch["attention_mask"]:
            row = list(row)
            real, total = real + int(sum(row)), total + len(row)
    if total == 0:
        raise InputError("The batches hold no tokens at all, so there is no padding share to report.",
                         "pass a non-empty batch, e.g. count_padding(tokenizer(['BERT reads text.'], padding=True)).")
    return {"real": real, "pad": total - real, "total": total, "pad_percent": round(100 * (total - real) / total, 1)}


def special_tokens_table(tokenizer) -> pd.DataFrame:
    """The special tokens of a tokenizer, read from its attributes (never hard-coded)."""
    rows = []
    for name in ("cls", "sep", "pad", "unk", "mask"):
        token = getattr(tokenizer, f"{name}_token", None)
        if token is not None:
            rows.append({"role": name, "token": str(token), "id": getattr(tokenizer, f"{name}_token_id")})
    return pd.DataFrame(rows)


def word_pieces(tokenizer, words: list[str]) -> pd.DataFrame:
    """How each word splits into WordPiece pieces."""
    words = validation.check_texts(words, "words", "['playing', 'Kathmandu']")
    rows = [{"word": w, "pieces": " ".join(tokenizer.tokenize(w)), "n_pieces": len(tokenizer.tokenize(w))} for w in words]
    return pd.DataFrame(rows)
