"""The masked-LM head: fill [MASK] by hand, BERT-style masking, and masked-token accuracy.

Lesson 03 runs the pieces one by one in the notebook; these functions are the same steps
packaged for reuse (the exercises, the tests and scripts/train_pocket_mlm_head.py).
"""
import functools
import random

import torch

from ..core import pocket_data
from ..core.errors import CourseError, InputError
from ..core.stats import measured
from ..core.validation import check_positive, check_text, check_texts, model_input_limit, note


def mask_positions(input_ids: torch.Tensor, tokenizer) -> torch.Tensor:
    """Indices of the mask token in a 1-D `input_ids`; raises CourseError when there is none."""
    if tokenizer.mask_token_id is None:
        raise CourseError(f"{type(tokenizer).__name__} has no mask token: its model was not trained to fill in masks.",
                          "load the tokenizer of a masked-LM checkpoint, e.g. session.load_tokenizer('mlm').")
    positions = (input_ids == tokenizer.mask_token_id).nonzero().flatten()
    if len(positions) == 0:
        raise CourseError(
            "The text has no mask token, so there is nothing for the masked-LM head to fill in.",
            f"put tokenizer.mask_token, i.e. {tokenizer.mask_token!r}, where the word should go, "
            f"e.g. f\"the movie was {{tokenizer.mask_token}}.\"",
        )
    return positions


def mlm_logits_by_hand(model, batch, where: torch.Tensor | None = None) -> torch.Tensor:
    """Embeddings + encoder, then the MLM head's transform and decoder; equals model(**batch).logits.

    With `where` (a bool mask of the batch's positions) the head runs only there, [positions, vocab]: the same rows
    as model(**batch).logits[where], without the vocabulary-wide decoder at every other position.
    """
    hidden = model.base_model(**batch).last_hidden_state  # lesson 02 takes this step apart
    if where is not None:
        hidden = hidden[where]
    if hasattr(model, "cls"):  # BERT: cls.predictions = transform (dense, GELU, LayerNorm) + decoder
        return model.get_output_embeddings()(model.cls.predictions.transform(hidden))
    return model.lm_head(hidden)  # RoBERTa-style heads keep dense, GELU, layer_norm and decoder in lm_head


def top_k_at_masks(logits: torch.Tensor, input_ids: torch.Tensor, tokenizer, top_k: int = 5) -> list[list[dict]]:
    """Softmax over the vocabulary at each mask position, then the k most likely tokens (1-D inputs)."""
    results = []
    for position in mask_positions(input_ids, tokenizer):
        probs = logits[position].softmax(dim=-1)
        values, ids = probs.topk(top_k)
        results.append([{"score": v.item(), "token": i.item(), "token_str": tokenizer.decode([i.item()])}
                        for v, i in zip(values, ids)])
    return results


def encode_for_fill_mask(text: str, tokenizer, model):
    """Tokenize `text` for fill-mask; a text longer than the model reads is cut after its last mask, with a note."""
    check_text(text, "text", f"'the movie was {tokenizer.mask_token}.'")
    ids = tokenizer(text, verbose=False)["input_ids"]
    limit = model_input_limit(tokenizer, model)
    if len(ids) <= limit:
        return tokenizer(text, return_tensors="pt")
    last_mask = int(mask_positions(torch.tensor(ids), tokenizer)[-1])
    if last_mask >= limit - 1:
        raise InputError(f"The text is {len(ids)} tokens long and its last {tokenizer.mask_token} is token {last_mask}, "
                         f"but the model reads at most {limit} tokens.",
                         f"pass only the part around the mask (at most {limit} tokens), e.g. the sentence that holds "
                         f"{tokenizer.mask_token}.")
    note(f"the text is {len(ids)} tokens long; the model reads {limit}, so only the first {limit} are used "
         "(every mask is among them).")
    return tokenizer(text, truncation=True, max_length=limit, return_tensors="pt")


