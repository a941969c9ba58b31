"""`train()`: one fine-tuning loop for every mode, on CPU or GPU(s), via 🤗 Accelerate.

It pads each batch dynamically and groups similar lengths, accumulates gradients, warms the learning
rate up then decays it linearly, evaluates every epoch and keeps the best weights. Ctrl-C stops cleanly:
the model and history so far are kept, and `train(..., state=result)` resumes where it stopped;
`train(..., state=result, epochs=more)` trains on, with the schedule stretched to the new last epoch.
The loss is computed here, from raw logits, with cross-entropy (never softmax first).
Under `accelerate launch` (several processes, see course_lib/finetune.py) each process trains on its shard of
every epoch and evaluation gathers all shards, so the history is the same on every process.
"""
import contextlib
import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.state import AcceleratorState
from datasets import Dataset
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import DataCollatorWithPadding, get_linear_schedule_with_warmup
from transformers.trainer_pt_utils import LengthGroupedSampler

from .device import PRECISION_ENV, precision_setting, supports_bf16
from .errors import CourseError
from .gpu import now
from .plots import LossPlot
from .validation import check_evaluate_call, check_labels, check_train_call, num_labels_of


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
    epochs: int = 0  # the epochs the learning-rate schedule is planned for (it reaches 0 at their end)
    warmup_steps: int = 0


def mixed_precision_for(device) -> str:
    """Accelerate's mixed_precision for `device`: the one place the course decides precision.

    - CUDA with compute capability >= 8.0 (A100, L4, RTX 30xx/40xx, H100): "bf16", native bfloat16 tensor cores;
      no loss scaling needed (bf16 has fp32's exponent range).
    - older CUDA GPUs (T4 7.5, V100 7.0): "fp16" autocast with a GradScaler (loss scaling). bf16 would only be
      emulated there, slowly, even though `torch.cuda.is_bf16_supported()` says yes.
    - MPS (Apple GPUs): "no", plain fp32. Accelerate 1.15 would accept fp16 (torch >= 2.5) or bf16 (torch >= 2.6,
      macOS 14+) on MPS, but autocast there covers fewer ops, fp16 needs MPS's younger GradScaler, and memory is
      shared with the CPU, so there is no 16 GB wall to get under. fp32 is what every MPS op supports; the course
      chose correctness over a speed-up it cannot test.
    - CPU with AMX matrix units (Xeon "Sapphire Rapids" and newer): "bf16" autocast. Measured on a 2-core Xeon with
      AMX: course_lib.train 1.5x faster than fp32 (benchmarks/finetune_speed.py, 2 threads), lesson 06's real run
      1.7x faster at 1 thread and as accurate (README, "Precision").
    - other CPUs (most laptops): "no" (fp32); bf16 there is emulated and slower than fp32.
    - $COURSE_PRECISION=fp32: "no" everywhere.
    """
    device = torch.device(device)
    if precision_setting() == "fp32" or device.type == "mps":
        return "no"
    if device.type == "cpu":
        return "bf16" if supports_bf16(device) else "no"
    return "bf16" if supports_bf16(device) else "fp16"


def describe_precision(device) -> str:
    """One line for a lesson: which precision train() uses on `device`, and why."""
    device = torch.device(device)
    where = {"cuda": "this GPU", "mps": "Apple's GPU (MPS)", "cpu": "the CPU"}.get(device.type, device.type)
    precision = mixed_precision_for(device)
    if precision == "bf16":
        why = "native on this GPU" if device.type == "cuda" else "this CPU has AMX matrix units, native bf16"
        return f"train() on {where}: bf16 mixed precision ({why})"
    if precision == "fp16":
        return f"train() on {where}: fp16 mixed precision with loss scaling (this GPU has no native bf16)"
    if precision_setting() == "fp32":
        return f"train() on {where}: full fp32 precision ({PRECISION_ENV}=fp32)"
    if device.type == "cpu":
        return f"train() on {where}: full fp32 precision (no AMX: bf16 would be emulated, slower than fp32)"
    return f"train() on {where}: full fp32 precision"


AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast_for(device):
    """A torch.autocast context in the precision train() uses on `device` (a do-nothing context for fp32)."""
    precision = mixed_precision_for(device)
    if precision == "no":
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=AUTOCAST_DTYPES[precision])


def tokenize(dataset, tokenizer, max_length: int = 128):
    """Tokenize a `text` (or `premise`/`hypothesis`) dataset without padding: padding happens per batch."""
    if "input_ids" in dataset.column_names or "features" in dataset.column_names:
        return dataset
    columns = ["premise", "hypothesis"] if "premise" in dataset.column_names else ["text"]
    encodings = tokenizer(*[list(dataset[c]) for c in columns], truncation=True, max_length=max_length)
    return Dataset.from_dict({**encodings, "label": list(dataset["label"])})


def token_lengths(dataset) -> list[int]:
    """Tokens per row of a tokenized dataset or a tokenizer's output (its `input_ids`)."""
    return [len(ids) for ids in dataset["input_ids"]]


def by_length(dataset) -> list[int]:
    """Row indices of a tokenized dataset or tokenizer output, shortest first: similar lengths need little padding."""
    lengths = token_lengths(dataset)
    return sorted(range(len(lengths)), key=lengths.__getitem__)


def make_loader(dataset, tokenizer, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    """Batches padded to their longest row (DataCollatorWithPadding); shuffled ones grouped by length."""
    if "features" in dataset.column_names:  # cached features: fixed size, nothing to pad
        return DataLoader(dataset.with_format("torch"), batch_size=batch_size, shuffle=shuffle,
                          generator=torch.Generator().manual_seed(seed))
    sampler = None
    if shuffle:
        sampler = LengthGroupedSampler(batch_size, lengths=token_lengths(dataset),
                                       generator=torch.Generator().manual_seed(seed))
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, collate_fn=DataCollatorWithPadding(tokenizer))


def scoring_loader(dataset, tokenizer, batch_size: int) -> DataLoader:
    """Batches for scoring: rows sorted by length (a mean does not depend on order, padding does), padded per batch."""
    if "input_ids" in dataset.column_names:
        dataset = dataset.select(by_length(dataset))
    return make_loader(dataset, tokenizer, batch_size, shuffle=False)


def logits_of(model, batch: dict) -> torch.Tensor:
    """Run the model on a batch (without labels) and return raw logits."""
    inputs = {k: v for k, v in batch.items() if k not in ("labels", "label")}
    output = model(**inputs)
    return output.logits if hasattr(output, "logits") else output


def labels_of(batch: dict) -> torch.Tensor:
    """The label tensor of a batch (`labels` from the collator, `label` from cached features)."""
    return batch["labels"] if "labels" in batch else batch["label"]


def evaluate(model, dataset, device, tokenizer=None, batch_size: int = 64, max_length: int = 128) -> dict:
    """Mean cross-entropy loss and accuracy of `model` on a labeled dataset (in train()'s precision on a GPU)."""
    device = check_evaluate_call(model, dataset, device, tokenizer, batch_size, max_length)
    check_labels(dataset, num_labels_of(model), "eval_data")
    loader = scoring_loader(tokenize(dataset, tokenizer, max_length), tokenizer, batch_size)
    with autocast_for(device):
        scores = scores_on(model, loader, device)
    return {"loss": scores["loss"], "accuracy": scores["accuracy"]}


def evaluate_on_processes(state: TrainState, dataset, tokenizer=None, batch_size: int = 64, max_length: int = 128) -> dict:
    """Loss, accuracy and row count of a trained state's model, each process scoring its shard (gathered)."""
    loader = scoring_loader(tokenize(dataset, tokenizer, max_length), tokenizer, batch_size)
    return scores_on(state.model, loader, state.accelerator.device, state.accelerator)


