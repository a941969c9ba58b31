"""Zero-shot classification two ways: with an NLI cross-encoder, and with sentence embeddings.

`zero_shot_by_hand` rebuilds the 🤗 "zero-shot-classification" pipeline: one
premise/hypothesis pair per candidate label, the entailment logit per pair, then a softmax
across labels (single-label) or entailment-vs-contradiction per label (multi-label).
`zero_shot_by_similarity` ranks labels by cosine similarity of mean-pooled embeddings.
"""
import torch

from ..core.errors import CourseError, DataError, InputError
from ..core.tensors import mean_pool  # mask-aware mean pooling, as in lesson 02 (sentence-transformers pooling)
from ..core.validation import check_positive, check_text, check_texts, fit_max_length, note

DEFAULT_TEMPLATE = "This example is {}."


def find_label_id(config, name: str) -> int:
    """The id of the label whose name starts with `name` (case-insensitive), read from `config.label2id`."""
    for label, index in config.label2id.items():
        if label.lower().startswith(name.lower()):
            return int(index)
    known = sorted(config.label2id)
    shown = ", ".join(known[:6]) + (f", ... ({len(known)} labels)" if len(known) > 6 else "")
    raise CourseError(
        f"This head does not match the task: its labels are [{shown}], with no {name!r} label. "
        "Zero-shot needs an NLI model, whose labels include entailment and contradiction.",
        "load the NLI role: session.load_model(\"nli\", AutoModelForSequenceClassification) "
        "(or any checkpoint fine-tuned on MNLI/SNLI).",
    )


def check_zero_shot_inputs(candidate_labels, template: str) -> list[str]:
    """Validate the labels and the template; return the labels as a list."""
    if isinstance(candidate_labels, str):
        candidate_labels = [label.strip() for label in candidate_labels.split(",") if label.strip()]
    if isinstance(candidate_labels, dict) or not isinstance(candidate_labels, (list, tuple)):
        raise InputError(f"candidate_labels must be a list of label names, but got {type(candidate_labels).__name__} "
                         f"{candidate_labels!r:.60}.", "pass candidate_labels=[\"travel\", \"cooking\", ...] (a list of strings).")
    if not candidate_labels:
        raise CourseError("candidate_labels is empty: zero-shot needs at least one label to score.",
                          "pass candidate_labels=[\"travel\", \"cooking\", ...] (a list of label names).")
    for label in candidate_labels:
        check_text(label, "each candidate label", "'travel'")
    repeated = sorted({label for label in candidate_labels if list(candidate_labels).count(label) > 1})
    if repeated:
        raise InputError(f"candidate_labels repeats {repeated}: a repeated label splits its score and the ranking means nothing.",
                         "pass each label once, e.g. candidate_labels = list(dict.fromkeys(candidate_labels)).")
    if not isinstance(template, str):
        raise InputError(f"The hypothesis template must be a string, but got {template!r}.", f"pass e.g. template={DEFAULT_TEMPLATE!r}.")
    if "{}" not in template:
        raise CourseError(f"The hypothesis template {template!r} has no '{{}}', so every label gives the same hypothesis.",
                          f"put {{}} where the label goes, e.g. {DEFAULT_TEMPLATE!r}.")
    return list(candidate_labels)


def make_hypotheses(candidate_labels, template: str = DEFAULT_TEMPLATE) -> list[str]:
    """One hypothesis per label: the template with the label filled in."""
    return [template.format(label) for label in check_zero_shot_inputs(candidate_labels, template)]


@torch.no_grad()
def pair_logits(model, tokenizer, premises: list[str], hypotheses: list[str], device, batch_size: int = 32,
                max_length: int | None = None, truncation="only_first") -> torch.Tensor:
    """NLI logits [n_pairs, n_nli_labels] for (premise, hypothesis) pairs, in batches; truncates the premise only."""
    chunks = []
    for start in range(0, len(premises), batch_size):
        batch = tokenizer(premises[start:start + batch_size], hypotheses[start:start + batch_size], padding=True,
                          truncation=truncation, max_length=max_length, return_tensors="pt").to(device)
        chunks.append(model(**batch).logits.float().cpu())
    return torch.cat(chunks)


def nli_logits(model, tokenizer, premise: str, hypotheses: list[str], device) -> torch.Tensor:
    """NLI logits [n_hypotheses, n_nli_labels] for one premise against every hypothesis, in one batch."""
    return pair_logits(model, tokenizer, [premise] * len(hypotheses), hypotheses, device, batch_size=len(hypotheses))


def scores_from_nli_logits(logits: torch.Tensor, config, multi_label: bool = False) -> torch.Tensor:
    """Label scores: softmax of entailment logits across labels, or entailment vs contradiction per label."""
    entailment = find_label_id(config, "entail")
    if multi_label or logits.shape[0] == 1:
        contradiction = find_label_id(config, "contradict")
        return logits[:, [contradiction, entailment]].softmax(dim=-1)[:, 1]
    return logits[:, entailment].softmax(dim=0)


