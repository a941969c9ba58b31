"""The training engine: one loop for every fine-tuning in the course, on tokens or on cached hidden states.

`train(model, train_data, eval_data, tokenizer, device=...)` trains the trainable parameters of `model`: batches
padded to their longest row and grouped by length, cross-entropy on raw logits (never softmax first), AdamW with
a linear warmup then decay, gradient clipping, the device's precision (`course_lib.core.precision`), evaluation
after every epoch and the best epoch's weights restored at the end. The seed sets the new head's batches *and*
dropout, so the same seed gives the same run. Ctrl-C stops cleanly: the model and the history so far are kept,
and `train(..., state=result)` resumes; `train(..., state=result, epochs=more)` trains on, with the schedule
stretched to the new last epoch.

Data can be a 🤗 Dataset of text (tokenized here), a tokenized Dataset, a Dataset of fixed-size `features`, or
cached hidden states (`course_lib.core.cached`) for `TopLayers`. `fit()` uses the same update rule for the few
helpers that train a small head on inputs computed once, with a loss of their own.

Under `accelerate launch` with several processes (course_lib/lessons/finetune.py), 🤗 Accelerate's public API
wraps the model for DistributedDataParallel, gives each process its shard of the batches and gathers the
evaluation; in one process Accelerate is not used at all.
"""
import itertools
import math
import os
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from .batches import inputs_of, labels_of, make_loader, scoring_loader, tokenize
from .errors import CourseError
from .gpu import now
from .plots import LossPlot
from .precision import autocast_for, grad_scaler_for
from .session import seed_everything
from .validation import check_evaluate_call, check_labels, check_train_call, num_labels_of

FUSED_ADAMW_DEVICES = ("cpu", "cuda", "mps")  # where torch.optim.AdamW(fused=True) has a kernel


def make_optimizer(parameters, lr: float, weight_decay: float = 0.01, device="cpu", kind=torch.optim.AdamW):
    """The optimizer factory: AdamW by default, fused (one kernel for all weights, ~5x faster steps) where it exists."""
    parameters = [p for p in parameters if p.requires_grad]
    if not parameters:
        raise CourseError("No parameter is trainable: everything is frozen.",
                          "unfreeze something, e.g. course_lib.core.freezing.freeze(model, 'head_only').")
    fused = kind in (torch.optim.AdamW, torch.optim.Adam) and torch.device(device).type in FUSED_ADAMW_DEVICES
    return kind(parameters, lr=lr, weight_decay=weight_decay, **({"fused": True} if fused else {}))


class Updater:
    """The one update rule: backward (loss-scaled in fp16), clip the gradient norm, optimizer step, schedule step."""

    def __init__(self, optimizer, scheduler=None, device="cpu", clip_norm: float | None = 1.0):
        self.optimizer, self.scheduler, self.clip_norm = optimizer, scheduler, clip_norm
        self.parameters = [p for group in optimizer.param_groups for p in group["params"]]
        self.scaler = grad_scaler_for(device)

    def backward(self, loss: torch.Tensor) -> None:
        """Add this loss's gradients (scaled up in fp16, so small ones do not underflow to 0)."""
        self.scaler.scale(loss).backward()

    def step(self) -> None:
        """Apply the summed gradients: unscale, clip, step (skipped by the scaler if they overflowed), schedule."""
        if self.clip_norm is not None:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.parameters, self.clip_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.scheduler is not None:
            self.scheduler.step()
        self.optimizer.zero_grad()