@torch.no_grad()
def scores_on(model, loader, device, accelerator=None) -> dict:
    """Loss and accuracy over every row of `loader`; with an Accelerator, each process scores its shard and
    `gather_for_metrics` collects all rows (dropping the ones repeated to even out the shards)."""
    model.eval()
    if accelerator is not None:
        loader, device = accelerator.prepare(loader), accelerator.device
    losses, hits = [], []
    for batch in loader:
        batch = {k: v.to(device) for k, v in batch.items()}
        logits, labels = logits_of(model, batch).float(), labels_of(batch)
        loss, hit = F.cross_entropy(logits, labels, reduction="none"), logits.argmax(-1) == labels
        if accelerator is not None:
            loss, hit = accelerator.gather_for_metrics((loss, hit))
        losses.append(loss.cpu())
        hits.append(hit.cpu())
    loss, hit = torch.cat(losses).double(), torch.cat(hits)
    return {"loss": loss.sum().item() / len(loss), "accuracy": hit.sum().item() / len(hit), "rows": len(hit)}


FUSED_ADAMW_DEVICES = ("cpu", "cuda", "mps")  # where torch.optim.AdamW(fused=True) has a kernel


def make_optimizer(parameters, lr: float, weight_decay: float, device: torch.device) -> torch.optim.AdamW:
    """torch.optim.AdamW; fused (one kernel for all weights, ~5x faster steps on CPU) where PyTorch has the kernel."""
    return torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay, fused=device.type in FUSED_ADAMW_DEVICES)


def new_accelerator(device: torch.device, grad_accum: int) -> Accelerator:
    """An Accelerator for `device` in its precision. Accelerate keeps one state per process and refuses a second
    device or precision (the fp32 CPU proof, then a mixed-precision run), so a change of either resets it."""
    precision, shared = mixed_precision_for(device), AcceleratorState._shared_state
    if shared and (shared.get("_mixed_precision") != precision or shared["device"].type != device.type):
        AcceleratorState._reset_state(reset_partial_state=True)
    return Accelerator(cpu=device.type == "cpu", mixed_precision=precision, gradient_accumulation_steps=grad_accum)


def new_state(model, loader, epochs, lr, weight_decay, warmup, grad_accum, device) -> TrainState:
    """A fresh run: Accelerator, torch.optim.AdamW on the trainable parameters, linear warmup schedule, all prepared."""
    accelerator = new_accelerator(device, grad_accum)
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise CourseError("No parameter is trainable: everything is frozen.",
                          "unfreeze something, e.g. course_lib.freezing.freeze(model, 'head_only').")
    optimizer = make_optimizer(trainable, lr, weight_decay, device)
    total_steps = steps_per_epoch(loader, grad_accum) * epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(warmup * total_steps), total_steps)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    return TrainState(optimizer=optimizer, scheduler=scheduler, accelerator=accelerator, model=model,
                      epochs=epochs, warmup_steps=int(warmup * total_steps))


def steps_per_epoch(loader, grad_accum: int) -> int:
    """Optimizer steps in one epoch of the (unsharded) loader: Accelerate steps the scheduler once per process."""
    return math.ceil(len(loader) / grad_accum)


def extend_schedule(state: TrainState, loader, epochs: int, grad_accum: int) -> None:
    """Resuming for more epochs than planned: stretch the linear decay so it reaches 0 at the new last epoch.

    Without this the schedule has already ended and the extra epochs would train at learning rate 0.
    """
    inner = state.scheduler.scheduler  # the LambdaLR inside Accelerate's AcceleratedScheduler
    total_steps = steps_per_epoch(loader, grad_accum) * epochs
    # last_epoch = current step - 1: the constructor takes one step, landing on the current step's learning rate
    state.scheduler.scheduler = get_linear_schedule_with_warmup(inner.optimizer, state.warmup_steps, total_steps,
                                                                last_epoch=inner.last_epoch - 1)
    print(f"Note: resuming for {epochs} epochs in all ({epochs - state.epoch} more than done); the learning rate "
          f"now decays to 0 at the end of epoch {epochs} (it is {inner.optimizer.param_groups[0]['lr']:.2g} now).")
    state.epochs = epochs


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


def mean_over_processes(values: list, accelerator) -> float:
    """The mean of this process's `values`, averaged over every process (one process: just the mean)."""
    mean = sum(values) / max(len(values), 1)
    if accelerator.num_processes == 1:
        return mean
    return accelerator.reduce(torch.tensor(mean, device=accelerator.device), reduction="mean").item()


