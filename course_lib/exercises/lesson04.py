"""Checks for lesson 04 (the QA span head). Each recomputes the truth from its inputs."""
import torch

from ..qa import best_span, context_mask, encode_windows
from . import not_answered, report


def check_context_range(answer, encoding, window=0):
    """Exercise 1: (first, last) token index of the context in one window, from sequence_ids."""
    if answer is None:
        return not_answered("answer", "encoding.sequence_ids(window) is 1 on context tokens.")
    positions = context_mask(encoding, window).nonzero().flatten()
    truth = (int(positions[0]), int(positions[-1]))
    right = tuple(int(x) for x in answer) == truth
    return report(right, f"the context runs from token {truth[0]} to token {truth[1]} (inclusive) in window {window}.",
                  "find the first and the last position where sequence_ids(window) equals 1.")


def check_best_span(answer, start_logits, end_logits, max_answer_len):
    """Exercise 2: the best (start, end) for toy logits where every token is context."""
    if answer is None:
        return not_answered("answer", "score every pair i <= j < i + max_answer_len with p_start[i] * p_end[j].")
    start_logits, end_logits = torch.as_tensor(start_logits), torch.as_tensor(end_logits)
    everywhere = torch.ones(len(start_logits), dtype=torch.bool)
    start, end, _ = best_span(start_logits.softmax(-1), end_logits.softmax(-1), everywhere, max_answer_len)
    naive = (int(start_logits.argmax()), int(end_logits.argmax()))
    right = tuple(int(x) for x in answer) == (start, end)
    hint = ("taking the two argmaxes separately gives " + str(naive) + ", which breaks a rule."
            if tuple(int(x) for x in answer) == naive else "remember start <= end and the length limit.")
    return report(right, f"the best valid span is ({start}, {end}).", hint)


def check_answer_text(answer, encoding, context, token_start, token_end, window=0):
    """Exercise 3: the context characters covered by tokens token_start..token_end (inclusive)."""
    if answer is None:
        return not_answered("answer", "offset_mapping gives (char_start, char_end) for every token.")
    offsets = encoding["offset_mapping"][window]
    truth = context[int(offsets[token_start][0]):int(offsets[token_end][1])]
    return report(answer == truth, f"tokens {token_start}..{token_end} cover {truth!r}.",
                  "slice the context from the start offset of the first token to the end offset of the last token.")


def check_window_count(answer, question, context, tokenizer, max_length, stride):
    """Exercise 4: how many windows a long context is cut into."""
    if answer is None:
        return not_answered("answer", "tokenize with return_overflowing_tokens=True and count the rows.")
    truth = len(encode_windows(question, context, tokenizer, max_length, stride)["input_ids"])
    return report(int(answer) == truth, f"max_length={max_length}, stride={stride} gives {truth} windows.",
                  "the number of rows of input_ids when return_overflowing_tokens=True.")