def fit(parameters, loss_of, batches, *, lr: float, optimizer=torch.optim.AdamW, weight_decay: float = 0.0,
        schedule=None, clip_norm: float | None = None, max_steps: int | None = None, device="cpu") -> list[float]:
    """Minimise `loss_of(batch)` over `batches` with the engine's update rule; the loss of every step.

    For small heads trained on inputs computed once (a linear probe, a span head): no epochs, no evaluation.
    `schedule(optimizer)` may return a learning-rate scheduler; `max_steps` stops early.
    """
    from .validation import check_positive

    check_positive(lr, "lr", 1e-3, integer=False)
    opt = make_optimizer(parameters, lr, weight_decay, device, optimizer)
    updater = Updater(opt, schedule(opt) if schedule else None, device, clip_norm)
    losses = []
    for batch in itertools.islice(batches, max_steps):
        loss = loss_of(batch)
        updater.backward(loss)
        updater.step()
        losses.append(loss.item())
    return losses


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
    updater: Updater | None = None
    model: object = None  # the model as trained: DistributedDataParallel-wrapped under several processes
    processes: object = None  # an accelerate.Accelerator under `accelerate launch` with several processes, else None
    plot: object = None
    epochs: int = 0  # the epochs the learning-rate schedule is planned for (it reaches 0 at their end)
    warmup_steps: int = 0
    seed: int = 0

    @property
    def optimizer(self):
        """The optimizer (None once released)."""
        return self.updater.optimizer if self.updater else None


def several_processes() -> bool:
    """True under `accelerate launch` (or torchrun) with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def unwrapped(state: TrainState):
    """The plain model of a state (without the DistributedDataParallel wrapper)."""
    return state.processes.unwrap_model(state.model) if state.processes is not None else state.model


def steps_per_epoch(batches: int, grad_accum: int, processes: int = 1) -> int:
    """Optimizer steps one process takes in an epoch of `batches` batches shared by `processes` processes (the
    last, partial accumulation also steps)."""
    return math.ceil(math.ceil(batches / processes) / grad_accum)


def new_state(model, batches, epochs, lr, weight_decay, warmup, grad_accum, device, seed) -> TrainState:
    """A fresh run: AdamW on the trainable parameters, linear warmup/decay, loss scaling where fp16 needs it."""
    processes = None
    if several_processes():
        from accelerate import Accelerator

        processes = Accelerator(cpu=device.type == "cpu")
        model = processes.prepare_model(model)
        device = processes.device
    optimizer = make_optimizer(model.parameters(), lr, weight_decay, device)
    total_steps = steps_per_epoch(batches, grad_accum, processes.num_processes if processes else 1) * epochs
    warmup_steps = int(warmup * total_steps)
    scheduler = get_linear_schedule_with_warmup(optimizer, warmup_steps, total_steps)
    return TrainState(updater=Updater(optimizer, scheduler, device), model=model, processes=processes,
                      epochs=epochs, warmup_steps=warmup_steps, seed=seed)


def extend_schedule(state: TrainState, batches: int, epochs: int, grad_accum: int) -> None:
    """Resuming for more epochs than planned: stretch the linear decay so it reaches 0 at the new last epoch.

    Without this the schedule has already ended and the extra epochs would train at learning rate 0.
    """
    optimizer, done = state.updater.optimizer, state.updater.scheduler.last_epoch
    total_steps = steps_per_epoch(batches, grad_accum, state.processes.num_processes if state.processes else 1) * epochs
    for group in optimizer.param_groups:  # the new schedule starts from the base rate, as the old one did
        group["lr"] = group["initial_lr"]
    # last_epoch = steps done - 1: the constructor takes one step, landing on the current step's learning rate
    state.updater.scheduler = get_linear_schedule_with_warmup(optimizer, state.warmup_steps, total_steps,
                                                              last_epoch=done - 1)
    print(f"Note: resuming for {epochs} epochs in all ({epochs - state.epoch} more than done); the learning rate "
          f"now decays to 0 at the end of epoch {epochs} (it is {optimizer.param_groups[0]['lr']:.2g} now).")
    state.epochs = epochs


def batch_loss(model, batch: dict, device) -> torch.Tensor:
    """Forward in the device's precision, then cross-entropy on the raw logits (in fp32)."""
    batch = {k: v.to(device) for k, v in batch.items()}
    with autocast_for(device):
        logits = logits_of(model, batch)
    return F.cross_entropy(logits.float(), labels_of(batch))


