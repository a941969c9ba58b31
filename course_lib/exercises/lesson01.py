"""Checks for the lesson 01 (tokenization) exercises. Each recomputes the truth from the tokenizer."""
from types import SimpleNamespace

from . import Exercise, not_answered, report


def check_ids_by_hand(answer, tokenizer, text: str):
    """Exercise 1: the input ids of `text`, built by hand (tokenize, add [CLS]/[SEP], convert to ids)."""
    if answer is None:
        return not_answered("`ids`", "BERT's input is [CLS], the word pieces, [SEP], each as its row number in the vocabulary.")
    truth = tokenizer(text)["input_ids"]
    answer = [int(i) for i in answer]
    if answer == truth:
        return report(True, f"{len(truth)} ids, identical to tokenizer(text)['input_ids'].")
    pieces = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text))
    if answer == pieces:
        return report(False, "these are the word pieces only: the special tokens are missing.",
                      "BERT reads a special token before the first piece and another after the last one.")
    if len(answer) != len(truth):
        return report(False, f"you have {len(answer)} ids; the tokenizer makes {len(truth)}.",
                      "compare tokenizer.convert_ids_to_tokens(ids) with tokenizer.tokenize(text).")
    first = next(i for i, (a, t) in enumerate(zip(answer, truth)) if a != t)
    return report(False, f"the ids differ first at position {first}.",
                  "let the tokenizer look every token up in its vocabulary; do not type ids by hand.")


UNSEEN_MASKED = ["{mask} is my favourite colour.", "Nothing here is masked.",
                 "Kathmandu is the {mask} of Nepal, and {mask} is the {mask} of France."]


def check_mask_positions(find_masks, tokenizer):
    """Exercise 2: `find_masks(input_ids, tokenizer)` returns the positions of the mask token, for any tokenizer."""
    if find_masks is None:
        return not_answered("`find_masks`", "a mask is a position whose id is the tokenizer's mask id.")
    text = f"The {tokenizer.mask_token} sat on the {tokenizer.mask_token}."
    ids = tokenizer(text)["input_ids"]
    truth = [i for i, t in enumerate(ids) if t == tokenizer.mask_token_id]
    got = [int(p) for p in find_masks(ids, tokenizer)]
    if got != truth:
        return report(False, f"for {text!r} you found positions {got}, which are not the positions of its {len(truth)} masks.",
                      "a mask is a position whose id is the tokenizer's mask id: look at every position, in order.")
    # A RoBERTa-like stand-in: same ids, but the mask token has a different id (RoBERTa's <mask> is 50264).
    other = SimpleNamespace(mask_token_id=50264, mask_token="<mask>")
    other_ids = [50264 if t == tokenizer.mask_token_id else t for t in ids]
    if [int(p) for p in find_masks(other_ids, other)] != truth:
        return report(False, "it works for this tokenizer only: for a tokenizer whose mask id is 50264 (like RoBERTa) it fails.",
                      "each tokenizer knows its own mask id: ask the tokenizer instead of typing a number.")
    for unseen in UNSEEN_MASKED:  # texts the learner has not seen, masks at other places
        ids = tokenizer(unseen.format(mask=tokenizer.mask_token))["input_ids"]
        want = [i for i, t in enumerate(ids) if t == tokenizer.mask_token_id]
        if [int(p) for p in find_masks(ids, tokenizer)] != want:
            return report(False, f"on a new text with {len(want)} mask(s) it returns other positions.",
                          "return every position that holds the mask id, in order, and nothing else.")
    return report(True, f"positions {truth}, and it still works when the mask id is 50264 instead of {tokenizer.mask_token_id}, "
                  f"and on {len(UNSEEN_MASKED)} texts you had not seen.")


def check_segment_b_tokens(answer, tokenizer, question: str, context: str):
    """Exercise 3: how many tokens of the pair (question, context) have token_type_id 1."""
    if answer is None:
        return not_answered("`segment_b`", "token_type_ids is 0 for segment A and 1 for segment B.")
    encoding = tokenizer(question, context)
    truth = sum(encoding["token_type_ids"])
    context_only = len(tokenizer.tokenize(context))
    if int(answer) == truth:
        return report(True, f"{truth} tokens: the {context_only} context pieces plus the final [SEP].")
    if int(answer) == context_only:
        return report(False, f"{answer} counts the context pieces only.",
                      "the [SEP] that closes the second segment also gets token_type_id 1.")
    return report(False, f"{answer} is not the number of tokens with token_type_id 1.",
                  "encode the pair and count the tokens whose token_type_id is 1, special tokens included.")


ex1 = Exercise(
    "01", "ex1", "ids", check_ids_by_hand,
    hints=("BERT's input is [CLS], then the word pieces of the text, then [SEP], each turned into its row number in "
           "the vocabulary. Section 2 did exactly this for another sentence.",
           "Three steps: tokenizer.tokenize(exercise_text) gives the pieces; put tokenizer.cls_token in front and "
           "tokenizer.sep_token at the end; tokenizer.convert_tokens_to_ids turns the list into ids.",
           "ids = tokenizer.convert_tokens_to_ids([tokenizer.cls_token] + tokenizer.tokenize(exercise_text) + "
           "[tokenizer.sep_token])"),
    solution_code='''
ids = tokenizer.convert_tokens_to_ids([tokenizer.cls_token] + tokenizer.tokenize(exercise_text) + [tokenizer.sep_token])
''')

ex2 = Exercise(
    "01", "ex2", "find_masks", check_mask_positions,
    hints=("The mask token has an id like every other token, and each tokenizer knows its own: read it from the "
           "tokenizer, never type a number.",
           "Go through input_ids with their positions (enumerate) and keep every position whose id equals "
           "tokenizer.mask_token_id.",
           "return [i for i, token_id in enumerate(input_ids) if token_id == tokenizer.mask_token_id]"),
    solution_code='''
def find_masks(input_ids, tokenizer):
    return [i for i, token_id in enumerate(input_ids) if token_id == tokenizer.mask_token_id]
''')

ex3 = Exercise(
    "01", "ex3", "segment_b", check_segment_b_tokens,
    hints=("In a pair, token_type_ids is 0 for every token of segment A and 1 for every token of segment B. Which "
           "special tokens belong to B?",
           "Encode the pair with tokenizer(question, context) and add up its token_type_ids: every 1 is a token of B.",
           "segment_b = sum(tokenizer(question, context)['token_type_ids'])"),
    solution_code='''
segment_b = sum(tokenizer(question, context)["token_type_ids"])
''')
