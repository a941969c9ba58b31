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
