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


def random_span_case(generator: torch.Generator) -> dict:
    """Fresh logits for a question + context: question tokens (and [CLS]/[SEP]) are not context."""
    n_question = int(torch.randint(3, 7, (1,), generator=generator))
    n_context = int(torch.randint(8, 20, (1,), generator=generator))
    in_context = torch.tensor([False] * (n_question + 2) + [True] * n_context + [False])  # [CLS] q [SEP] context [SEP]
    n = len(in_context)
    return {"start_logits": torch.randn(n, generator=generator) * 2, "end_logits": torch.randn(n, generator=generator) * 2,
            "in_context": in_context, "max_answer_len": int(torch.randint(2, 6, (1,), generator=generator))}


def span_problem(got, case, truth) -> tuple[str, str] | None:
    """(message, hint) saying how the span `got` breaks a rule or misses the best one, else None."""
    try:
        start, end = (int(x) for x in got)
    except (TypeError, ValueError):
        return f"my_best_span returned {got!r:.60}, not a pair (start, end).", "return a tuple of two token positions."
    if (start, end) == truth:
        return None
    in_context, limit = case["in_context"], case["max_answer_len"]
    if not (0 <= start < len(in_context) and 0 <= end < len(in_context)) or not (in_context[start] and in_context[end]):
        return (f"({start}, {end}) is not inside the context.", "both ends must be context tokens: mask the rest out.")
    if end < start:
        return (f"({start}, {end}) ends before it starts: that is what two separate argmaxes give.",
                "score pairs (i, j) with i <= j, not the start and the end on their own.")
    if end - start >= limit:
        return (f"({start}, {end}) is {end - start + 1} tokens long; max_answer_len is {limit}.",
                "keep only j - i < max_answer_len.")
    return (f"({start}, {end}) is a legal span, but not the best one.",
            "maximise P(start=i)·P(end=j) (or start_logits[i] + end_logits[j]) over every legal pair.")


def check_best_span_function(my_best_span, n_cases: int = 30, seed: int = 2024):
    """Exercise: my_best_span(start_logits, end_logits, in_context, max_answer_len) on fresh random logits."""
    if my_best_span is None:
        return not_answered("`my_best_span`", "def my_best_span(start_logits, end_logits, in_context, max_answer_len): ...")
    generator = torch.Generator().manual_seed(seed)
    for case_number in range(1, n_cases + 1):
        case = random_span_case(generator)
        probs = [logits.masked_fill(~case["in_context"], float("-inf")).softmax(-1)
                 for logits in (case["start_logits"], case["end_logits"])]
        truth = best_span(*probs, case["in_context"], case["max_answer_len"])[:2]
        try:
            got = my_best_span(case["start_logits"].clone(), case["end_logits"].clone(), case["in_context"].clone(),
                               case["max_answer_len"])
        except Exception as error:  # the learner's code: report, never a traceback
            return report(False, f"on test case {case_number} my_best_span raised {type(error).__name__}: {error}",
                          "the inputs are 1-D tensors of equal length; in_context is a bool tensor.")
        if got is None:
            return not_answered("my_best_span's return value", "return the pair (start, end) instead of None.")
        problem = span_problem(got, case, truth)
        if problem:
            return report(False, f"test case {case_number} (max_answer_len={case['max_answer_len']}): {problem[0]}",
                          problem[1])
    return report(True, f"my_best_span found the best legal span in all {n_cases} random test cases.")
