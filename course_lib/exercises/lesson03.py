"""Checks for lesson 03 (the masked-LM head). Each recomputes the truth from the model and tokenizer."""
import torch

from ..lessons.masked_lm import fill_mask_by_hand, mask_positions
from . import Exercise, not_answered, report


def check_mask_id(answer, tokenizer):
    """Exercise 1: the id of the mask token, read from the tokenizer (not typed in)."""
    if answer is None:
        return not_answered("answer", "the tokenizer knows its own mask token: look for an attribute ending in _id.")
    if isinstance(answer, torch.Tensor):
        answer = answer.item()
    if answer == tokenizer.mask_token_id:
        return report(True, f"the mask token {tokenizer.mask_token!r} has id {tokenizer.mask_token_id} in this tokenizer.")
    return report(False, f"{answer!r} is not the id of this tokenizer's mask token.",
                  "ask the tokenizer for its own mask id: a number typed in is only right for one vocabulary.")


def check_tied_parameter(answer, model):
    """Exercise 2: the name of the model parameter that IS the decoder weight (weight tying)."""
    if answer is None:
        return not_answered("`tied_name`", "one tensor object, used twice: find the other name it has.")
    try:
        parameter = model.get_parameter(answer)
    except (AttributeError, TypeError):
        return report(False, f"{answer!r} is not a parameter name of this model.",
                      "names look like 'bert.embeddings.word_embeddings.weight'; see model.named_parameters().")
    decoder = model.get_output_embeddings().weight
    in_head = answer.startswith("cls.") or answer.startswith("lm_head.")
    if parameter is decoder and not in_head:
        return report(True, f"{answer} is the very tensor the decoder multiplies by: one matrix, two jobs.")
    if parameter is decoder:
        return report(False, f"{answer!r} is the decoder's own name for the tensor, inside the head.",
                      "the same tensor also has a name outside the head, in the encoder: that is the one asked for.")
    return report(False, f"{answer!r} is a parameter of this model, but not the tensor the decoder multiplies by.",
                  "tied means the same object: compare tensors with `is`, not by their shape or values.")


def check_word_probability(answer, text, word, tokenizer, model, device):
    """Exercise 3: the probability the head gives `word` at the (single) mask in `text`."""
    if answer is None:
        return not_answered("`p_good`", "a probability over the vocabulary, at the mask position only.")
    batch = tokenizer(text, return_tensors="pt").to(device)
    position = mask_positions(batch["input_ids"][0].cpu(), tokenizer)[0]
    word_id = tokenizer.convert_tokens_to_ids(word)
    with torch.no_grad():
        logits = model(**batch).logits[0]
    truth = logits[position].softmax(-1)[word_id].item()
    value = float(answer.item() if isinstance(answer, torch.Tensor) else answer)
    near = lambda other: abs(value - other) <= 1e-4 + 1e-3 * abs(other)
    if near(truth):
        return report(True, f"P({word!r} at the mask) = {truth:.4f}.")
    if near(100 * truth):
        return report(False, f"{value:.4f} is a percentage.", "give the probability as a fraction between 0 and 1.")
    if near(logits[position, word_id].item()):
        return report(False, f"{value:.4f} is the raw score (logit), not a probability.",
                      "a logit becomes a probability through a softmax over the whole vocabulary.")
    if near(logits[:, word_id].softmax(0)[position].item()):
        return report(False, f"{value:.4f} comes from a softmax over the positions of the sentence.",
                      "the probabilities at the mask compete across the vocabulary (the last dimension), not across positions.")
    return report(False, f"{value:.4f} is not the head's probability for {word!r} at the mask.",
                  "take the logits row at the mask position, softmax over the vocabulary, then the entry of the word's id.")


def check_top_guesses(answer, text, tokenizer, model, device, top_k=3):
    """Exercise 4: the top-k guesses (as strings, best first) for every mask in `text`."""
    if answer is None:
        return not_answered("answer", "one list of token strings per mask, best first.")
    truth = [[g["token_str"] for g in guesses] for guesses in fill_mask_by_hand(text, tokenizer, model, device, top_k)]
    right = [list(map(str.strip, a)) for a in answer] == truth if isinstance(answer, (list, tuple)) else False
    if right:
        return report(True, f"the top-{top_k} guesses per mask are {truth}.")
    return report(False, "these are not the head's top guesses at every mask.",
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
        return not_answered("`my_fill_mask`", "one list of the top_k token strings per mask, best first.")
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


ex1 = Exercise(
    "03", "ex1", "tied_name", check_tied_parameter,
    hints=("Weight tying means one tensor object does two jobs. The head calls it decoder.weight; the same object has "
           "another name outside the head, in the encoder.",
           "model.named_parameters(remove_duplicate=False) lists every name, tied ones included. Compare each tensor "
           "with model.get_output_embeddings().weight using `is`, and skip the names inside the head (cls.).",
           "next(n for n, p in model.named_parameters(remove_duplicate=False) "
           "if p is model.get_output_embeddings().weight and not n.startswith('cls.'))"),
    solution_code='''
named = dict(model.named_parameters(remove_duplicate=False))
tied_name = next(n for n, p in named.items() if p is model.get_output_embeddings().weight and not n.startswith("cls."))
''')

ex2 = Exercise(
    "03", "ex2", "p_good", check_word_probability,
    hints=("The head gives a score (logit) to every vocabulary word at every position. A probability needs a softmax "
           "over the vocabulary, at the mask position only.",
           "Run the model on the tokenized sentence; take logits[0, mask_position] (mask_position: where input_ids == "
           "tokenizer.mask_token_id); softmax over the last dimension; read the entry of "
           "tokenizer.convert_tokens_to_ids('good').",
           "row = model(**encoded).logits[0, mask_position]; p_good = row.softmax(dim=-1)[tokenizer.convert_tokens_to_ids('good')].item()"),
    solution_code='''
encoded = tokenizer(sentence, return_tensors="pt").to(session.device)
with torch.no_grad():
    row = model(**encoded).logits[0, (encoded["input_ids"][0] == tokenizer.mask_token_id).nonzero().item()]
p_good = row.softmax(dim=-1)[tokenizer.convert_tokens_to_ids("good")].item()
''')

ex3 = Exercise(
    "03", "ex3", "my_fill_mask", check_fill_mask_function,
    hints=("For every mask in the text: the logits row at that position, a softmax over the vocabulary, the top_k "
           "most likely ids, each turned back into a string. The masks are found by id, never by a typed-in number.",
           "Tokenize, run the model once, find the positions where input_ids == tokenizer.mask_token_id; for each, "
           "logits[p].softmax(dim=-1).topk(top_k).indices, and tokenizer.decode([i]) for each id.",
           "return [[tokenizer.decode([i]) for i in logits[p].softmax(dim=-1).topk(top_k).indices.tolist()] for p in positions]"),
    solution_code='''
def my_fill_mask(text, top_k=3):
    """One list of the top_k token strings per mask in `text`, best first."""
    encoded = tokenizer(text, return_tensors="pt").to(session.device)
    with torch.no_grad():
        logits = model(**encoded).logits[0]
    positions = (encoded["input_ids"][0] == tokenizer.mask_token_id).nonzero().flatten()  # never a typed-in 103
    return [[tokenizer.decode([i]) for i in logits[p].softmax(dim=-1).topk(top_k).indices.tolist()] for p in positions]
''')
