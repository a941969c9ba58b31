"""How fast is course_lib.train? Ratios measured in one run, same model, data and hyper-parameters.

    python benchmarks/finetune_speed.py            # a few minutes on a 2-core CPU
    python benchmarks/finetune_speed.py --rows 1024 --epochs 2

Prints, for the pocket encoder (MiniLM) on the movie-review snippets:
  1. course_lib.train vs the 🤗 Trainer (goal >= 1.0x)
  2. course_lib.train vs a source-style loop that pads every sentence to 512 (goal >= 5x)
  3. head only on the cached bottom (the frozen encoder's output, computed once) vs re-running the frozen encoder
     every epoch, per epoch (goal >= 20x)
  4. course_lib.train in its mixed precision vs the same run in fp32, where the device has one (a GPU, or a CPU
     with AMX: bf16); elsewhere both are fp32 and no ratio is printed
Every phase but the fp32 one uses course_lib's precision for the device (the Trainer and the 512 loop too), so
ratios 1-3 compare padding, loops and caching, not precision.
Each phase runs in its own fresh process, so its peak memory (max RSS, or CUDA max allocated) is its own. The
phases run in `--repeats` rounds (3 by default; the slow pad-to-512 loop only in the first), each round every phase
once and each round starting one phase later (measured here: the first process of a round ran up to 10% slower), so
that drift and position weigh on every phase alike; a phase's time is the median of its runs, printed with their
spread, so a ratio near its goal can be read against the run-to-run noise.
This is a benchmark, not a test: timings depend on the machine and its load.
"""
import argparse
import multiprocessing
import resource
import statistics
import tempfile
from concurrent.futures import ProcessPoolExecutor

import torch

from course_lib.core.gpu import Timer  # every GPU timing waits for the GPU (torch.cuda.synchronize) before the clock


def setup(args):
    """Session, tokenizer, a fresh classifier and the train/eval rows."""
    import course_lib
    from transformers import AutoModelForSequenceClassification

    torch.set_num_threads(args.threads)
    session = course_lib.setup(profile="pocket", device=args.device, verbose=False)
    data = session.load_sentiment()
    model = session.load_model("encoder", AutoModelForSequenceClassification, num_labels=2)
    tokenizer = session.load_tokenizer("encoder")
    warm_up(model, tokenizer, session.device)
    return session, tokenizer, model, data["train"].select(range(args.rows)), data["validation"].select(range(64))


def warm_up(model, tokenizer, device):
    """One forward and backward pass, gradients then dropped: no phase pays the process's first-call costs."""
    batch = tokenizer(["a warm-up sentence"] * 4, return_tensors="pt").to(device)
    model.to(device)(**batch).logits.sum().backward()
    model.zero_grad(set_to_none=True)


def peak_memory_mb(device) -> float:
    """Peak memory of this process: CUDA max allocated on a GPU, else max resident set size."""
    if torch.device(device).type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_course_lib(args):
    """course_lib.train, full fine-tuning: dynamic padding, length-grouped batches."""
    from course_lib.core.training import train

    session, tokenizer, model, train_rows, eval_rows = setup(args)
    result = train(model, train_rows, eval_rows, tokenizer, device=session.device, epochs=args.epochs, lr=5e-5,
                   batch_size=args.batch_size, max_length=128, plot=False, progress=False)
    return result.seconds, peak_memory_mb(session.device)


def run_course_lib_fp32(args):
    """course_lib.train as above, with mixed precision turned off (course_lib.core.precision.full_precision)."""
    from course_lib.core.precision import full_precision

    with full_precision():
        return run_course_lib(args)


def run_trainer(args):
    """The 🤗 Trainer, same model, rows, batch size, learning rate, epochs, warmup, weight decay and clipping as
    course_lib.train's defaults (training time only)."""
    from transformers import PrinterCallback, Trainer, TrainingArguments

    from course_lib.core.precision import mixed_precision_for

    session, tokenizer, model, train_rows, _ = setup(args)
    precision = mixed_precision_for(session.device)
    encoded = train_rows.map(lambda b: tokenizer(b["text"], truncation=True, max_length=128), batched=True,
                             remove_columns=["text"])
    targs = TrainingArguments(output_dir=tempfile.mkdtemp(), num_train_epochs=args.epochs, learning_rate=5e-5,
                              warmup_steps=0.1, lr_scheduler_type="linear", weight_decay=0.01, max_grad_norm=1.0,  # train()'s
                              per_device_train_batch_size=args.batch_size, train_sampling_strategy="group_by_length", eval_strategy="no",
                              save_strategy="no", report_to="none", disable_tqdm=True, log_level="error",
                              use_cpu=session.device.type == "cpu", dataloader_num_workers=0, dataloader_pin_memory=False,
                              fp16=precision == "fp16", bf16=precision == "bf16")
    trainer = Trainer(model=model, args=targs, train_dataset=encoded, processing_class=tokenizer)
    trainer.remove_callback(PrinterCallback)
    with Timer(session.device) as timer:  # synchronizes a GPU before reading the clock
        trainer.train()
    return timer.seconds, peak_memory_mb(session.device)


