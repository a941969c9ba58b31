"""`train()`: one fine-tuning loop for every mode, on CPU or GPU(s), via 🤗 Accelerate.

It pads each batch dynamically and groups similar lengths, accumulates gradients, warms the learning
rate up then decays it linearly, evaluates every epoch and keeps the best weights. Ctrl-C stops cleanly:
the model and history so far are kept, and `train(..., state=result)` resumes where it stopped.
The loss is computed here, from raw logits, with cross-entropy (never softmax first).
"""
import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from datasets import Dataset
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import DataCollatorWithPadding, get_linear_schedule_with_warmup
from transformers.trainer_pt_utils import LengthGroupedSampler

from .device import supports_bf16
from .errors import CourseError
from .plots import LossPlot


@dataclass
class TrainState:
    """Everything a run leaves behind: history, best weights, and what is needed to resume."""

    history: list = field(default_factory=list)  # one dict per finished epoch
    losses: list = field(default_factory=list)  # (step, training loss) for every optimizer step
    epoch: int = 0  # epochs finished
    batches_done: int = 0  # batches finished in the current epoch
    step: int = 0  # optimizer steps so far
    best_accuracy: float = -1.0
    best_loss: float = float("inf")  # eval loss of the best epoch: breaks ties in accuracy
    best_weights: dict | None = None
    interrupted: bool = False
    seconds: float = 0.0
    optimizer: object = None
    scheduler: object = None
    accelerator: object = None
    model: object = None  # the model as prepared by Accelerate (wrapped for multi-GPU / mixed precision)
    plot: object = None


def num_labels_of(model) -> int:
    """How many classes the model predicts (`num_labels` attribute, else config.num_labels)."""
    return getattr(model, "num_labels", None) or model.config.num_labels


def check_labels(dataset, num_labels: int, what: str = "train_data") -> None:
    """Raise a CourseError when a dataset is empty or has a label outside 0..num_labels-1."""
    if dataset is None or len(dataset) == 0:
        raise CourseError(f"{what} is empty: there is nothing to train or evaluate on.",
                          "check the split you passed and any filter or select() applied to it.")
    labels = torch.as_tensor(list(dataset["label"]))
    bad = labels[(labels < 0) | (labels >= num_labels)]
    if len(bad):
        raise CourseError(
            f"{what} has label {int(bad[0])} ({len(bad)} bad rows), but the model has num_labels={num_labels} "
            f"(valid labels 0..{num_labels - 1}). A label of -1 means an unlabeled split.",
            "use a labeled split (carve validation out of train), or load the model with the right num_labels.")


def mixed_precision_for(device: torch.device) -> str:
    """bf16 on GPUs that support it, fp16 (with a GradScaler) on other GPUs, plain fp32 elsewhere."""
    if device.type != "cuda":
        return "no"
    return "bf16" if supports_bf16(device) else "fp16"


def tokenize(dataset, tokenizer, max_length: int = 128):
    """Tokenize a `text` (or `premise`/`hypothesis`) dataset without padding: padding happens per batch."""
    if "input_ids" in dataset.column_names or "features" in dataset.column_names:
        return dataset
    columns = ["premise", "hypothesis"] if "premise" in dataset.column_names else ["text"]
    encodings = tokenizer(*[list(dataset[c]) for c in columns], truncation=True, max_length=max_length)
    return Dataset.from_dict({**encodings, "label": list(dataset["label"])})


def make_loader(dataset, tokenizer, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    """Batches padded to their longest row (DataCollatorWithPadding); shuffled ones grouped by length."""
    if "features" in dataset.column_names:  # cached features: fixed size, nothing to pad
        return DataLoader(dataset.with_format("torch"), batch_size=batch_size, shuffle=shuffle,
                          generator=torch.Generator().manual_seed(seed))
    sampler = None
    if shuffle:
        lengths = [len(ids) for ids in list(dataset["input_ids"])]
        sampler = LengthGroupedSampler(batch_size, lengths=lengths, generator=torch.Generator().manual_seed(seed))
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, collate_fn=DataCollatorWithPadding(tokenizer))


def logits_of(model, batch: dict) -> torch.Tensor:
    """Run the model on a batch (without labels) and return raw logits."""
    inputs = {k: v for k, v in batch.items() if k not in ("labels", "label")}
    output = model(**inputs)
    return output.logits if hasattr(output, "logits") else output


def labels_of(batch: dict) -> torch.Tensor:
    """The label tensor of a batch (`labels` from the collator, `label` from cached features)."""
    return batch["labels"] if "labels" in batch else batch["label"]


@torch.no_grad()
def evaluate(model, dataset, device, tokenizer=None, batch_size: int = 64, max_length: int = 128) -> dict:
    """Mean cross-entropy loss and accuracy of `model` on a labeled dataset."""
    check_labels(dataset, num_labels_of(model), "eval_data")
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    for batch in make_loader(tokenize(dataset, tokenizer, max_length), tokenizer, batch_size, shuffle=False):
        batch = {k: v.to(device) for k, v in batch.items()}
        logits, labels = logits_of(model, batch).float(), labels_of(batch)
        total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
        correct += (logits.argmax(-1) == labels).sum().item()
        count += len(labels)
    return {"loss": total_loss / count, "accuracy": correct / count}


FUSED_ADAMW_DEVICES = ("cpu", "cuda", "mps")  # where torch.optim.AdamW(fused=True) has a kernel


def make_optimizer(parameters, lr: float, weight_decay: float, device: torch.device) -> torch.optim.AdamW:
    """torch.optim.AdamW; fused (one kernel for all weights, ~5x faster steps on CPU) where PyTorch has the kernel."""
    return torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay, fused=device.type in FUSED_ADAMW_DEVICES)


