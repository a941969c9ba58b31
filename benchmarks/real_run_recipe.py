"""Could lesson 06's real run clear 85% on the pocket test split in fewer CPU seconds? (The README's answer.)

    python benchmarks/real_run_recipe.py                      # the grid in the README (~60 min, 1 thread)
    python benchmarks/real_run_recipe.py mean:4000:3e-4:0 pooler:8000:1e-4:0

Each run: the pocket MiniLM, full fine-tuning (every weight) for one epoch with course_lib.train, batch 32,
the first ROWS training rows, seed SEED; then accuracy on all 1,500 test rows. HEAD is `pooler`
(AutoModelForSequenceClassification, which reads BERT's pooler: the lesson's real run) or `mean` (a linear head
on the mask-aware mean of the token vectors; MiniLM's pooler is untrained, lesson 02). One thread, so the seconds compare across runs.
This is a benchmark, not a test: times depend on the machine.
"""
import sys
import time

import torch
from torch import nn
from transformers import AutoModel, AutoModelForSequenceClassification
from transformers.modeling_outputs import SequenceClassifierOutput

import course_lib
from course_lib.core.freezing import freeze
from course_lib.core.tensors import mean_pool
from course_lib.core.training import evaluate, train

# The lesson's recipe (pooler, 6,000 rows, lr 2e-4) and the cheaper ones tried beside it, two seeds each.
GRID = ["pooler:4000:2e-4:0", "pooler:4000:2e-4:1", "mean:4000:2e-4:1", "pooler:6000:2e-4:0", "pooler:6000:2e-4:1"]


class MeanPoolClassifier(nn.Module):
    """A linear head on the mask-aware mean of the token vectors (MiniLM was trained for mean-pooled sentence vectors)."""

    def __init__(self, encoder, num_labels=2):
        super().__init__()
        self.encoder, self.num_labels = encoder, num_labels
        self.dropout = nn.Dropout(encoder.config.hidden_dropout_prob)
        self.head = nn.Linear(encoder.config.hidden_size, num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
        return SequenceClassifierOutput(logits=self.head(self.dropout(mean_pool(hidden, attention_mask))))


def run(session, tokenizer, data, head: str, rows: int, lr: float, seed: int) -> tuple[float, float]:
    """Test accuracy and training seconds of one recipe."""
    course_lib.seed_everything(seed)
    if head == "mean":
        model = MeanPoolClassifier(session.load_model("encoder", AutoModel, add_pooling_layer=False))
    else:
        model = session.load_model("encoder", AutoModelForSequenceClassification, num_labels=2)
    freeze(model, "full")
    start = time.perf_counter()
    train(model, data["train"].select(range(rows)), data["validation"], tokenizer, device="cpu", epochs=1, lr=lr,
          batch_size=32, seed=seed, plot=False, progress=False)
    seconds = time.perf_counter() - start
    return evaluate(model, data["test"], "cpu", tokenizer)["accuracy"], seconds


def main(specs: list[str]) -> None:
    torch.set_num_threads(1)
    session = course_lib.setup(profile="pocket", device="cpu", verbose=False)
    tokenizer, data = session.load_tokenizer("encoder"), session.load_sentiment()
    print(f"{'head':7} {'rows':>6} {'lr':>7} {'seed':>4} {'test accuracy':>14} {'train s':>8}")
    for spec in specs:
        head, rows, lr, seed = spec.split(":")
        accuracy, seconds = run(session, tokenizer, data, head, int(rows), float(lr), int(seed))
        print(f"{head:7} {int(rows):>6,} {float(lr):>7g} {int(seed):>4} {accuracy:>14.1%} {seconds:>8.0f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or GRID)