def logits_of(model, batch: dict) -> torch.Tensor:
    """Run the model on a batch (without labels) and return raw logits."""
    output = model(**inputs_of(batch))
    return output.logits if hasattr(output, "logits") else output


@torch.no_grad()
def scores_on(model, data, tokenizer, device, batch_size: int = 64, processes=None) -> dict:
    """Loss, accuracy, row count and per-row correctness (in row order) of `model` on labeled `data`.

    With several processes each one scores its shard and `gather_for_metrics` collects every row (dropping the
    rows repeated to even out the shards); per-row correctness is then not returned.
    """
    model.eval()
    loader, order = scoring_loader(data, tokenizer, batch_size)
    if processes is not None:
        loader, device = processes.prepare_data_loader(loader), processes.device
    losses, hits = [], []
    for batch in loader:
        batch = {k: v.to(device) for k, v in batch.items()}
        with autocast_for(device):
            logits = logits_of(model, batch)
        logits, labels = logits.float(), labels_of(batch)
        loss, hit = F.cross_entropy(logits, labels, reduction="none"), logits.argmax(-1) == labels
        if processes is not None:
            loss, hit = processes.gather_for_metrics((loss, hit))
        losses.append(loss.cpu())
        hits.append(hit.cpu())
    loss, hit = torch.cat(losses).double(), torch.cat(hits)
    scores = {"loss": loss.sum().item() / len(loss), "accuracy": hit.sum().item() / len(hit), "rows": len(hit)}
    if processes is None:
        correct = torch.empty(len(hit), dtype=torch.bool)
        correct[torch.tensor(order)] = hit
        scores["correct"] = correct
    return scores


def evaluate(model, dataset, device, tokenizer=None, batch_size: int = 64, max_length: int = 128) -> dict:
    """Mean cross-entropy loss, accuracy, row count and per-row `correct` of `model` on a labeled dataset."""
    device = check_evaluate_call(model, dataset, device, tokenizer, batch_size, max_length)
    check_labels(dataset, num_labels_of(model), "eval_data")
    return scores_on(model, tokenize(dataset, tokenizer, max_length), tokenizer, device, batch_size)


def improves(scores: dict, state: TrainState) -> bool:
    """Higher eval accuracy, or the same accuracy with a lower eval loss (on tiny eval sets accuracy ties a lot)."""
    return (scores["accuracy"], -scores["loss"]) > (state.best_accuracy, -state.best_loss)


def mean_over_processes(values: list, state: TrainState, device) -> float:
    """The mean of this process's `values`, averaged over every process (one process: just the mean)."""
    mean = sum(values) / max(len(values), 1)
    if state.processes is None:
        return mean
    return state.processes.reduce(torch.tensor(mean, device=device), reduction="mean").item()


def end_epoch(state: TrainState, eval_data, tokenizer, batch_size, device, train_losses, seconds) -> None:
    """Evaluate (every process's shard), record the epoch, and keep the weights if they are the best so far."""
    scores = scores_on(state.model, eval_data, tokenizer, device, batch_size, state.processes)
    state.epoch += 1
    state.batches_done = 0
    state.history.append({"epoch": state.epoch, "train_loss": mean_over_processes(train_losses, state, device),
                          "eval_loss": scores["loss"], "eval_accuracy": scores["accuracy"], "seconds": seconds})
    if state.plot is not None:
        state.plot.add(state.step, eval=scores["loss"])
    if improves(scores, state):
        state.best_accuracy, state.best_loss = scores["accuracy"], scores["loss"]
        state.best_weights = {k: v.detach().cpu().clone() for k, v in unwrapped(state).state_dict().items()}