def run_pad_512(args):
    """A source-style loop: every sentence padded to 512, plain DataLoader, torch AdamW (course_lib's autocast)."""
    from course_lib.core.precision import autocast_for

    session, tokenizer, model, train_rows, _ = setup(args)
    encoded = tokenizer(list(train_rows["text"]), padding="max_length", truncation=True, max_length=512, return_tensors="pt")
    dataset = torch.utils.data.TensorDataset(encoded["input_ids"], encoded["attention_mask"], torch.tensor(list(train_rows["label"])))
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    model.to(session.device).train()
    with Timer(session.device) as timer:
        for _ in range(args.epochs):
            for ids, mask, labels in loader:
                with autocast_for(session.device):
                    loss = model(input_ids=ids.to(session.device), attention_mask=mask.to(session.device),
                                 labels=labels.to(session.device)).loss
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
    return timer.seconds, peak_memory_mb(session.device)


def run_head_rerun(args):
    """Head only, frozen encoder re-run every epoch (seconds per epoch)."""
    from course_lib.core.freezing import freeze
    from course_lib.core.training import train

    session, tokenizer, model, train_rows, eval_rows = setup(args)
    freeze(model, "head_only")
    result = train(model, train_rows, eval_rows, tokenizer, device=session.device, epochs=args.epochs, lr=5e-3,
                   batch_size=args.batch_size, plot=False, progress=False)
    return result.seconds / args.epochs, peak_memory_mb(session.device)


def run_head_cached(args):
    """Head only on the cached output of the frozen encoder (seconds per epoch; the one-off caching reported apart)."""
    from course_lib.core.cached import TopLayers, cache_hidden_states
    from course_lib.core.freezing import freeze, num_layers
    from course_lib.core.training import train

    session, tokenizer, model, train_rows, eval_rows = setup(args)
    freeze(model, "head_only")
    layers = num_layers(model)
    with Timer(session.device) as timer:  # the whole frozen encoder runs once
        cached = cache_hidden_states(model, train_rows, tokenizer, session.device, layers, progress=False)
    caching = timer.seconds
    cached_eval = cache_hidden_states(model, eval_rows, tokenizer, session.device, layers, progress=False)
    result = train(TopLayers(model, layers), cached, cached_eval, device=session.device, epochs=args.epochs, lr=5e-3,
                   batch_size=args.batch_size, plot=False, progress=False)
    print(f"  (one-off caching of the frozen encoder's output: {caching:.2f} s)")
    return result.seconds / args.epochs, peak_memory_mb(session.device)


PHASES = {"course_lib.train": run_course_lib, "course_lib.train, fp32": run_course_lib_fp32, "HF Trainer": run_trainer,
          "pad-to-512 loop": run_pad_512, "head only, encoder re-run": run_head_rerun, "head only, cached bottom": run_head_cached}
RUN_ONCE = {"pad-to-512 loop"}  # minutes per run, and far from its goal: one run is enough


def run_fresh(phase, args) -> tuple[float, float]:
    """One run of a phase in a fresh process: its seconds and its peak memory."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(phase, args).result()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=256, help="training rows (default 256)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: best available)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per phase, each in a fresh process (default 3)")
    args = parser.parse_args()
    from course_lib.core.device import pick_device
    from course_lib.core.precision import describe_precision, mixed_precision_for

    device = pick_device(args.device)
    print(f"rows={args.rows} epochs={args.epochs} batch_size={args.batch_size} threads={args.threads} "
          f"repeats={args.repeats}")
    print(describe_precision(device))
    runs, order = {name: [] for name in PHASES}, list(PHASES)
    for round_ in range(args.repeats):  # every phase once per round, in fresh processes
        start = round_ % len(order)
        names = order[start:] + order[:start]  # each round starts one phase later
        ran = [name for name in names if round_ == 0 or name not in RUN_ONCE]
        for name in ran:
            runs[name].append(run_fresh(PHASES[name], args))
        print(f"round {round_ + 1}/{args.repeats}: " + ", ".join(f"{name} {runs[name][-1][0]:.2f} s" for name in ran))
    seconds = {name: statistics.median(s for s, _ in phase_runs) for name, phase_runs in runs.items()}
    print()
    for name, phase_runs in runs.items():
        times = [s for s, _ in phase_runs]
        spread = f"(runs {min(times):.2f}-{max(times):.2f} s)" if len(times) > 1 else "(one run)"
        print(f"{name:28} {seconds[name]:8.2f} s {spread:24} peak memory {max(m for _, m in phase_runs):7.0f} MB")
    print()
    print(f"course_lib.train vs HF Trainer:           {seconds['HF Trainer'] / seconds['course_lib.train']:.2f}x (goal >= 1.0x)")
    print(f"course_lib.train vs pad-to-512 loop:      {seconds['pad-to-512 loop'] / seconds['course_lib.train']:.2f}x (goal >= 5x)")
    print(f"cached bottom vs re-run, per epoch:      "
          f"{seconds['head only, encoder re-run'] / seconds['head only, cached bottom']:.1f}x (goal >= 20x)")
    if mixed_precision_for(device) != "no":
        print(f"course_lib.train, mixed precision vs fp32: "
              f"{seconds['course_lib.train, fp32'] / seconds['course_lib.train']:.2f}x (same run, precision only)")


if __name__ == "__main__":
    main()