def end_epoch(model, state: TrainState, eval_loader, train_losses, seconds):
    """Evaluate (all processes' shards), record the epoch, and keep the weights if they are the best so far."""
    scores = scores_on(model, eval_loader, state.accelerator.device, state.accelerator)
    state.epoch += 1
    state.batches_done = 0
    state.history.append({"epoch": state.epoch, "train_loss": mean_over_processes(train_losses, state.accelerator),
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
    device = check_train_call(model, train_data, eval_data, tokenizer, device, epochs=epochs, lr=lr,
                              batch_size=batch_size, grad_accum=grad_accum, max_length=max_length)
    device = torch.device(device)
    for data, what in ((train_data, "train_data"), (eval_data, "eval_data")):
        check_labels(data, num_labels_of(model), what)
    train_data = tokenize(train_data, tokenizer, max_length)
    loader = make_loader(train_data, tokenizer, batch_size, shuffle=True, seed=seed)
    if state is not None and state.accelerator is None:
        raise CourseError("This training result was released (course_lib.gpu.release), so it cannot be resumed.",
                          "start a fresh run: train(...) without state=, or resume before releasing.")
    if state is not None and epochs <= state.epoch:
        print(f"Note: this run has already trained {state.epoch} epoch(s); pass epochs={state.epoch + 1} or more "
              "to train on (epochs counts from the start of the run).")
    elif state is not None and epochs > state.epochs:
        extend_schedule(state, loader, epochs, grad_accum)
    if state is not None:
        restore_autocast(state)
    state = state or new_state(model, loader, epochs, lr, weight_decay, warmup, grad_accum, device)
    if state.plot is None and plot:
        state.plot = plot if isinstance(plot, LossPlot) else LossPlot(every=plot_every)
    state.interrupted = False
    try:
        eval_loader = scoring_loader(tokenize(eval_data, tokenizer, max_length), tokenizer, batch_size * 2)
        run_epochs(state.model, train_data, eval_loader, tokenizer, state, epochs, batch_size, seed, callbacks, progress)
    except KeyboardInterrupt:
        state.interrupted = True
        print(f"Interrupted after {state.epoch} epoch(s) + {state.batches_done} batch(es): the model and history are kept. "
              "Resume with train(..., state=<this result>).")
    # Accelerate runs the model's forward under autocast while it trains; afterwards it computes in fp32 again
    model = state.accelerator.unwrap_model(state.model, keep_fp32_wrapper=False)
    if not state.interrupted and state.best_weights is not None:
        model.load_state_dict(state.best_weights)
    if state.plot is not None and state.plot.live:
        state.plot.redraw()
    return state


def restore_autocast(state: TrainState) -> None:
    """Resuming: train() took Accelerate's autocast off the model's forward when it returned; put it back."""
    model = state.accelerator.unwrap_model(state.model)
    if state.accelerator.native_amp and "_original_forward" not in vars(model):
        model._is_accelerate_prepared = False  # Accelerate would otherwise return it as it is
        state.model = state.accelerator.prepare_model(model)


def run_epochs(model, train_data, eval_loader, tokenizer, state, epochs, batch_size, seed, callbacks, progress):
    """The loop itself: epochs of batches, resuming mid-epoch when the state says so."""
    device = state.accelerator.device
    while state.epoch < epochs:
        loader = make_loader(train_data, tokenizer, batch_size, shuffle=True, seed=seed + state.epoch)
        loader = state.accelerator.prepare(loader)  # several processes: each gets its shard of the batches
        start, losses = now(device), []  # now() waits for the GPU, so the seconds are real
        bar = tqdm(total=len(loader), initial=state.batches_done, desc=f"epoch {state.epoch + 1}/{epochs}",
                   disable=not progress or not state.accelerator.is_local_main_process, leave=False)
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
        seconds = now(device) - start
        state.seconds += seconds
        end_epoch(model, state, eval_loader, losses, seconds)