def announce_single_label(candidate_labels: list[str], multi_label: bool) -> None:
    """Say so when one label is scored on its own: a softmax over one label would always give 1.0."""
    if len(candidate_labels) == 1 and not multi_label:
        note(f"one candidate label ({candidate_labels[0]!r}): scored on its own, entailment vs contradiction, "
             "as the pipeline does (= multi_label=True).")


def ranked(text: str, candidate_labels: list[str], scores: torch.Tensor) -> dict:
    """A pipeline-style result: labels and scores sorted from best to worst."""
    order = scores.argsort(descending=True).tolist()
    return {"sequence": text, "labels": [candidate_labels[i] for i in order], "scores": [scores[i].item() for i in order]}


def zero_shot_by_hand(model, tokenizer, text: str, candidate_labels, device,
                      template: str = DEFAULT_TEMPLATE, multi_label: bool = False) -> dict:
    """The zero-shot-classification pipeline, rebuilt: hypotheses, NLI logits, scores, ranking."""
    check_text(text, "text", "'one day I will see the world'")
    candidate_labels = check_zero_shot_inputs(candidate_labels, template)
    find_label_id(model.config, "entail")  # fail early, before running the model, if this is not an NLI head
    announce_single_label(candidate_labels, multi_label)
    logits = nli_logits(model, tokenizer, text, make_hypotheses(candidate_labels, template), device)
    return ranked(text, candidate_labels, scores_from_nli_logits(logits, model.config, multi_label))


@torch.no_grad()
def embed_sentences(encoder, tokenizer, texts: list[str], device, batch_size: int = 64, max_length: int = 128) -> torch.Tensor:
    """Unit-length mean-pooled sentence embeddings [n_texts, hidden], on the CPU."""
    texts = check_texts(texts)
    check_positive(batch_size, "batch_size", 64)
    max_length = fit_max_length(max_length, tokenizer, encoder)
    chunks = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt").to(device)
        pooled = mean_pool(encoder(**batch).last_hidden_state, batch["attention_mask"])
        chunks.append(torch.nn.functional.normalize(pooled, dim=-1).float().cpu())
    return torch.cat(chunks)


def zero_shot_by_similarity(encoder, tokenizer, text: str, candidate_labels, device,
                            template: str = DEFAULT_TEMPLATE) -> dict:
    """Rank labels by cosine similarity between the text and each filled-in template."""
    check_text(text, "text", "'one day I will see the world'")
    hypotheses = make_hypotheses(candidate_labels, template)
    vectors = embed_sentences(encoder, tokenizer, [text] + hypotheses, device)
    return ranked(text, check_zero_shot_inputs(candidate_labels, template), vectors[1:] @ vectors[0])


@torch.no_grad()
def nli_predictions(model, tokenizer, pairs, device, batch_size: int = 32) -> list[str]:
    """Predicted label NAMES (via model.config.id2label) for rows with premise and hypothesis."""
    missing = {"premise", "hypothesis"} - set(getattr(pairs, "column_names", ()))
    if missing:
        raise DataError(f"pairs must be a Dataset with 'premise' and 'hypothesis' columns; it lacks {sorted(missing)}.",
                        "pass e.g. session.load_snli('test', limit=300).")
    logits = pair_logits(model, tokenizer, list(pairs["premise"]), list(pairs["hypothesis"]), device, batch_size,
                         truncation=True)
    return [model.config.id2label[i].lower() for i in logits.argmax(-1).tolist()]


@torch.no_grad()
def zero_shot_scores(model, tokenizer, texts: list[str], candidate_labels, device, template: str = DEFAULT_TEMPLATE,
                     multi_label: bool = False, batch_size: int = 32, max_length: int | None = None) -> torch.Tensor:
    """Zero-shot scores [n_texts, n_labels] for many texts: every (text, hypothesis) pair, run in batches."""
    texts = check_texts(texts)
    check_positive(batch_size, "batch_size", 32)
    hypotheses = make_hypotheses(candidate_labels, template)
    find_label_id(model.config, "entail")
    announce_single_label(check_zero_shot_inputs(candidate_labels, template), multi_label)
    premises, paired = [t for t in texts for _ in hypotheses], hypotheses * len(texts)
    logits = pair_logits(model, tokenizer, premises, paired, device, batch_size, max_length).view(len(texts), len(hypotheses), -1)
    return torch.stack([scores_from_nli_logits(per_text, model.config, multi_label) for per_text in logits])


def similarity_scores(encoder, tokenizer, texts: list[str], candidate_labels, device,
                      template: str = DEFAULT_TEMPLATE, max_length: int = 128) -> torch.Tensor:
    """Cosine similarities [n_texts, n_labels] between each text and each filled-in template."""
    texts = check_texts(texts)
    label_vectors = embed_sentences(encoder, tokenizer, make_hypotheses(candidate_labels, template), device)
    return embed_sentences(encoder, tokenizer, texts, device, max_length=max_length) @ label_vectors.T
