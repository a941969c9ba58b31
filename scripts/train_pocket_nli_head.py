"""Train the pocket NLI head: a MiniLM cross-encoder on SNLI, loadable as the "nli" role.

The result loads exactly like facebook/bart-large-mnli does in the full profile:
`session.load_model("nli", AutoModelForSequenceClassification)` gives a
BertForSequenceClassification with id2label {0: entailment, 1: neutral, 2: contradiction},
so the zero-shot pipeline and the by-hand code of lesson 05 run unchanged.

Cheap on a CPU: the bottom layers stay frozen, so their outputs (hidden states after
layer k, with the attention masks) are computed once and cached; only the top layer(s),
the pooler and the classifier are trained on that cache. Only the trained weights are
saved (fp16) to course_lib/pocket_heads/nli_head.safetensors, with a JSON sidecar.

    HF_HUB_OFFLINE=1 python scripts/train_pocket_nli_head.py   # ~7 min on 2 idle CPU cores; SNLI test 75.5%

Seeded and deterministic: two runs give bit-identical weights.
"""
import argparse
import json
import time
from pathlib import Path

import torch
from safetensors.torch import save_file
from tqdm.auto import tqdm
from transformers import AutoTokenizer, BertForSequenceClassification, get_linear_schedule_with_warmup

from course_lib.core.checkpoints import HEADS_DIR, minilm_dir
from course_lib.core.data import NLI_LABELS, load_snli
from course_lib.core.training import fit
from course_lib.core.session import seed_everything

CONFIG = {"num_labels": 3, "id2label": dict(enumerate(NLI_LABELS)), "label2id": {n: i for i, n in enumerate(NLI_LABELS)}}