def new_state(model, loader, epochs, lr, weight_decay, warmup, grad_accum, device) -> TrainState:
    """A fresh run: Accelerator, torch.optim.AdamW on the trainable parameters, linear warmup schedule, all prepared."""
    accelerator = Accelerator(cpu=device.type == "cpu", mixed_precision=mixed_precision_for(device),
                              gradient_accumulation_steps=grad_accum)
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise CourseError("No parameter is trainable: everything is frozen.",
                          "unfreeze something, e.g. course_lib.freezing.freeze(model, 'head_only').")
    optimizer = make_optimizer(trainable, lr, weight_decay, device)
    total_steps = math.ceil(len(loader) / grad_accum) * epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(warmup * total_steps), total_steps)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    return TrainState(optimizer=optimizer, scheduler=scheduler, accelerator=accelerator, model=model)


def train_one_batch(model, batch: dict, state: TrainState) -> float:
    """Forward, cross-entropy on raw logits, backward; step the optimizer when the accumulation is complete."""
    accelerator = state.accelerator
    with accelerator.accumulate(model):
        loss = F.cross_entropy(logits_of(model, batch).float(), labels_of(batch))
        accelerator.backward(loss)
        if accelerator.sync_gradients:
            accelerator.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        state.optimizer.step()
        state.scheduler.step()
        state.optimizer.zero_grad()
    return loss.item()


def improves(scores: dict, state: TrainState) -> bool:
    """Higher eval accuracy, or the same accuracy with a lower eval loss (on tiny eval sets accuracy ties a lot)."""
    return (scores["accuracy"], -scores["loss"]) > (state.best_accuracy, -state.best_loss)


def end_epoch(model, state: TrainState, eval_data, tokenizer, device, batch_size, max_length, train_losses, seconds):
    """Evaluate, record the epoch in the history, and keep the weights if they are the best so far."""
    scores = evaluate(model, eval_data, device, tokenizer, batch_size * 2, max_length)
    state.epoch += 1
    state.batches_done = 0
    state.history.append({"epoch": state.epoch, "train_loss": sum(train_losses) / max(len(train_losses), 1),
                          "eval_loss": scores["loss"], "eval_accuracy": scores["accuracy"], "seconds": seconds})
    if state.plot is not None:
        state.plot.add(state.step, eval=scores["loss"])
    if improves(scores, state):
        state.best_accuracy, state.best_loss = scores["accuracy"], scores["loss"]
        weights = state.accelerator.unwrap_model(model).state_dict()
        state.best_weights = {k: v.detach().cpu().clone() for k, v in weights.items()}


def train(model, train_data, eval_data, tokenizer=None, *, device, epochs: int = 1, lr: float = 5e-5,
          batch_size: int = 32, grad_accum: int = 1, warmup: float = 0.1, weight_decay: float = 0.01,
          max_length: int = 128, seed: int = 0, plot: bool | LossPlot = True, plot_every: int = 10,
          callbacks=(), state: TrainState | None = None, progress: bool = True) -> TrainState:
    """Fine-tune the trainable parameters of `model`; returns a TrainState (history, best weights, resume info)."""
    device = torch.device(device)
    for data, what in ((train_data, "train_data"), (eval_data, "eval_data")):
        check_labels(data, num_labels_of(model), what)
    train_data = tokenize(train_data, tokenizer, max_length)
    loader = make_loader(train_data, tokenizer, batch_size, shuffle=True, seed=seed)
    state = state or new_state(model, loader, epochs, lr, weight_decay, warmup, grad_accum, device)
    if state.plot is None and plot:
        state.plot = plot if isinstance(plot, LossPlot) else LossPlot(every=plot_every)
    state.interrupted = False
    try:
        run_epochs(state.model, train_data, eval_data, tokenizer, state, epochs, batch_size, max_length, seed,
                   callbacks, progress)
    except KeyboardInterrupt:
        state.interrupted = True
        print(f"Interrupted after {state.epoch} epoch(s) + {state.batches_done} batch(es): the model and history are kept. "
              "Resume with train(..., state=<this result>).")
    model = state.accelerator.unwrap_model(state.model)
    if not state.interrupted and state.best_weights is not None:
        model.load_state_dict(state.best_weights)
    if state.plot is not None and state.plot.live:
        state.plot.redraw()
    return state


def run_epochs(model, train_data, eval_data, tokenizer, state, epochs, batch_size, max_length, seed,
               callbacks, progress):
    """The loop itself: epochs of batches, resuming mid-epoch when the state says so."""
    device = state.accelerator.device
    while state.epoch < epochs:
        loader = make_loader(train_data, tokenizer, batch_size, shuffle=True, seed=seed + state.epoch)
        loader = state.accelerator.prepare(loader)
        start, losses = time.perf_counter(), []
        bar = tqdm(total=len(loader), initial=state.batches_done, desc=f"epoch {state.epoch + 1}/{epochs}",
                   disable=not progress, leave=False)
        model.train()
        for batch in state.accelerator.skip_first_batches(loader, state.batches_done):
            losses.append(train_one_batch(model, batch, state))
            state.step += 1
            state.batches_done += 1
            state.losses.append((state.step, losses[-1]))
            if state.plot is not None:
                state.plot.add(state.step, train=losses[-1])
            bar.update(1)
            for callback in callbacks:
                callback(state)
        bar.close()
        state.seconds += time.perf_counter() - start
        end_epoch(model, state, eval_data, tokenizer, device, batch_size, max_length, losses,
                  time.perf_counter() - start)