def fill_mask_by_hand(text: str, tokenizer, model, device, top_k: int = 5) -> list[list[dict]]:
    """The fill-mask pipeline by hand: one list of top-k guesses per mask in `text`."""
    check_positive(top_k, "top_k", 5)
    batch = encode_for_fill_mask(text, tokenizer, model).to(device)
    mask_positions(batch["input_ids"][0], tokenizer)  # fail early, with the fix, if there is no mask
    with torch.no_grad():
        logits = mlm_logits_by_hand(model, batch)[0]
    return top_k_at_masks(logits, batch["input_ids"][0], tokenizer, top_k)


def as_guess_lists(pipeline_output) -> list[list[dict]]:
    """The pipeline returns a flat list for one mask and a list of lists for several; always nest."""
    return [pipeline_output] if pipeline_output and isinstance(pipeline_output[0], dict) else list(pipeline_output)


def same_guesses(by_hand: list[list[dict]], from_pipeline, atol: float = 1e-5) -> bool:
    """True when both give the same tokens in the same order with the same probabilities."""
    from_pipeline = as_guess_lists(from_pipeline)
    if len(by_hand) != len(from_pipeline):
        return False
    pairs = [(a, b) for mine, theirs in zip(by_hand, from_pipeline) for a, b in zip(mine, theirs, strict=True)]
    return all(a["token"] == b["token"] and abs(a["score"] - b["score"]) <= atol for a, b in pairs)


