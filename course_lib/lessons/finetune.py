"""Fine-tune the course's encoder on sentiment from the command line, on one device or several.

    python -m course_lib finetune --profile pocket --mode full --rows 2000 --epochs 1 --output runs/pocket
    accelerate launch --num_processes 2 -m course_lib finetune --profile full --output runs/two_gpus
    accelerate launch --multi_gpu --num_processes 2 -m course_lib finetune --profile pocket --rows 64 --output runs/cpu2

The last line runs 2 processes on a machine without a GPU (they train on the CPU). `accelerate launch --cpu
--num_processes 2` starts several CPU processes only through MPI (`mpirun`); without MPI it runs one process,
and this command says so.

Every size defaults to the profile's sizes (`python -m course_lib profiles` lists them). `--batch-size` is the
global batch: with N processes each takes batch/N rows per step, so 1 GPU and 2 GPUs train the same schedule.
It is the same `course_lib.core.training.train` the lessons call: under `accelerate launch` each process trains on its
shard of the batches (gradients are averaged), evaluation gathers every process's rows, and only the main
process writes the best weights and `result.json` to --output.
"""
import argparse
import json
import os
from pathlib import Path

from ..core.errors import InputError
from ..core.freezing import MODES
NO_DROPOUT = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "classifier_dropout": 0.0}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; sizes left out come from the profile."""
    parser = argparse.ArgumentParser(prog="python -m course_lib finetune", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=["pocket", "full", "auto"], default=None, help="default: $COURSE_PROFILE or auto")
    parser.add_argument("--mode", choices=MODES, default="full", help="what trains (course_lib.core.freezing.freeze)")
    parser.add_argument("--k", type=int, default=2, help="layers that train in --mode last_k")
    parser.add_argument("--rows", type=int, default=None, help="training rows (default: the profile's train size)")
    parser.add_argument("--eval-rows", type=int, default=None, help="validation rows (default: the profile's)")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None, help="global batch, split over the processes")
    parser.add_argument("--max-length", type=int, default=None)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-dropout", action="store_true", help="dropout off: runs comparable number for number")
    parser.add_argument("--output", type=Path, required=True, help="folder for the best weights and result.json")
    return parser.parse_args(argv)


def per_process_batch(batch_size: int, processes: int) -> int:
    """The batch each process takes so that the global batch stays `batch_size`."""
    if batch_size % processes:
        raise InputError(f"--batch-size {batch_size} does not split evenly over {processes} processes.",
                         f"pass a multiple of {processes}, e.g. --batch-size {processes * max(1, batch_size // processes)}.")
    return batch_size // processes


def wants_cpu() -> bool:
    """True when `accelerate launch --cpu` started us, or there is no GPU: processes then talk over gloo on the CPU."""
    import torch
    from accelerate.utils import parse_flag_from_env

    return parse_flag_from_env("ACCELERATE_USE_CPU") or not torch.cuda.is_available()


def note_single_cpu_process(processes) -> None:
    """Say so when `accelerate launch --cpu --num_processes N` (N > 1) ran one process: it needs MPI for more."""
    launched_for_many = "MASTER_ADDR" in os.environ and "WORLD_SIZE" not in os.environ
    if processes.num_processes == 1 and launched_for_many and os.environ.get("ACCELERATE_USE_CPU", "").lower() == "true":
        print("Note: `accelerate launch --cpu` starts several processes only through MPI (mpirun), so this is ONE "
              "process. For N processes on this machine's CPU run: accelerate launch --multi_gpu --num_processes N "
              "-m course_lib finetune ... (without a GPU they train on the CPU).")


def main(argv: list[str] | None = None) -> dict:
    """Run the fine-tuning; the main process writes the model and result.json; every process returns the result."""
    from accelerate import PartialState
    from transformers import AutoModelForSequenceClassification, set_seed

    import course_lib
    from ..core.batches import tokenize
    from ..core.freezing import freeze
    from ..core.training import scores_on, train, unwrapped

    args = parse_args(argv)
    processes = PartialState(cpu=wants_cpu())  # under `accelerate launch`: this process's rank, device and count
    note_single_cpu_process(processes)
    session = course_lib.setup(args.profile, device=str(processes.device), seed=args.seed,
                               verbose=processes.is_main_process)
    sizes = session.sizes
    rows, eval_rows = args.rows or sizes["train"], args.eval_rows or sizes["validation"]
    epochs, max_length = args.epochs or sizes["epochs"], args.max_length or sizes["max_length"]
    batch_size = args.batch_size or sizes["batch_size"]
    with processes.main_process_first():  # the first process fills the caches; the others then read them
        sentiment = session.load_sentiment()
        tokenizer = session.load_tokenizer("encoder")
        set_seed(args.seed)  # the same new head on every process
        model = session.load_model("encoder", AutoModelForSequenceClassification, num_labels=2,
                                   **(NO_DROPOUT if args.no_dropout else {}))
    freeze(model, args.mode, k=args.k)
    train_rows = sentiment["train"].select(range(min(rows, len(sentiment["train"]))))
    eval_data = sentiment["validation"].select(range(min(eval_rows, len(sentiment["validation"]))))
    result = train(model, train_rows, eval_data, tokenizer, device=session.device, epochs=epochs, lr=args.lr,
                   batch_size=per_process_batch(batch_size, processes.num_processes), max_length=max_length,
                   seed=args.seed, plot=False, progress=processes.is_main_process)
    final = scores_on(result.model, tokenize(eval_data, tokenizer, max_length), tokenizer, session.device,
                      batch_size * 2 // processes.num_processes, result.processes)
    final.pop("correct", None)
    summary = {"profile": session.profile.name, "mode": args.mode, "processes": processes.num_processes,
               "global_batch_size": batch_size, "rows": len(train_rows), "epochs": epochs, "max_length": max_length,
               "steps": result.step, "history": result.history, "eval": final, "seconds": result.seconds}
    if processes.is_main_process:  # one copy of the best weights, written once
        args.output.mkdir(parents=True, exist_ok=True)
        unwrapped(result).save_pretrained(args.output)
        tokenizer.save_pretrained(args.output)
        (args.output / "result.json").write_text(json.dumps(summary, indent=2))
        print(f"{args.mode} fine-tuning on {len(train_rows)} rows x {epochs} epoch(s), {processes.num_processes} "
              f"process(es): eval accuracy {final['accuracy']:.3f} on {final['rows']} rows -> {args.output}")
    processes.wait_for_everyone()
    return summary


if __name__ == "__main__":
    main()