def parse_args():
    """Command-line options (the defaults made the committed head)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-pairs", type=int, default=20000)
    parser.add_argument("--test-pairs", type=int, default=None, help="default: the whole SNLI test split")
    parser.add_argument("--trained-layers", type=int, default=2, help="top encoder layers to train")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest on a busy machine)")
    parser.add_argument("--out", default=str(HEADS_DIR / "nli_head"))
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many optimizer steps (smoke runs)")
    return parser.parse_args()


def length_batches(tokenizer, pairs, batch_size):
    """Tokenize premise/hypothesis pairs in batches of similar length (little padding)."""
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i]["premise"]) + len(pairs[i]["hypothesis"]))
    for start in range(0, len(order), batch_size):
        rows = [pairs[i] for i in order[start:start + batch_size]]
        batch = tokenizer([r["premise"] for r in rows], [r["hypothesis"] for r in rows],
                          padding=True, truncation=True, max_length=128, return_tensors="pt")
        batch["labels"] = torch.tensor([r["label"] for r in rows])
        yield batch


@torch.no_grad()
def cache_frozen_states(model, tokenizer, pairs, frozen_layers, batch_size):
    """Hidden states after the frozen bottom layers (fp16), per length-sorted batch."""
    model.eval()
    cache = []
    for batch in tqdm(list(length_batches(tokenizer, pairs, batch_size)), desc=f"cache layers 0-{frozen_layers - 1}"):
        out = model.bert(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                         token_type_ids=batch["token_type_ids"], output_hidden_states=True)
        cache.append((out.hidden_states[frozen_layers].half(), batch["attention_mask"], batch["labels"]))
    return cache


def additive_mask(attention_mask, dtype):
    """[batch, 1, 1, keys] attention mask for an encoder layer: 0 on real tokens, the dtype's minimum on [PAD]."""
    return (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def top_logits(model, hidden, attention_mask, frozen_layers):
    """Run the top layers, pooler, dropout and classifier on cached hidden states."""
    mask = additive_mask(attention_mask, hidden.dtype)
    for layer in model.bert.encoder.layer[frozen_layers:]:
        hidden = layer(hidden, mask)
    return model.classifier(model.dropout(model.bert.pooler(hidden)))


def trained_parameter_names(model, frozen_layers):
    """State-dict names of the weights this script trains (top layers, pooler, classifier)."""
    prefixes = [f"bert.encoder.layer.{i}." for i in range(frozen_layers, model.config.num_hidden_layers)]
    prefixes += ["bert.pooler.", "classifier."]
    return [n for n, _ in model.named_parameters() if any(n.startswith(p) for p in prefixes)]


def cached_batches(cache, epochs, seed):
    """The cached batches in a seeded new order each epoch, with a progress bar."""
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        order = torch.randperm(len(cache), generator=generator).tolist()
        yield from (cache[i] for i in tqdm(order, desc=f"epoch {epoch + 1}/{epochs}", mininterval=5))


def batch_loss(model, batch, frozen_layers):
    """Cross-entropy of the top layers' logits on one cached batch (raw logits: no softmax first)."""
    hidden, attention_mask, labels = batch
    return torch.nn.functional.cross_entropy(top_logits(model, hidden.float(), attention_mask, frozen_layers), labels)


def train(model, cache, frozen_layers, names, epochs, lr, seed, max_steps=None):
    """AdamW with linear warm-up/decay and gradient clipping on the cached batches (course_lib.core.training.fit)."""
    for name, param in model.named_parameters():
        param.requires_grad = name in names
    steps = epochs * len(cache)
    model.train()
    losses = fit(model.parameters(), lambda batch: batch_loss(model, batch, frozen_layers),
                      cached_batches(cache, epochs, seed), lr=lr, optimizer=torch.optim.AdamW, weight_decay=0.01,
                      schedule=lambda opt: get_linear_schedule_with_warmup(opt, int(0.06 * steps), steps),
                      clip_norm=1.0, max_steps=max_steps)
    model.eval()
    print(f"{len(losses)} steps; mean loss of the last 100: {sum(losses[-100:]) / len(losses[-100:]):.3f}")


@torch.no_grad()
def round_to_fp16(model, names):
    """Round the trained weights to fp16 (the storage format) so the test accuracy is that of the saved head."""
    for name in names:
        param = model.get_parameter(name)
        param.copy_(param.half().float())


@torch.no_grad()
def accuracy(model, tokenizer, pairs, batch_size=64):
    """Accuracy of the full model (ordinary forward pass, as users load it) on NLI pairs."""
    model.eval()
    correct = 0
    for batch in tqdm(list(length_batches(tokenizer, pairs, batch_size)), desc="test"):
        labels = batch.pop("labels")
        correct += (model(**batch).logits.argmax(-1) == labels).sum().item()
    return correct / len(pairs)


def save_head(model, names, out, metrics, args):
    """Save only the trained weights (fp16) and the sidecar JSON the pocket loader reads."""
    state = {n: t.detach().to(torch.float16).contiguous() for n, t in model.state_dict().items() if n in names}
    save_file(state, f"{out}.safetensors")
    sidecar = {
        "model_class": "BertForSequenceClassification",
        "config": {**CONFIG, "id2label": {str(k): v for k, v in CONFIG["id2label"].items()}},
        "metrics": metrics,
        "script": "scripts/train_pocket_nli_head.py",
        "training": {k: v for k, v in vars(args).items() if k != "out"},
        "description": (f"all-MiniLM-L6-v2 as an NLI cross-encoder: layers 0-{args_frozen(args) - 1} frozen (pretrained), "
                        f"layers {args_frozen(args)}-5 + pooler + classifier trained on {args.train_pairs:,} SNLI train pairs "
                        f"for {args.epochs} epoch(s); weights stored in fp16."),
    }
    Path(f"{out}.json").write_text(json.dumps(sidecar, indent=2) + "\n")


def args_frozen(args):
    """Number of frozen bottom layers (MiniLM has 6)."""
    return 6 - args.trained_layers


def main():
    args = parse_args()
    started = time.perf_counter()
    seed_everything(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir())
    model = BertForSequenceClassification.from_pretrained(minilm_dir(), use_safetensors=True, **CONFIG)
    frozen = args_frozen(args)
    train_pairs = list(load_snli("train", limit=args.train_pairs, seed=args.seed))
    test_pairs = list(load_snli("test", limit=args.test_pairs, seed=args.seed))
    cache = cache_frozen_states(model, tokenizer, train_pairs, frozen, args.batch_size)
    names = trained_parameter_names(model, frozen)
    train(model, cache, frozen, names, args.epochs, args.lr, args.seed, args.max_steps)
    round_to_fp16(model, names)  # measure exactly the weights that are saved
    test_accuracy = accuracy(model, tokenizer, test_pairs)
    minutes = (time.perf_counter() - started) / 60
    metrics = {"snli_test_accuracy": round(test_accuracy, 4), "snli_test_pairs": len(test_pairs),
               "snli_train_pairs": len(train_pairs), "chance_accuracy": round(1 / 3, 4),
               "training_minutes_2_cpu_cores": round(minutes, 1)}
    save_head(model, names, args.out, metrics, args)
    print(f"SNLI test accuracy: {test_accuracy:.1%} on {len(test_pairs):,} pairs (chance 33.3%)")
    print(f"trained {sum(model.get_parameter(n).numel() for n in names):,} parameters in {minutes:.1f} min; saved {args.out}.safetensors")


if __name__ == "__main__":
    main()
