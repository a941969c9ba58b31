"""Train a masked-LM head for the pocket MiniLM and save it to course_lib/pocket_heads/mlm_head.*

all-MiniLM-L6-v2 ships without an MLM head. This script gives it one, cheaply:
  1. the encoder stays frozen, and the decoder stays tied to the frozen word embeddings;
  2. the encoder runs ONCE over BERT-masked sentences (15%: 80% [MASK], 10% random, 10% kept)
     and the hidden vectors at the masked positions are cached;
  3. only the head (transform dense + LayerNorm, and the output bias) is trained on that cache;
  4. top-1 / top-5 accuracy is measured on held-out sentences, before (untrained head) and after.

Run (about 6 CPU-minutes: encoding 6,000 sentences once, then 12 epochs over ~15,500 cached positions;
the committed head took 20 minutes wall-clock on a heavily shared 2-core machine):
    HF_HUB_OFFLINE=1 python scripts/train_pocket_mlm_head.py
Add --cache features.pt to keep the encoded features between runs (e.g. to try other epochs or learning rates).
"""
import argparse
import json
from pathlib import Path

import torch
from safetensors.torch import save_file
from tqdm.auto import tqdm
from transformers import AutoModelForMaskedLM, AutoTokenizer

from course_lib import seed_everything
from course_lib.core.checkpoints import HEADS_DIR, minilm_dir
from course_lib.core.training import fit
from course_lib.lessons.masked_lm import fill_mask_by_hand, frequency_baseline, mask_tokens, masked_token_accuracy, mlm_sentences

HEAD_PREFIX = "cls.predictions."
TIED_KEYS = {"cls.predictions.decoder.weight"}  # = bert.embeddings.word_embeddings.weight: not saved



def shuffled_batches(size: int, batch_size: int, epochs: int, seed: int = 0):
    """Index tensors: `epochs` seeded shuffles of range(size), cut into batches of `batch_size`."""
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        yield from torch.randperm(size, generator=generator).split(batch_size)

def cache_masked_features(model, tokenizer, sentences, seed, batch_size=64, max_length=64, passes=1):
    """Run the frozen encoder over BERT-masked sentences; keep hidden vectors and labels at masked positions."""
    generator = torch.Generator().manual_seed(seed)
    features, labels = [], []
    ordered = sorted(sentences, key=len)  # similar lengths per batch: less padding
    for _ in range(passes):
        for start in tqdm(range(0, len(ordered), batch_size), desc="encoding", mininterval=5):
            batch = tokenizer(ordered[start:start + batch_size], padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt")
            batch["input_ids"], target = mask_tokens(batch["input_ids"], tokenizer, generator)
            with torch.no_grad():
                hidden = model.base_model(**batch).last_hidden_state
            where = target != -100
            features.append(hidden[where])
            labels.append(target[where])
    return torch.cat(features), torch.cat(labels)


def head_parameters(model):
    """The trainable head: everything under cls.predictions except the tied decoder weight."""
    return [p for n, p in model.named_parameters() if n.startswith(HEAD_PREFIX) and n not in TIED_KEYS]


def train_head(model, features, labels, seed, epochs=4, batch_size=512, lr=2e-3, max_steps=None):
    """Train the head on cached features with cross-entropy on raw logits (course_lib.core.training.fit, AdamW, one-cycle)."""
    for p in model.parameters():
        p.requires_grad_(False)
    for p in head_parameters(model):
        p.requires_grad_(True)
    per_epoch = (len(labels) + batch_size - 1) // batch_size
    head = model.cls
    head.train()
    losses = fit(head_parameters(model), lambda idx: torch.nn.functional.cross_entropy(head(features[idx]), labels[idx]),
                      tqdm(shuffled_batches(len(labels), batch_size, epochs, seed), total=epochs * per_epoch, mininterval=5),
                      lr=lr, optimizer=torch.optim.AdamW, weight_decay=0.01, max_steps=max_steps,
                      schedule=lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * per_epoch,
                                                                               pct_start=0.1))
    for epoch in range(0, len(losses), per_epoch):
        print(f"epoch {epoch // per_epoch + 1}: mean batch loss {sum(losses[epoch:epoch + per_epoch]) / len(losses[epoch:epoch + per_epoch]):.3f}")
    head.eval()


def head_state(model) -> dict:
    """The head weights under their BertForMaskedLM state_dict names (tied decoder weight left out).

    cls.predictions.decoder.bias IS cls.predictions.bias (tied); both names are saved (as copies, since
    safetensors refuses shared tensors) so that neither is reported missing when the overlay loads.
    """
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()
            if k.startswith(HEAD_PREFIX) and k not in TIED_KEYS}