def run_epoch(state: TrainState, loader, grad_accum: int, device, callbacks, bar) -> list[float]:
    """One epoch of batches (resuming mid-epoch when the state says so); the training loss of every batch."""
    losses, model = [], state.model
    model.train()
    last = len(loader)
    for index, batch in enumerate(itertools.islice(loader, state.batches_done, None), start=state.batches_done):
        loss = batch_loss(model, batch, device)
        state.updater.backward(loss / grad_accum)
        if (index + 1) % grad_accum == 0 or index + 1 == last:
            state.updater.step()
            state.step += 1
        losses.append(loss.item())
        state.batches_done += 1
        state.losses.append((state.step, losses[-1]))
        if state.plot is not None:
            state.plot.add(state.step, train=losses[-1])
        bar.update(1)
        for callback in callbacks:
            callback(state)
    return losses


def train(model, train_data, eval_data, tokenizer=None, *, device, epochs: int = 1, lr: float = 5e-5,
          batch_size: int = 32, grad_accum: int = 1, warmup: float = 0.1, weight_decay: float = 0.01,
          max_length: int = 128, seed: int = 0, plot: bool | LossPlot = True, plot_every: int = 10,
          callbacks=(), state: TrainState | None = None, progress: bool = True) -> TrainState:
    """Fine-tune the trainable parameters of `model`; returns a TrainState (history, best weights, resume info)."""
    device = torch.device(check_train_call(model, train_data, eval_data, tokenizer, device, epochs=epochs, lr=lr,
                                           batch_size=batch_size, grad_accum=grad_accum, max_length=max_length))
    for data, what in ((train_data, "train_data"), (eval_data, "eval_data")):
        check_labels(data, num_labels_of(model), what)
    train_data, eval_data = tokenize(train_data, tokenizer, max_length), tokenize(eval_data, tokenizer, max_length)
    batches = len(make_loader(train_data, tokenizer, batch_size, shuffle=True))
    if state is not None and state.updater is None:
        raise CourseError("This training result was released (course_lib.core.gpu.release), so it cannot be resumed.",
                          "start a fresh run: train(...) without state=, or resume before releasing.")
    if state is not None and epochs <= state.epoch:
        print(f"Note: this run has already trained {state.epoch} epoch(s); pass epochs={state.epoch + 1} or more "
              "to train on (epochs counts from the start of the run).")
    elif state is not None and epochs > state.epochs:
        extend_schedule(state, batches, epochs, grad_accum)
    if state is None:
        state = new_state(model, batches, epochs, lr, weight_decay, warmup, grad_accum, device, seed)
        seed_everything(seed)  # after the model exists: the seed now sets dropout, not the new head
    if state.processes is not None:
        device = state.processes.device
    if state.plot is None and plot:
        state.plot = plot if isinstance(plot, LossPlot) else LossPlot(every=plot_every)
    state.interrupted = False
    main = state.processes is None or state.processes.is_local_main_process
    try:
        while state.epoch < epochs:
            loader = make_loader(train_data, tokenizer, batch_size, shuffle=True, seed=state.seed + state.epoch)
            if state.processes is not None:  # several processes: each gets its shard of the batches
                loader = state.processes.prepare_data_loader(loader)
            start = now(device)  # now() waits for the GPU, so the seconds are real
            with tqdm(total=len(loader), initial=state.batches_done, desc=f"epoch {state.epoch + 1}/{epochs}",
                      disable=not progress or not main, leave=False) as bar:
                losses = run_epoch(state, loader, grad_accum, device, callbacks, bar)
            seconds = now(device) - start
            state.seconds += seconds
            end_epoch(state, eval_data, tokenizer, 2 * batch_size, device, losses, seconds)
    except KeyboardInterrupt:
        state.interrupted = True
        print(f"Interrupted after {state.epoch} epoch(s) + {state.batches_done} batch(es): the model and history are "
              "kept. Resume with train(..., state=<this result>).")
    if not state.interrupted and state.best_weights is not None:
        unwrapped(state).load_state_dict(state.best_weights)
    unwrapped(state).eval()
    if state.plot is not None and state.plot.live:
        state.plot.redraw()
    return state
