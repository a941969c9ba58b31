"""The QA span head: start/end logits -> the best answer span -> characters of the context.

transformers 5 removed the "question-answering" pipeline; lesson 04 builds it by hand (`best_span`: one matrix
of P(start)·P(end), masked to the legal band) and proves the span and score equal to `brute_force_span`, which
scores every legal (start, end) pair one by one in plain Python.
"""
import math
from numbers import Integral

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..core.errors import CourseError, InputError
from ..core.training import fit
from ..core.validation import check_positive, check_text, fit_max_length

QA_FIX = "load the model with AutoModelForQuestionAnswering, e.g. session.load_model('qa', AutoModelForQuestionAnswering)."


def check_question_and_context(question: str, context: str) -> None:
    """Raise an InputError when the question or the context is not a string, or is empty."""
    for name, text in (("question", question), ("context", context)):
        if isinstance(text, str) and not text.strip():
            raise InputError(f"The {name} is empty: a span head needs a question and a context to pick the answer from.",
                             f"pass a non-empty {name} string, e.g. answer_by_hand('Who wrote it?', 'Ann wrote it.', ...).")
        check_text(text, name, "'Who wrote it?'" if name == "question" else "'Ann wrote it.'")


def check_window_sizes(question: str, tokenizer, max_length: int, stride: int) -> None:
    """Raise an InputError unless each window leaves more context tokens than `stride` after the question."""
    check_positive(max_length, "max_length", 384)
    if isinstance(stride, bool) or not isinstance(stride, Integral) or stride < 0:
        raise InputError(f"stride must be a whole number >= 0, but got {stride!r}.", "pass e.g. stride=128.")
    question_tokens = len(tokenizer(question, add_special_tokens=False)["input_ids"])
    room = max_length - question_tokens - tokenizer.num_special_tokens_to_add(pair=True)
    if room <= stride:
        raise InputError(f"max_length={max_length} leaves {max(room, 0)} context tokens per window after the "
                         f"{question_tokens}-token question, but the overlap stride={stride} must be smaller than that.",
                         f"use a larger max_length, a shorter question, or a smaller stride, e.g. stride={max(room // 2, 0)}.")


def check_span_head(model) -> None:
    """Raise a CourseError unless `model` has a span head (it must return start_logits and end_logits)."""
    name = type(model).__name__
    if not name.endswith("ForQuestionAnswering") and not hasattr(model, "qa_outputs"):
        raise CourseError(f"{name} has no span head: it does not return start_logits and end_logits.", QA_FIX)


def encode_windows(question: str, context: str, tokenizer, max_length: int = 384, stride: int = 128):
    """Tokenize (question, context) into overlapping windows with character offsets."""
    check_question_and_context(question, context)
    check_window_sizes(question, tokenizer, max_length, stride)
    return tokenizer(question, context, truncation="only_second", max_length=max_length, stride=stride,
                     return_overflowing_tokens=True, return_offsets_mapping=True, padding="longest", return_tensors="pt")