def show_examples(model, tokenizer, texts):
    """Print the top-5 guesses for a few masked sentences."""
    for text in texts:
        guesses = [[g["token_str"] for g in per_mask] for per_mask in fill_mask_by_hand(text, tokenizer, model, "cpu")]
        print(f"  {text:45} -> {guesses}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--passes", type=int, default=1, help="masking passes over the training sentences")
    parser.add_argument("--movie", type=int, default=3000, help="training sentences from the movie reviews")
    parser.add_argument("--snli", type=int, default=3000, help="training sentences from SNLI")
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--cache", help="optional .pt file: reuse (or write) the cached masked features")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many optimizer steps (smoke runs)")
    parser.add_argument("--heldout", type=int, default=400, help="held-out sentences for the metrics")
    args = parser.parse_args()

    seed_everything(args.seed)
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir())
    model = AutoModelForMaskedLM.from_pretrained(minilm_dir(), use_safetensors=True).eval()
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight, "decoder must stay tied"
    sentences = mlm_sentences(seed=args.seed, heldout=args.heldout, movie_sentences=args.movie, snli_sentences=args.snli)
    print(f"sentences: {len(sentences['train'])} train, {len(sentences['heldout'])} held out")
    examples = [f"the movie was {tokenizer.mask_token}.", f"a man is playing the {tokenizer.mask_token}.",
                f"the capital of france is {tokenizer.mask_token}.", f"two dogs are {tokenizer.mask_token} in the snow."]

    baseline = masked_token_accuracy(model, tokenizer, sentences["heldout"], "cpu", seed=args.seed)
    print(f"untrained head: top1 {baseline['top1']:.3f} top5 {baseline['top5']:.3f} on {baseline['masked_tokens']} masked tokens")
    if args.cache and Path(args.cache).exists():
        features, labels = torch.load(args.cache)
    else:
        features, labels = cache_masked_features(model, tokenizer, sentences["train"], args.seed, passes=args.passes)
        if args.cache:
            torch.save((features, labels), args.cache)
    frequent = torch.bincount(labels, minlength=len(tokenizer)).topk(5).indices
    print(f"cached {len(labels)} masked positions; most frequent targets: {tokenizer.convert_ids_to_tokens(frequent.tolist())}")

    train_head(model, features, labels, args.seed, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
               max_steps=args.max_steps)
    metrics = masked_token_accuracy(model, tokenizer, sentences["heldout"], "cpu", seed=args.seed)
    freq_top1 = frequency_baseline(tokenizer, sentences["heldout"], frequent.tolist(), args.seed)
    print(f"trained head:   top1 {metrics['top1']:.3f} top5 {metrics['top5']:.3f} on {metrics['masked_tokens']} masked tokens")
    print(f"always guessing the 5 most frequent training targets: top1 {freq_top1['top1']:.3f} top5 {freq_top1['top5']:.3f}")
    show_examples(model, tokenizer, examples)
    if args.no_save:
        return
    HEADS_DIR.mkdir(exist_ok=True)
    save_file(head_state(model), HEADS_DIR / "mlm_head.safetensors")
    sidecar = {
        "model_class": "BertForMaskedLM",
        "config": {},
        "metrics": {"top1": round(metrics["top1"], 4), "top5": round(metrics["top5"], 4),
                    "baseline_untrained_top1": round(baseline["top1"], 4), "baseline_untrained_top5": round(baseline["top5"], 4),
                    "baseline_most_frequent_top1": round(freq_top1["top1"], 4), "baseline_most_frequent_top5": round(freq_top1["top5"], 4),
                    "heldout_sentences": len(sentences["heldout"]), "heldout_masked_tokens": metrics["masked_tokens"],
                    "train_sentences": len(sentences["train"]), "train_masked_positions": len(labels)},
        "script": "scripts/train_pocket_mlm_head.py",
        "description": ("MLM head (transform dense + LayerNorm + output bias) trained on cached, frozen MiniLM features of "
                        "BERT-masked movie-review and SNLI sentences; the decoder is tied to MiniLM's word embeddings. "
                        f"seed={args.seed}, epochs={args.epochs}, passes={args.passes}, movie={args.movie}, snli={args.snli}. Metrics: held-out sentences, "
                        "15% of tokens replaced by [MASK]."),
    }
    (HEADS_DIR / "mlm_head.json").write_text(json.dumps(sidecar, indent=2) + "\n")
    print(f"saved {HEADS_DIR / 'mlm_head.safetensors'} and mlm_head.json")


if __name__ == "__main__":
    main()
