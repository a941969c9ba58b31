"""Checks for lesson 04 (the QA span head). Each recomputes the truth from its inputs."""
import torch

from ..lessons.qa import best_span, context_mask, encode_windows
from . import Exercise, not_answered, report


def check_context_range(answer, encoding, window=0):
    """Exercise 1: (first, last) token index of the context in one window, from sequence_ids."""
    if answer is None:
        return not_answered("`context_range`", "sequence_ids says which segment each token belongs to.")
    positions = context_mask(encoding, window).nonzero().flatten()
    truth = (int(positions[0]), int(positions[-1]))
    try:
        got = tuple(int(x) for x in answer)
    except (TypeError, ValueError):
        return report(False, f"{answer!r:.60} is not a pair (first, last).", "give two token positions, e.g. (3, 17).")
    if got == truth:
        return report(True, f"the context runs from token {truth[0]} to token {truth[1]} (inclusive) in window {window}.")
    if len(got) == 2 and (got[0], got[1] - 1) == truth:
        return report(False, f"{got} ends one token after the context.", "both ends are inclusive: the last context token itself.")
    others = [w for w in range(len(encoding["input_ids"])) if w != window]
    for other in others:
        positions_other = context_mask(encoding, other).nonzero().flatten()
        if got == (int(positions_other[0]), int(positions_other[-1])):
            return report(False, f"{got} is the context of window {other}, not of window {window}.",
                          "sequence_ids takes the window's number.")
    return report(False, f"{got} are not the first and last context tokens of window {window}.",
                  "the context is where the window's sequence id is 1: its first and its last such position.")


def check_best_span(answer, start_logits, end_logits, max_answer_len):
    """Exercise 2: the best (start, end) for toy logits where every token is context."""
    if answer is None:
        return not_answered("answer", "a legal span: start <= end, not longer than max_answer_len.")
    start_logits, end_logits = torch.as_tensor(start_logits), torch.as_tensor(end_logits)
    everywhere = torch.ones(len(start_logits), dtype=torch.bool)
    start, end, _ = best_span(start_logits.softmax(-1), end_logits.softmax(-1), everywhere, max_answer_len)
    naive = (int(start_logits.argmax()), int(end_logits.argmax()))
    if tuple(int(x) for x in answer) == (start, end):
        return report(True, f"the best valid span is ({start}, {end}).")
    hint = ("the two argmaxes taken separately break a rule here."
            if tuple(int(x) for x in answer) == naive else "remember start <= end and the length limit.")
    return report(False, f"{tuple(int(x) for x in answer)} is not the best valid span.", hint)


def check_answer_text(answer, encoding, context, token_start, token_end, window=0):
    """Exercise 3: the context characters covered by tokens token_start..token_end (inclusive)."""
    if answer is None:
        return not_answered("`span_text`", "offset_mapping gives, for every token, the characters it came from.")
    offsets = encoding["offset_mapping"][window]
    truth = context[int(offsets[token_start][0]):int(offsets[token_end][1])]
    if answer == truth:
        return report(True, f"tokens {token_start}..{token_end} cover {truth!r}.")
    if isinstance(answer, str) and answer.lower() == truth.lower():
        return report(False, "the words are right, the spelling is not the context's.",
                      "decode() gives the tokenizer's lower-cased pieces; the offsets slice the original text.")
    if answer == context[int(offsets[token_start][0]):int(offsets[token_end][0])]:
        return report(False, "the last token is missing.", "the slice ends at the END offset of the last token.")
    return report(False, f"{answer!r:.60} is not the text those tokens cover.",
                  "slice the context from the start offset of the first token to the end offset of the last token.")