def mask_tokens(input_ids: torch.Tensor, tokenizer, generator: torch.Generator, probability: float = 0.15,
                special_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking: pick 15% of real tokens; 80% -> [MASK], 10% -> random token, 10% unchanged.

    Returns (masked input_ids, labels) with labels = -100 wherever the loss should ignore the token.
    """
    if special_mask is None:
        special_mask = torch.isin(input_ids, torch.tensor(tokenizer.all_special_ids))
    chosen = (torch.rand(input_ids.shape, generator=generator) < probability) & ~special_mask
    labels = torch.where(chosen, input_ids, -100)
    roll = torch.rand(input_ids.shape, generator=generator)
    masked = input_ids.clone()
    masked[chosen & (roll < 0.8)] = tokenizer.mask_token_id
    random_ids = torch.randint(len(tokenizer), input_ids.shape, generator=generator)
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    masked[swap] = random_ids[swap]
    return masked, labels


def mask_for_evaluation(input_ids: torch.Tensor, tokenizer, generator: torch.Generator, probability: float = 0.15):
    """Evaluation masking: the chosen tokens all become [MASK] (no random or kept tokens)."""
    special = torch.isin(input_ids, torch.tensor(tokenizer.all_special_ids))
    chosen = (torch.rand(input_ids.shape, generator=generator) < probability) & ~special
    return torch.where(chosen, tokenizer.mask_token_id, input_ids), torch.where(chosen, input_ids, -100)


@functools.lru_cache(maxsize=1)
def _sentence_pools() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Unique movie-review sentences and unique SNLI sentences, sorted (read once per process)."""
    movie = sorted({r["text"] for r in pocket_data.read_movie_snippets()})
    snli = sorted({s for r in pocket_data.read_snli("train") for s in (r["premise"], r["hypothesis"])})
    return tuple(movie), tuple(snli)


def mlm_sentences(seed: int = 0, heldout: int = 400, movie_sentences: int = 3000, snli_sentences: int = 3000) -> dict[str, list[str]]:
    """A fixed, seeded set of offline sentences (movie reviews + SNLI), split into train and held-out."""
    movie, snli = (list(pool) for pool in _sentence_pools())
    rng = random.Random(seed)
    rng.shuffle(movie)
    rng.shuffle(snli)
    half = heldout // 2
    movie, snli = movie[:movie_sentences + half], snli[:snli_sentences + half]
    return {"heldout": movie[:half] + snli[:half], "train": movie[half:] + snli[half:]}


def masked_batches(tokenizer, sentences: list[str], seed: int = 0, batch_size: int = 64, max_length: int = 64):
    """Yield (batch, labels): `sentences` tokenized in batches with 15% of tokens masked for evaluation (seeded)."""
    generator = torch.Generator().manual_seed(seed)
    for start in range(0, len(sentences), batch_size):
        batch = tokenizer(sentences[start:start + batch_size], padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt")
        batch["input_ids"], labels = mask_for_evaluation(batch["input_ids"], tokenizer, generator)
        yield batch, labels


def masked_token_accuracy(model, tokenizer, sentences: list[str], device, seed: int = 0) -> dict:
    """Top-1 / top-5 accuracy of the MLM head on 15% of tokens masked (seeded) in `sentences`."""
    sentences = check_texts(sentences, "sentences")
    hits1 = hits5 = total = 0
    for batch, labels in masked_batches(tokenizer, sentences, seed):
        where = labels != -100
        with torch.no_grad():  # the head only at the masked positions: the same logits, a fraction of the work
            logits = mlm_logits_by_hand(model, batch.to(device), where.to(device))
        top5 = logits.topk(5, dim=-1).indices.cpu()
        hits1 += (top5[:, 0] == labels[where]).sum().item()
        hits5 += (top5 == labels[where][:, None]).any(dim=-1).sum().item()
        total += where.sum().item()
    check_some_masked(total, sentences)
    return {"top1": hits1 / total, "top5": hits5 / total, "masked_tokens": total}


def check_some_masked(total: int, sentences: list[str]) -> None:
    """Raise an InputError when masking left no token to score (an accuracy over 0 tokens means nothing)."""
    if total == 0:
        raise InputError(f"None of the {len(sentences)} sentences got a masked token (15% are drawn per token).",
                         "pass more or longer sentences, e.g. masked_lm.mlm_sentences()['heldout'].")


def frequency_baseline(tokenizer, sentences: list[str], frequent_ids: list[int], seed: int = 0) -> dict:
    """Accuracy of always guessing the same tokens (`frequent_ids`, most frequent first) at every mask."""
    sentences = check_texts(sentences, "sentences")
    labels = torch.cat([labels[labels != -100] for _, labels in masked_batches(tokenizer, sentences, seed)])
    check_some_masked(len(labels), sentences)
    guesses = torch.tensor(frequent_ids[:5])
    return {"top1": (labels == guesses[0]).float().mean().item(),
            "top5": torch.isin(labels, guesses).float().mean().item(), "masked_tokens": len(labels)}


def heldout_comparison(heads: dict, tokenizer, sentences: list[str], device, frequent_ids: list[int],
                       seeds=(0, 1, 2)) -> dict[str, list]:
    """Top-1 and top-5 accuracy of each head in `heads` ({name: model}) and of always guessing `frequent_ids`,
    over several masking draws (one per seed) of the same sentences: {"top1": [Measured, ...], "top5": [...]}.

    Which tokens get masked is random, so one draw is one sample: every draw masks 15% of the tokens afresh, and
    `course_lib.core.stats` reads the spread over draws together with the test-set noise of one draw's tokens.
    """
    if len(seeds) < 3:
        raise InputError(f"seeds={tuple(seeds)}: a spread needs at least 3 masking draws.", "pass seeds=(0, 1, 2).")
    scores = {name: [masked_token_accuracy(model, tokenizer, sentences, device, seed) for seed in seeds]
              for name, model in heads.items()}
    guess = "always " + " ".join(tokenizer.convert_ids_to_tokens(list(frequent_ids[:5])))
    scores[guess] = [frequency_baseline(tokenizer, sentences, frequent_ids, seed) for seed in seeds]
    rows = min(run["masked_tokens"] for runs in scores.values() for run in runs)  # the smallest draw: conservative
    return {k: [measured(name, [run[k] for run in runs], rows) for name, runs in scores.items()] for k in ("top1", "top5")}
