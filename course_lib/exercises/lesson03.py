"""Checks for lesson 03 (the masked-LM head). Each recomputes the truth from the model and tokenizer."""
import torch

from ..masked_lm import fill_mask_by_hand, mask_positions
from . import not_answered, report


def check_mask_id(answer, tokenizer):
    """Exercise 1: the id of the mask token, read from the tokenizer (not typed in)."""
    if answer is None:
        return not_answered("answer", "the tokenizer knows its own mask token: look for an attribute ending in _id.")
    if isinstance(answer, torch.Tensor):
        answer = answer.item()
    right = answer == tokenizer.mask_token_id
    return report(right, f"the mask token {tokenizer.mask_token!r} has id {tokenizer.mask_token_id} in this tokenizer.",
                  "use tokenizer.mask_token_id; a number typed in (like 103) is only right for one vocabulary.")


def check_tied_parameter(answer, model):
    """Exercise 2: the name of the model parameter that IS the decoder weight (weight tying)."""
    if answer is None:
        return not_answered("answer", "list model.named_parameters() and compare each tensor with `is`.")
    try:
        parameter = model.get_parameter(answer)
    except (AttributeError, TypeError):
        return report(False, f"{answer!r} is not a parameter name of this model.",
                      "names look like 'bert.embeddings.word_embeddings.weight'; see model.named_parameters().")
    decoder = model.get_output_embeddings().weight
    right = parameter is decoder and not answer.startswith("cls.") and not answer.startswith("lm_head.")
    return report(right, f"{answer} is the very tensor the decoder multiplies by: one matrix, two jobs.",
                  "find the parameter (outside the head) whose tensor `is` model.get_output_embeddings().weight.")


def check_word_probability(answer, text, word, tokenizer, model, device):
    """Exercise 3: the probability the head gives `word` at the (single) mask in `text`."""
    if answer is None:
        return not_answered("answer", "softmax the logits at the mask position, then index with the word's token id.")
    batch = tokenizer(text, return_tensors="pt").to(device)
    position = mask_positions(batch["input_ids"][0].cpu(), tokenizer)[0]
    with torch.no_grad():
        probs = model(**batch).logits[0, position].softmax(-1)
    truth = probs[tokenizer.convert_tokens_to_ids(word)].item()
    value = float(answer)
    right = abs(value - truth) <= 1e-4 + 1e-3 * truth
    return report(right, f"P({word!r} at the mask) = {truth:.4f}.",
                  f"you gave {value:.4f}. Take softmax over the vocabulary (dim=-1) at the mask position only.")


def check_top_guesses(answer, text, tokenizer, model, device, top_k=3):
    """Exercise 4: the top-k guesses (as strings, best first) for every mask in `text`."""
    if answer is None:
        return not_answered("answer", "use fill_mask_by_hand or your own softmax + topk, one list per mask.")
    truth = [[g["token_str"] for g in guesses] for guesses in fill_mask_by_hand(text, tokenizer, model, device, top_k)]
    right = [list(map(str.strip, a)) for a in answer] == truth if isinstance(answer, (list, tuple)) else False
    return report(right, f"the top-{top_k} guesses per mask are {truth}.",
                  f"give a list with one list of {top_k} token strings per mask, in the order the masks appear.")


FILL_MASK_SENTENCES = (  # unseen by the learner; {m} becomes the tokenizer's own mask token
    "the {m} barked at the mailman all night.",
    "she poured some {m} into her coffee.",
    "a {m} and a {m} are playing in the park.",
    "we took a {m} to the airport because we were late.",
)


def call_safely(function, *args, **kwargs):
    """(result, None) from function(*args, **kwargs), or (None, a one-line description of what it raised)."""
    try:
        return function(*args, **kwargs), None
    except Exception as error:  # the learner's code: report any error as a hint, never a traceback
        return None, f"{type(error).__name__}: {error}"


def fill_mask_problem(got, truth, text, top_k) -> tuple[str, str] | None:
    """(message, hint) for the first way `got` differs from `truth` (lists of token strings per mask), else None."""
    if not isinstance(got, (list, tuple)) or not all(isinstance(g, (list, tuple)) for g in got):
        return (f"for {text!r} it returned {got!r:.80}, not a list of lists.",
                "return one list of token strings per mask, e.g. [['man', 'woman', 'boy']].")
    got = [[str(t).strip() for t in g] for g in got]
    if len(got) != len(truth):
        return (f"for {text!r} it returned {len(got)} list(s), but the text has {len(truth)} mask(s).",
                "one list per position where input_ids == tokenizer.mask_token_id (never a typed-in id).")
    if any(len(g) != top_k for g in got):
        return (f"with top_k={top_k} each list must hold {top_k} guesses.", "use probs.topk(top_k), not a fixed 5.")
    if got == truth:
        return None
    if all(sorted(g) == sorted(t) for g, t in zip(got, truth)):
        return (f"for {text!r} the guesses are right but in the wrong order.", "best first: topk returns them sorted.")
    return (f"for {text!r} you guessed {got}.",
            "take the logits row AT each mask position, softmax over the vocabulary (dim=-1), then topk.")


def check_fill_mask_function(my_fill_mask, tokenizer, model, device):
    """Exercise: my_fill_mask(text, top_k) gives the top_k token strings per mask, on sentences the learner has not seen."""
    if my_fill_mask is None:
        return not_answered("`my_fill_mask`", "def my_fill_mask(text, top_k=3): ... return one list per mask.")
    for n, pattern in enumerate(FILL_MASK_SENTENCES):
        text, top_k = pattern.format(m=tokenizer.mask_token), 3 + n % 2
        got, error = call_safely(my_fill_mask, text, top_k=top_k)
        if error:
            return report(False, f"my_fill_mask({text!r}, top_k={top_k}) raised {error}",
                          "tokenize the text, run the model, and read the logits at the mask positions.")
        if got is None:
            return not_answered("my_fill_mask's return value", "return the list of lists instead of None.")
        truth = [[g["token_str"] for g in guesses] for guesses in fill_mask_by_hand(text, tokenizer, model, device, top_k)]
        problem = fill_mask_problem(got, truth, text, top_k)
        if problem:
            return report(False, *problem)
    return report(True, f"my_fill_mask matches the head on {len(FILL_MASK_SENTENCES)} new sentences "
                        "(with one and two masks, top_k 3 and 4).")