def check_window_count(answer, question, context, tokenizer, max_length, stride):
    """Exercise 4: how many windows a long context is cut into."""
    if answer is None:
        return not_answered("`n_windows`", "each window repeats the question and holds as much context as fits.")
    truth = len(encode_windows(question, context, tokenizer, max_length, stride)["input_ids"])
    if int(answer) == truth:
        return report(True, f"max_length={max_length}, stride={stride} gives {truth} windows.")
    if int(answer) == 1:
        return report(False, "1 window is what plain truncation keeps: the rest of the context is cut off.",
                      "ask the tokenizer to return the overflowing windows too.")
    return report(False, f"{int(answer)} is not the number of windows for max_length={max_length}, stride={stride}.",
                  "count the rows the tokenizer returns when it keeps the overflowing windows, with these two settings.")


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
        return not_answered("`my_best_span`", "the legal (start, end) with the largest P(start)·P(end).")
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


ex1 = Exercise(
    "04", "ex1", "context_range", check_context_range,
    hints=("windows.sequence_ids(w) labels every token of window w: None for the special tokens, 0 for the question, "
           "1 for the context.",
           "Collect the positions i where windows.sequence_ids(2)[i] == 1; the answer is the first and the last of them.",
           "positions = [i for i, s in enumerate(windows.sequence_ids(2)) if s == 1]; context_range = (positions[0], positions[-1])"),
    solution_code='''
positions = [i for i, s in enumerate(windows.sequence_ids(2)) if s == 1]
context_range = (positions[0], positions[-1])
''')

ex2 = Exercise(
    "04", "ex2", "my_best_span", check_best_span_function,
    hints=("A legal span starts and ends inside the context, does not end before it starts, and is at most "
           "max_answer_len tokens long. Among the legal spans, the best has the largest P(start=i)·P(end=j).",
           "Softmax the start and the end logits over the context only (the other positions get -inf first); build "
           "the matrix P(start=i)·P(end=j); keep only the cells with i <= j < i + max_answer_len (torch.triu helps); "
           "the position of its largest cell is (start, end).",
           "scores = p_start[:, None] * p_end[None, :]; scores = torch.triu(scores) - torch.triu(scores, diagonal=max_answer_len); "
           "return divmod(int(scores.argmax()), len(start_logits))"),
    solution_code='''
def my_best_span(start_logits, end_logits, in_context, max_answer_len):
    """The best legal (start, end): both in the context, start <= end < start + max_answer_len."""
    p_start = start_logits.masked_fill(~in_context, float("-inf")).softmax(-1)
    p_end = end_logits.masked_fill(~in_context, float("-inf")).softmax(-1)
    scores = p_start[:, None] * p_end[None, :]                                  # scores[i, j]
    scores = torch.triu(scores) - torch.triu(scores, diagonal=max_answer_len)   # i <= j < i + max_answer_len
    return divmod(int(scores.argmax()), len(start_logits))
''')

ex3 = Exercise(
    "04", "ex3", "span_text", check_answer_text,
    hints=("offset_mapping says, for every token, which characters of the context it came from: a pair "
           "(start, end). Slicing the original text keeps its spelling; decoding the tokens would not.",
           "The text starts at the start offset of token first + 1 and ends at the end offset of token first + 4: "
           "encoding['offset_mapping'][0] holds them.",
           "offs = encoding['offset_mapping'][0]; span_text = context[int(offs[first + 1][0]):int(offs[first + 4][1])]"),
    solution_code='''
offs = encoding["offset_mapping"][0]
span_text = context[int(offs[first + 1][0]):int(offs[first + 4][1])]
''')

ex4 = Exercise(
    "04", "ex4", "n_windows", check_window_count,
    hints=("Each window repeats the question and holds as much of the context as fits in max_length; consecutive "
           "windows share stride tokens, so a long context needs several.",
           "Let the tokenizer cut it: tokenizer(question, long_context, truncation='only_second', max_length=48, "
           "stride=8, return_overflowing_tokens=True) returns one row of input_ids per window.",
           "n_windows = len(tokenizer(question, long_context, truncation='only_second', max_length=48, stride=8, "
           "return_overflowing_tokens=True)['input_ids'])"),
    solution_code='''
n_windows = len(tokenizer(question, long_context, truncation="only_second", max_length=48, stride=8,
                          return_overflowing_tokens=True)["input_ids"])
''')