def span_logits(model, encoding, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Start and end logits for every window: two tensors [windows, tokens]."""
    check_span_head(model)
    inputs = {k: v.to(device) for k, v in encoding.items() if k not in ("offset_mapping", "overflow_to_sample_mapping")}
    with torch.no_grad():
        outputs = model(**inputs)
    return outputs.start_logits.cpu(), outputs.end_logits.cpu()


def context_mask(encoding, window: int) -> torch.Tensor:
    """True for the context tokens of a window (sequence id 1): the only tokens an answer may use."""
    return torch.tensor([s == 1 for s in encoding.sequence_ids(window)])


def cls_index(encoding, window: int, tokenizer) -> int:
    """Position of the [CLS] token (<s> for RoBERTa): its start/end scores stand for "no answer"."""
    return int((encoding["input_ids"][window] == tokenizer.cls_token_id).nonzero()[0])


def span_probabilities(start_logits, end_logits, allowed) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax of start and end logits over the allowed tokens only (others get probability 0)."""
    start = start_logits.masked_fill(~allowed, float("-inf")).softmax(-1)
    end = end_logits.masked_fill(~allowed, float("-inf")).softmax(-1)
    return start, end


def best_span(start_probs, end_probs, in_context, max_answer_len: int = 15) -> tuple[int, int, float]:
    """The (start, end, score) maximising p_start * p_end, both in the context, start <= end < start + max_answer_len."""
    scores = start_probs[:, None] * end_probs[None, :]  # scores[i, j] = P(start=i) * P(end=j)
    scores = torch.triu(scores) - torch.triu(scores, diagonal=max_answer_len)  # keep i <= j <= i + max_len - 1
    scores = scores * (in_context[:, None] & in_context[None, :])
    flat = int(scores.argmax())
    start, end = divmod(flat, scores.shape[1])
    return start, end, scores[start, end].item()


def decode_window(start_logits, end_logits, encoding, window: int, tokenizer, context: str,
                  max_answer_len: int = 15) -> dict:
    """The best span of one window: its score, characters, answer text, tokens, and the window's [CLS] (null) score."""
    in_context, cls = context_mask(encoding, window), cls_index(encoding, window, tokenizer)
    allowed = in_context.clone()
    allowed[cls] = True  # softmax over the context and [CLS], as the SQuAD2-era pipeline did
    start_probs, end_probs = span_probabilities(start_logits, end_logits, allowed)
    start, end, score = best_span(start_probs, end_probs, in_context, max_answer_len)
    offsets = encoding["offset_mapping"][window]
    char_start, char_end = int(offsets[start][0]), int(offsets[end][1])
    return {"score": score, "start": char_start, "end": char_end, "answer": context[char_start:char_end],
            "window": window, "token_start": start, "token_end": end,
            "null_score": (start_probs[cls] * end_probs[cls]).item()}


def answer_by_hand(question: str, context: str, tokenizer, model, device, max_answer_len: int = 15,
                   max_length: int = 384, stride: int = 128, handle_impossible_answer: bool = False) -> dict:
    """Question answering by hand: windows -> span logits -> best span per window -> best overall -> characters."""
    check_question_and_context(question, context)
    check_span_head(model)
    check_positive(max_answer_len, "max_answer_len", 15)
    encoding = encode_windows(question, context, tokenizer, fit_max_length(max_length, tokenizer, model), stride)
    start_logits, end_logits = span_logits(model, encoding, device)
    spans = [decode_window(start_logits[w], end_logits[w], encoding, w, tokenizer, context, max_answer_len)
             for w in range(len(start_logits))]
    best = {**max(spans, key=lambda span: span["score"]), "null_score": min(span["null_score"] for span in spans)}
    if handle_impossible_answer and best["null_score"] > best["score"]:
        return {**best, "score": best["null_score"], "start": 0, "end": 0, "answer": ""}
    return best


def brute_force_span(start_logits, end_logits, encoding, window: int, tokenizer, max_answer_len: int = 15):
    """(start, end, score) of one window the slow, obvious way: every legal (i, j) scored one by one.

    Shares no code with `best_span`: the probabilities are the softmax over the context tokens and [CLS] written
    out with math.exp, and two plain loops visit every pair with both ends in the context, i <= j and
    j - i < max_answer_len. A tie keeps the first pair met (smallest i, then smallest j), as an argmax does.
    """
    sequence_ids = encoding.sequence_ids(window)
    context = [k for k, s in enumerate(sequence_ids) if s == 1]
    allowed = context + [cls_index(encoding, window, tokenizer)]

    def probabilities(logits) -> dict[int, float]:
        values = [float(v) for v in logits[window]]
        top = max(values[k] for k in allowed)
        total = sum(math.exp(values[k] - top) for k in allowed)
        return {k: math.exp(values[k] - top) / total for k in allowed}

    p_start, p_end = probabilities(start_logits), probabilities(end_logits)
    best = None
    for i in context:
        for j in context:
            if i <= j < i + max_answer_len and (best is None or p_start[i] * p_end[j] > best[2]):
                best = (i, j, p_start[i] * p_end[j])
    return best


def plot_start_end(tokens: list[str], start_logits, end_logits, span: tuple[int, int] | None = None, title: str = ""):
    """Start and end logits over the tokens, with the chosen span shaded."""
    fig, ax = plt.subplots(figsize=(max(6, 0.28 * len(tokens)), 3.2))
    x = np.arange(len(tokens))
    ax.bar(x - 0.2, np.asarray(start_logits, dtype=float), width=0.4, label="start logit")
    ax.bar(x + 0.2, np.asarray(end_logits, dtype=float), width=0.4, label="end logit")
    if span is not None:
        ax.axvspan(span[0] - 0.5, span[1] + 0.5, color="gold", alpha=0.3, label="chosen span")
    ax.set_xticks(x, tokens, rotation=90, fontsize=8)
    ax.set(title=title, ylabel="logit")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


NAMES = ["Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kemal", "Lena",
         "Marco", "Nora", "Omar", "Paula", "Quentin", "Rosa", "Samir", "Tara", "Umar", "Vera", "Wim", "Yara"]
CITIES = ["Lisbon", "Oslo", "Cairo", "Lima", "Dublin", "Hanoi", "Nairobi", "Quito", "Seoul", "Vienna", "Perth",
          "Bogota", "Tunis", "Riga", "Porto", "Malmo", "Accra", "Kyoto", "Cork", "Turin"]
JOBS = ["teacher", "nurse", "pilot", "baker", "lawyer", "farmer", "painter", "chemist", "plumber", "journalist",
        "dentist", "carpenter", "librarian", "architect", "cook", "engineer"]
QUESTIONS = {"city": "Where was {name} born?", "year": "When was {name} born?", "job": "What does {name} do for a living?"}


def templated_qa(n: int, seed: int = 0, heldout: bool = False) -> list[dict]:
    """Tiny templated QA items (question, context, answer, answer_start); held-out items use unseen names and cities."""
    import random

    rng = random.Random(seed)
    names, cities = (NAMES[18:], CITIES[15:]) if heldout else (NAMES[:18], CITIES[:15])
    items = []
    for _ in range(n):
        name, (city, other), job = rng.choice(names), rng.sample(cities, 2), rng.choice(JOBS)
        year = str(rng.randint(1900, 2010))
        context = f"{name} was born in {city} in {year}. Later, {name} moved to {other} and worked as a {job} there."
        kind = rng.choice(sorted(QUESTIONS))
        answer = {"city": city, "year": year, "job": job}[kind]
        items.append({"kind": kind, "question": QUESTIONS[kind].format(name=name), "context": context, "answer": answer,
                      "answer_start": context.index(answer if kind != "job" else f"a {job}") + (2 if kind == "job" else 0)})
    return items


def answer_token_positions(encoding, index: int, item: dict) -> tuple[int, int]:
    """Token positions of the first and last answer token, found with the offsets."""
    start_char, end_char = item["answer_start"], item["answer_start"] + len(item["answer"])
    in_context = context_mask(encoding, index)
    offsets = encoding["offset_mapping"][index]
    tokens = [i for i in range(len(offsets)) if in_context[i] and offsets[i][0] < end_char and offsets[i][1] > start_char]
    return tokens[0], tokens[-1]


def check_items(items, name: str = "items") -> list[dict]:
    """Raise an InputError unless `items` is a non-empty list of dicts with question, context, answer and answer_start."""
    if isinstance(items, dict) or not isinstance(items, (list, tuple)) or not items:
        raise InputError(f"{name} must be a non-empty list of dicts, but got {type(items).__name__} {str(items)[:60]!r}.",
                         f"pass a list, e.g. {name}=qa.templated_qa(40) (for one item: [item]).")
    needed = {"question", "context", "answer", "answer_start"}
    for k, item in enumerate(items):
        missing = needed - set(item) if isinstance(item, dict) else needed
        if missing:
            raise InputError(f"{name}[{k}] lacks {sorted(missing)}.",
                             "give every item question, context, answer and answer_start, as qa.templated_qa() does.")
    return list(items)


def span_loss(start_logits, end_logits, attention_mask, targets) -> torch.Tensor:
    """Mean of the start and end cross-entropies, with [PAD] positions masked out of both softmaxes."""
    padding = ~attention_mask.bool()
    return (torch.nn.functional.cross_entropy(start_logits.masked_fill(padding, -1e4), targets[:, 0])
            + torch.nn.functional.cross_entropy(end_logits.masked_fill(padding, -1e4), targets[:, 1])) / 2


def train_span_head(model, tokenizer, items: list[dict], device, epochs: int = 150, lr: float = 0.05, seed: int = 0) -> list[float]:
    """Train only qa_outputs on frozen encoder features (computed once); returns the loss per epoch."""
    check_span_head(model)
    items = check_items(items)
    check_positive(epochs, "epochs", 100)
    encoding = tokenizer([i["question"] for i in items], [i["context"] for i in items], padding=True,
                         return_offsets_mapping=True, return_tensors="pt")
    targets = torch.tensor([answer_token_positions(encoding, k, item) for k, item in enumerate(items)]).to(device)
    inputs = {k: v.to(device) for k, v in encoding.items() if k != "offset_mapping"}
    with torch.no_grad():
        hidden = model.base_model(**inputs).last_hidden_state
    torch.manual_seed(seed)
    return fit(model.qa_outputs.parameters(),
                    lambda _: span_loss(*model.qa_outputs(hidden).unbind(dim=-1), inputs["attention_mask"], targets),
                    range(epochs), lr=lr)


def predicted_answers(model, tokenizer, items: list[dict], device, max_answer_len: int = 15) -> list[str]:
    """The best span of each item, all items in one batch (short contexts: one window each)."""
    items = check_items(items)
    encoding = tokenizer([i["question"] for i in items], [i["context"] for i in items], padding=True,
                         return_offsets_mapping=True, return_tensors="pt")
    start_logits, end_logits = span_logits(model, encoding, device)
    return [decode_window(start_logits[k], end_logits[k], encoding, k, tokenizer, item["context"], max_answer_len)["answer"]
            for k, item in enumerate(items)]


def exact_match(model, tokenizer, items: list[dict], device) -> float:
    """Share of items whose predicted answer is exactly the expected text."""
    predictions = predicted_answers(model, tokenizer, items, device)
    return sum(p == i["answer"] for p, i in zip(predictions, items)) / len(items)


def published_line(kind: str) -> str:
    """One line beside an untrained result: what the full profile's trained SQuAD 2.0 head is published to do.

    kind "answer": exact match on the dev questions that have an answer; "no answer": how often it answers nothing
    where nothing is the right answer; "all": the whole dev set. Numbers are read from `published`, never retyped.
    """
    from .published import ROBERTA_SQUAD2_DEV_BREAKDOWN as card

    rows = {row[0].split(" (")[0]: row for row in card.rows}
    lines = {
        "answer": "gets the exact answer (exact match) on {:.1f}% of the {:,} SQuAD 2.0 dev questions that have one "
                  "(F1 {:.1f})".format(rows["with an answer"][2], rows["with an answer"][1], rows["with an answer"][3]),
        "no answer": "answers nothing, as it should, on {:.1f}% of the {:,} SQuAD 2.0 dev questions without an answer"
                     .format(rows["without an answer"][2], rows["without an answer"][1]),
        "all": "scores {:.1f} exact match and {:.1f} F1 on all {:,} SQuAD 2.0 dev questions"
               .format(rows["all"][2], rows["all"][3], rows["all"][1]),
    }
    if kind not in lines:
        raise InputError(f"kind={kind!r} is not one of {sorted(lines)}.", "pass kind='answer', 'no answer' or 'all'.")
    return f"PUBLISHED, a trained head: {card.checkpoint} {lines[kind]} (its model card)."
