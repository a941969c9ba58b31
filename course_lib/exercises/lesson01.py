"""Checks for the lesson 01 (tokenization) exercises. Each recomputes the truth from the tokenizer."""
from types import SimpleNamespace

from . import not_answered, report


def check_ids_by_hand(answer, tokenizer, text: str):
    """Exercise 1: the input ids of `text`, built by hand (tokenize, add [CLS]/[SEP], convert to ids)."""
    if answer is None:
        return not_answered("`ids`", "tokenizer.tokenize(text), then [tokenizer.cls_token] + pieces + [tokenizer.sep_token], then convert_tokens_to_ids.")
    truth = tokenizer(text)["input_ids"]
    answer = [int(i) for i in answer]
    if answer == truth:
        return report(True, f"{len(truth)} ids, identical to tokenizer(text)['input_ids'].")
    pieces = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text))
    if answer == pieces:
        return report(False, "these are the word pieces only: the special tokens are missing.",
                      "add tokenizer.cls_token at the start and tokenizer.sep_token at the end before converting.")
    if len(answer) != len(truth):
        return report(False, f"you have {len(answer)} ids; the tokenizer makes {len(truth)}.",
                      "compare tokenizer.convert_ids_to_tokens(ids) with tokenizer.tokenize(text).")
    first = next(i for i, (a, t) in enumerate(zip(answer, truth)) if a != t)
    return report(False, f"the ids differ first at position {first}.",
                  "use tokenizer.convert_tokens_to_ids on the tokens; do not type ids by hand.")


UNSEEN_MASKED = ["{mask} is my favourite colour.", "Nothing here is masked.",
                 "Kathmandu is the {mask} of Nepal, and {mask} is the {mask} of France."]


def check_mask_positions(find_masks, tokenizer):
    """Exercise 2: `find_masks(input_ids, tokenizer)` returns the positions of the mask token, for any tokenizer."""
    if find_masks is None:
        return not_answered("`find_masks`", "compare each id with tokenizer.mask_token_id.")
    text = f"The {tokenizer.mask_token} sat on the {tokenizer.mask_token}."
    ids = tokenizer(text)["input_ids"]
    truth = [i for i, t in enumerate(ids) if t == tokenizer.mask_token_id]
    got = [int(p) for p in find_masks(ids, tokenizer)]
    if got != truth:
        return report(False, f"for {text!r} you found positions {got}; the masks are at {truth}.",
                      "loop with enumerate(input_ids) and keep i where the id == tokenizer.mask_token_id.")
    # A RoBERTa-like stand-in: same ids, but the mask token has a different id (RoBERTa's <mask> is 50264).
    other = SimpleNamespace(mask_token_id=50264, mask_token="<mask>")
    other_ids = [50264 if t == tokenizer.mask_token_id else t for t in ids]
    if [int(p) for p in find_masks(other_ids, other)] != truth:
        return report(False, "it works for this tokenizer only: for a tokenizer whose mask id is 50264 (like RoBERTa) it fails.",
                      "do not hard-code the id (e.g. 103); read tokenizer.mask_token_id.")
    for unseen in UNSEEN_MASKED:  # texts the learner has not seen, masks at other places
        ids = tokenizer(unseen.format(mask=tokenizer.mask_token))["input_ids"]
        want = [i for i, t in enumerate(ids) if t == tokenizer.mask_token_id]
        if [int(p) for p in find_masks(ids, tokenizer)] != want:
            return report(False, f"on a new text with masks at {want} it returns something else.",
                          "return every index i where input_ids[i] == tokenizer.mask_token_id, in order.")
    return report(True, f"positions {truth}, and it still works when the mask id is 50264 instead of {tokenizer.mask_token_id}, "
                  f"and on {len(UNSEEN_MASKED)} texts you had not seen.")


def check_segment_b_tokens(answer, tokenizer, question: str, context: str):
    """Exercise 3: how many tokens of the pair (question, context) have token_type_id 1."""
    if answer is None:
        return not_answered("`segment_b`", "encode the pair with tokenizer(question, context) and count the 1s in token_type_ids.")
    encoding = tokenizer(question, context)
    truth = sum(encoding["token_type_ids"])
    context_only = len(tokenizer.tokenize(context))
    if int(answer) == truth:
        return report(True, f"{truth} tokens: the {context_only} context pieces plus the final [SEP].")
    if int(answer) == context_only:
        return report(False, f"{answer} counts the context pieces only.",
                      "the [SEP] that closes the second segment also gets token_type_id 1.")
    return report(False, f"{answer} is not the number of tokens with token_type_id 1.",
                  "sum(tokenizer(question, context)['token_type_ids']).")
