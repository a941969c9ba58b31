"""What the full profile's real checkpoints are published to do, copied from their model cards.

Offline, the pocket profile cannot run bert-base-uncased, deepset/roberta-base-squad2, facebook/bart-large-mnli,
SamLowe/roberta-base-go_emotions or answerdotai/ModernBERT-base. Lessons 03-05 and 08 show these PUBLISHED outputs
beside what the running model does, always with the source URL. Every number here is copied from the named source;
none is measured by this project. Where a card publishes no output, `Published.not_published` says so instead of a number.
"""
from dataclasses import dataclass, field

import pandas as pd

from ..core.errors import CourseError


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

ROBERTA_SQUAD2_DEV_BREAKDOWN = Published(
    checkpoint="deepset/roberta-base-squad2",
    what=("SQuAD 2.0 dev set, official eval script, split into questions that have an answer in the context and "
          "questions that do not (the model card's 'Performance' section)"),
    source=("https://huggingface.co/deepset/roberta-base-squad2/commit/6b033ceeadb228883a5de0ca5aa01d1c8c5c862b "
            "(README.md, 'Performance': the official eval script's output)"),
    columns=("questions", "count", "exact match", "F1"),
    rows=(("all", 11873, 79.87029394424324, 82.91251169582613),
          ("with an answer (HasAns)", 5928, 77.93522267206478, 84.02838248389763),
          ("without an answer (NoAns)", 5945, 81.79983179142137, 81.79983179142137)),
    note=("On a question without an answer, exact match means the model answered nothing (the null score won). "
          "The card's model-index (79.93 / 82.95 on 11,869 questions) is a separate run of the same evaluation."),
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

MODERNBERT_BASE = Published(
    checkpoint="answerdotai/ModernBERT-base",
    what="architecture, from its config.json and model card (lesson 08)",
    source=("https://huggingface.co/answerdotai/ModernBERT-base (model card: '22 layers, 149 million parameters'; "
            "config.json: num_hidden_layers, hidden_size, num_attention_heads, max_position_embeddings, global_rope_theta, "
            "local_rope_theta, local_attention, global_attn_every_n_layers, hidden_activation, intermediate_size, "
            "attention_bias / mlp_bias / norm_bias, vocab_size); Warner et al. 2024, arXiv:2412.13663, section 2.1"),
    columns=("property", "value"),
    rows=(("layers", "22"), ("hidden size", "768"), ("attention heads", "12 (head size 64)"),
          ("context length", "8,192 tokens (max_position_embeddings)"),
          ("RoPE theta", "160,000 in global layers, 10,000 in local layers"),
          ("local attention window", "128 tokens (local_attention)"),
          ("global attention", "every 3rd layer (global_attn_every_n_layers = 3)"),
          ("MLP", "GeGLU (hidden_activation gelu), intermediate_size 1,152"),
          ("bias terms", "none in linear and norm layers (attention_bias, mlp_bias, norm_bias = false)"),
          ("vocabulary", "50,368 (vocab_size)"), ("parameters", "149 million")),
    note="The paper keeps one bias, in the masked-LM decoder (decoder_bias = true); the course never uses that head.",
)

LLMS_FROM_SCRATCH_IMDB = Published(
    checkpoint="rasbt/LLMs-from-scratch",
    what=("IMDb test accuracy after fine-tuning (ch06/03_bonus_imdb-classification: 35,000 training, "
          "10,000 test reviews, max_length 256, batch 8, 1 epoch, the script's default learning rate)"),
    source=("https://github.com/rasbt/LLMs-from-scratch/blob/6d175a22df04d29ed38fd5beb514008e07471261/"
            "ch06/03_bonus_imdb-classification/README.md (the table at the top; sizes from "
            "download_prepare_dataset.py and train_bert_hf.py)"),
    columns=("model", "test accuracy"),
    rows=(("340M BERT", 0.9089), ("355M RoBERTa", 0.9295), ("304M DeBERTa-v3", 0.9469),
          ("149M ModernBERT Base", 0.9379), ("395M ModernBERT Large", 0.9507)),
    note=("Names as the table prints them. Its '340M BERT' row is train_bert_hf.py --model bert, which loads "
          "bert-base-uncased (110M); RoBERTa (roberta-large) trained only its last block, the others every weight. "
          "Below the table, the RoBERTa and DeBERTa-v3 run logs show 94.69% and 92.95%, the other way round: the "
          "commit that added DeBERTa-v3 (c278745) put its log under the RoBERTa heading; the table, shown here, agrees "
          "with the RoBERTa log before that commit (92.95%). The rows were added in different commits while "
          "train_bert_hf.py's default learning rate changed: 5e-5 from the commit that added ModernBERT (4a96541), "
          "5e-6 again from the next one (371ab9e, 'Correct BERT experiments'), so the rows need not share one rate."),
)

HOLLM_CHAPTER11 = Published(
    checkpoint="bert-base-cased (and all-mpnet-base-v2 for SetFit) on rotten_tomatoes",
    what=("Hands-On Large Language Models (Alammar & Grootendorst, 2024), chapter 11: fine-tuning modes on rotten_tomatoes "
          "(Pang & Lee movie-review sentences: 8,530 training, 1,066 test), F1 on the test split"),
    source=("https://github.com/HandsOnLLM/Hands-On-Large-Language-Models/blob/main/chapter11/"
            "Chapter%2011%20-%20Fine-Tuning%20BERT.ipynb (the notebook's stored outputs)"),
    columns=("method", "F1"),
    rows=(("full fine-tuning, all 8,530 rows, 1 epoch, lr 2e-5", 0.8566073102155576),
          ("embeddings and blocks 0-9 frozen (blocks 10-11, pooler and head train), 1 epoch", 0.8141086749285034),
          ("head only (the classifier; everything else frozen), 1 epoch", 0.637704918032787),
          ("SetFit, all-mpnet-base-v2, 16 examples per class, 20 pair iterations, 3 epochs", 0.8363988383349468)),
    note=("F1, not accuracy (on a balanced test set the two are close but not equal). The notebook's heading says "
          "'Freeze blocks 1-5', but its code freezes every parameter before encoder block 10, as the row says. "
          "One run each (no seeds)."),
)

PUBLISHED = {p.checkpoint: p for p in (BERT_FILL_MASK, ROBERTA_SQUAD2, BART_MNLI_ZERO_SHOT, GO_EMOTIONS_METRICS,
                                       MODERNBERT_BASE)}


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
