"""What the full profile's real checkpoints are published to do, copied from their model cards.

Offline, the pocket profile cannot run bert-base-uncased, deepset/roberta-base-squad2, facebook/bart-large-mnli
or SamLowe/roberta-base-go_emotions. Lessons 03-05 show these PUBLISHED outputs beside what the running model
does, always with the source URL. Every number here is copied from the named source; none is measured by this
project. Where a card publishes no output, `Published.not_published` says so instead of a number.
"""
from dataclasses import dataclass, field

import pandas as pd

from .errors import CourseError


@dataclass(frozen=True)
class Published:
    """One published result of one checkpoint: what was run, the rows it gave, and where it is published."""

    checkpoint: str
    what: str
    source: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    note: str = ""
    not_published: tuple[str, ...] = field(default=())

    def table(self) -> pd.DataFrame:
        """The published rows as a DataFrame."""
        return pd.DataFrame(list(self.rows), columns=list(self.columns), dtype=object)

    def header(self) -> str:
        """One line that marks the numbers as published and names the source."""
        return f"PUBLISHED (copied from the source, not computed here): {self.checkpoint}, {self.what}\n  source: {self.source}"


BERT_FILL_MASK = Published(
    checkpoint="bert-base-uncased",
    what="fill-mask: unmasker(\"Hello I'm a [MASK] model.\")",
    source="https://huggingface.co/google-bert/bert-base-uncased (model card, 'How to use')",
    columns=("token_str", "score"),
    rows=(("fashion", 0.1073106899857521), ("role", 0.08774490654468536), ("new", 0.05338378623127937),
          ("super", 0.04667217284440994), ("fine", 0.027095865458250046)),
)

ROBERTA_SQUAD2 = Published(
    checkpoint="deepset/roberta-base-squad2",
    what="SQuAD 2.0 dev set (squad_v2 validation), evaluation results in the model card's model-index",
    source="https://huggingface.co/deepset/roberta-base-squad2 (model card, model-index)",
    columns=("metric", "value"),
    rows=(("exact match", 79.9309), ("F1", 82.9501), ("questions", 11869)),
    not_published=("The card's usage example (question 'Why is model conversion important?') prints no answer: "
                   "no published output exists for it, so none is shown.",),
)

BART_MNLI_ZERO_SHOT = Published(
    checkpoint="facebook/bart-large-mnli",
    what="zero-shot: classifier(\"one day I will see the world\", ['travel', 'cooking', 'dancing'])",
    source="https://huggingface.co/facebook/bart-large-mnli (model card, 'With the zero-shot classification pipeline')",
    columns=("label", "score"),
    rows=(("travel", 0.9938651323318481), ("dancing", 0.0032737774308770895), ("cooking", 0.002861034357920289)),
    not_published=("The card publishes no MNLI accuracy for this checkpoint.",),
)

GO_EMOTIONS_METRICS = Published(
    checkpoint="SamLowe/roberta-base-go_emotions",
    what="go_emotions test split, 28 sigmoid outputs binarised at 0.5",
    source=("https://huggingface.co/SamLowe/roberta-base-go_emotions/blob/997526b1acaa5fea2d3f1a01e4ec5f48c081c8f3/README.md"
            " (model card at that revision; later revisions rewrote the metrics section)"),
    columns=("metric", "value"),
    rows=(("micro F1", 0.585), ("ROC AUC", 0.751), ("accuracy", 0.474)),
    note="The card adds that some labels (e.g. gratitude) reach F1 around 0.9 while others (e.g. relief) do poorly.",
)

PUBLISHED = {p.checkpoint: p for p in (BERT_FILL_MASK, ROBERTA_SQUAD2, BART_MNLI_ZERO_SHOT, GO_EMOTIONS_METRICS)}


def published(checkpoint: str) -> Published:
    """The published result for a full-profile checkpoint; CourseError if nothing is recorded for it."""
    if checkpoint not in PUBLISHED:
        raise CourseError(f"No published output is recorded for {checkpoint!r}.",
                          f"use one of {sorted(PUBLISHED)}, e.g. published('bert-base-uncased').")
    return PUBLISHED[checkpoint]


def side_by_side(reference: Published, live_rows, live_name: str, digits: int = 3) -> pd.DataFrame:
    """The published rows next to the running model's rows (same columns), rank by rank."""
    live_rows = list(live_rows)
    if not live_rows or any(len(row) != len(reference.columns) for row in live_rows):
        raise CourseError(f"side_by_side needs rows of {len(reference.columns)} values ({', '.join(reference.columns)}).",
                          "pass a list of tuples such as [('fashion', 0.107), ...], best first.")
    n = max(len(reference.rows), len(live_rows))
    published_rows = list(reference.rows) + [("", None)] * (n - len(reference.rows))
    live_rows = live_rows + [("", None)] * (n - len(live_rows))
    first, second = reference.columns

    def fmt(value):
        return "" if value is None else round(float(value), digits)

    columns = pd.MultiIndex.from_product([[live_name, f"PUBLISHED {reference.checkpoint}"], [first, second]])
    values = [[live[0], fmt(live[1]), pub[0], fmt(pub[1])] for live, pub in zip(live_rows, published_rows)]
    return pd.DataFrame(values, columns=columns, index=pd.RangeIndex(1, n + 1, name="rank"))


def show(reference: Published) -> pd.DataFrame:
    """Print the 'published' header (with the source) and any notes; return the published table."""
    print(reference.header())
    for line in (reference.note, *reference.not_published):
        if line:
            print("  note:", line)
    return reference.table()
