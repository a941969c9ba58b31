"""Paper estimates of training time and GPU memory: a warning before long runs, and the README's T4 table.

Everything here is arithmetic on stated assumptions, never a measurement:
- compute: training costs 6 FLOPs per non-embedding parameter per token plus 6 * layers * length * width for
  attention; inference a third of that (Kaplan et al. 2020, "Scaling Laws for Neural Language Models", sec. 2.1);
- tokens: every row counted at the full max_length, an upper bound (train() pads each batch only to its longest
  row and groups similar lengths, so real runs on shorter texts are faster);
- memory: 16 bytes per trained parameter (fp32 weights, fp32 gradients, two AdamW moments) plus activations
  s*b*h*(34 + 5*a*s/h) bytes per layer with 16-bit activations (Korthikanti et al. 2022, "Reducing Activation
  Recomputation in Large Transformer Models", eq. 1), again an upper bound (PyTorch's memory-efficient
  attention does not keep the 5*a*s/h attention-score term);
- throughput: NVIDIA T4, 65 TFLOP/s fp16 tensor-core peak (published: NVIDIA T4 datasheet) at an ASSUMED 30%
  utilisation; a CPU at an ASSUMED 0.1 TFLOP/s for fp32 training (a 4-core laptop); Apple MPS at an ASSUMED
  1 TFLOP/s fp32.
"""
from dataclasses import dataclass

import pandas as pd

from . import sweeps

T4_PEAK_FP16 = 65e12  # FLOP/s, NVIDIA T4 datasheet (published)
T4_UTILISATION = 0.30  # assumption
T4_MEMORY_GB = 15.8  # what torch reports for a "16 GB" T4 (decimal GB)
ASSUMED_FLOPS = {"cuda": T4_PEAK_FP16 * T4_UTILISATION, "mps": 1e12, "cpu": 0.1e12}  # assumptions, see above
SLOW_SECONDS = 20 * 60  # longer than this on the machine at hand: warn and offer the faster path


@dataclass(frozen=True)
class Arch:
    """What the estimates need to know about a checkpoint."""

    params: int  # all parameters (with a classification / QA head as the course loads it)
    non_embedding: int  # parameters outside the embedding tables: the ones that cost FLOPs per token
    layers: int
    width: int
    heads: int


# Counted by instantiating each architecture on the meta device from its checkpoint's published config.json
# (tests/test_estimates.py recounts bert-base-uncased). BART's layers = encoder + decoder.
ARCHS = {
    "bert-base-uncased": Arch(109_483_778, 85_646_594, 12, 768, 12),
    "bert-base-chinese": Arch(102_269_186, 85_646_594, 12, 768, 12),
    "deepset/roberta-base-squad2": Arch(124_056_578, 85_056_002, 12, 768, 12),
    "SamLowe/roberta-base-go_emotions": Arch(124_667_164, 85_666_588, 12, 768, 12),
    "facebook/bart-large-mnli": Arch(407_344_131, 353_771_523, 24, 1024, 16),  # minus shared + position embeddings
    # with a 2-label head; attention counted as full in every layer (2 of 3 layers only look 64 tokens each way)
    "answerdotai/ModernBERT-base": Arch(149_606_402, 110_923_778, 22, 768, 12),
}


def flops_per_token(arch: Arch, length: int, training: bool = True) -> float:
    """6N + 6*layers*length*width per trained token; a third of it for inference (Kaplan et al. 2020)."""
    forward = 2 * arch.non_embedding + 2 * arch.layers * length * arch.width
    return 3 * forward if training else forward


def training_flops(arch: Arch, rows: int, length: int, epochs: int = 1) -> float:
    """FLOPs of `epochs` passes over `rows` rows of at most `length` tokens."""
    return flops_per_token(arch, length) * rows * length * epochs


def training_memory_gb(arch: Arch, batch: int, length: int, trained_params: int | None = None) -> float:
    """Upper bound of peak GPU memory for mixed-precision AdamW training, in GB (see the module docstring)."""
    trained = arch.params if trained_params is None else trained_params
    states = 16 * trained + 2 * (arch.params - trained)  # frozen weights: just an fp16 copy under autocast
    activations = arch.layers * length * batch * arch.width * (34 + 5 * arch.heads * length / arch.width)
    return (states + activations) / 1e9


def inference_memory_gb(arch: Arch, batch: int, length: int) -> float:
    """fp32 weights plus one layer's activations at a time (no gradients are kept)."""
    return (4 * arch.params + length * batch * arch.width * (34 + 5 * arch.heads * length / arch.width)) / 1e9


def duration(seconds: float) -> str:
    """'about 40 s', 'about 12 min', 'about 3.5 h'."""
    if seconds < 90:
        return f"about {max(seconds, 1):.0f} s"
    if seconds < 90 * 60:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


def arch_of(model) -> Arch:
    """The estimate's view of a loaded model: parameter counts (embedding tables apart) and its shape."""
    import torch

    params = sum(p.numel() for p in model.parameters())
    embeddings = sum(p.numel() for m in model.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters())
    config = model.config
    return Arch(params, params - embeddings, config.num_hidden_layers, config.hidden_size, config.num_attention_heads)


def warn_if_slow(session, model, *, rows: int | None = None, epochs: int | None = None,
                 max_length: int | None = None, what: str = "the full fine-tuning in this lesson") -> str:
    """Before a long training cell: print (and return) how long it should take on this machine, an estimate.

    Sizes default to the profile's (`session.sizes`: train rows, epochs, max_length); every row is counted at
    max_length, so the figure is an upper bound. On a CPU or Apple GPU it
    always prints one estimate line; when that is longer than 20 minutes it also offers the faster paths.
    On a CUDA GPU it prints nothing: the profile's sizes are planned for a 16 GB T4 (see the README's table).
    """
    sizes, device = session.sizes, session.device.type
    rows, epochs = rows or sizes["train"], epochs or sizes["epochs"]
    max_length = max_length or sizes["max_length"]
    if device == "cuda":
        return ""
    arch = arch_of(model)
    params, flops = arch.params, training_flops(arch, rows, max_length, epochs)
    seconds = flops / ASSUMED_FLOPS[device]
    where = "a CPU" if device == "cpu" else "an Apple GPU (MPS)"
    lines = [f"Estimate: {what} takes at most {duration(seconds)} on {where} ({params / 1e6:.0f}M parameters x "
             f"{rows:,} rows x {max_length} tokens x {epochs} epoch(s) at an assumed {ASSUMED_FLOPS[device] / 1e12:g} "
             "TFLOP/s; shorter texts go faster)."]
    if seconds > SLOW_SECONDS:
        t4 = flops / ASSUMED_FLOPS["cuda"]
        lines.append("That is a long run. Faster paths: restart with COURSE_PROFILE=pocket (small model, minutes); "
                     f"or use a GPU (Colab: Runtime > Change runtime type > T4 GPU, {duration(t4)}); or smaller sizes, "
                     "e.g. course_lib.setup(overrides={'train': 2000, 'max_length': 256}).")
    message = "\n".join(lines)
    print(message)
    return message


# What each lesson computes in the full profile (the registry's sizes), for the README's T4 table.
# Lessons 00-05 and 09 only run the models on a handful of texts: their time is the download, not compute.
INFERENCE_LESSONS = {
    "00": ["bert-base-uncased"], "01": [], "02": ["bert-base-uncased"], "03": ["bert-base-uncased"],
    "04": ["deepset/roberta-base-squad2"],
    "05": ["bert-base-uncased", "SamLowe/roberta-base-go_emotions", "facebook/bart-large-mnli"],
    "09": ["bert-base-uncased"],
}


def mode_runs(sizes: dict) -> int:
    """Trainings per compared mode or encoder (07, 08): the rate sweep with seed 0, then the other seeds at its pick."""
    return sweeps.MOST_RUNS + sizes["seeds"] - 1


def few_label_runs(sizes: dict) -> int:
    """Trainings per few-label method: one sweep (at one size), then every size and seed at the picked value."""
    return sweeps.MOST_RUNS + len(sizes["few_label_sizes"]) * sizes["seeds"] - 1


def last_layers_params(arch: Arch, layers: int) -> int:
    """Parameters of the top `layers` encoder layers and a classification head."""
    return layers * (arch.non_embedding // arch.layers) + arch.width * 2


def training_sections(sizes: dict) -> list[dict]:
    """Every training section of lessons 06, 07 and 08 at `sizes`, as the notebooks run them (one model resident at a
    time). `trained` is the number of trained parameters when the bottom is frozen (None: everything trains)."""
    bert, chinese = ARCHS["bert-base-uncased"], ARCHS["bert-base-chinese"]
    runs = mode_runs(sizes)
    compared = runs * sizes["compare_rows"] * sizes["compare_epochs"]
    few = few_label_runs(sizes) * sizes["few_label_steps"] * 2 * sizes["few_label_pairs"]  # sentences
    return [
        {"lesson": "06", "section": "the real run (full fine-tuning)", "arch": bert, "rows": sizes["real_run_rows"],
         "epochs": sizes["epochs"], "trained": None},
        {"lesson": "06", "section": "the Trainer and train(), the same job (3 seeds each)", "arch": bert,
         "rows": 2 * sizes["seeds"] * sizes["trainer_rows"],
         "epochs": 2, "trained": None},
        {"lesson": "07", "section": "modes: full and LoRA (sweep + seeds)", "arch": bert, "rows": 2 * compared, "epochs": 1,
         "trained": None},
        {"lesson": "07", "section": "modes: last 2 + head (sweep + seeds)", "arch": bert, "rows": compared, "epochs": 1,
         "trained": last_layers_params(bert, 2)},
        {"lesson": "07", "section": "freezing widget (2 runs)", "arch": bert,
         "rows": 2 * sizes["widget_rows"] * sizes["widget_epochs"], "epochs": 1, "trained": last_layers_params(bert, 2)},
        {"lesson": "07", "section": "few labels: SetFit and full fine-tuning (sweep + seeds)", "arch": bert,
         "rows": 2 * few, "epochs": 1, "trained": None, "length": sizes["few_label_max_length"]},
        {"lesson": "07", "section": "Chinese (everything trains)", "arch": chinese, "rows": sizes["chinese_rows"],
         "epochs": 2, "trained": None},
        {"lesson": "08", "section": "bert-base-uncased, the same job as ModernBERT (sweep + seeds)", "arch": bert,
         "rows": runs * sizes["modern_rows"], "epochs": sizes["modern_epochs"], "trained": None,
         "length": sizes["modern_max_length"]},
        {"lesson": "08", "section": "ModernBERT-base fine-tuned (sweep + seeds)", "arch": ARCHS["answerdotai/ModernBERT-base"],
         "rows": runs * sizes["modern_rows"], "epochs": sizes["modern_epochs"], "trained": None,
         "length": sizes["modern_max_length"]},
    ]


def scored_rows(sizes: dict) -> dict[str, int]:
    """Rows each lesson runs forward only (evaluation, caching, embedding), per lesson."""
    runs = mode_runs(sizes)
    check, test = sizes["compare_check_rows"], sizes["compare_test_rows"]
    return {"06": sizes["validation"] * sizes["epochs"] + sizes["test"] + 2 * sizes["seeds"] * (
                2 * sizes["trainer_rows"] + sizes["trainer_test_rows"]),
            "07": 2 * runs * (check * sizes["compare_epochs"] + test)  # full and LoRA score on tokens
                  + sizes["compare_rows"] + check + test  # the cached modes' bottom, once
                  + 2 * sizes["chinese_rows"] + sizes["test"],
            "07 few labels": 2 * few_label_runs(sizes) * (check + test),  # SetFit and full score every run
            "08 ModernBERT vs BERT": 2 * runs * (check * sizes["modern_epochs"] + sizes["modern_test_rows"])}


def training_estimate(sizes: dict) -> pd.DataFrame:
    """Per training section of lessons 06 and 07: estimated T4 minutes and peak GB (upper bounds, see the docstring)."""
    length, batch, rows = sizes["max_length"], sizes["batch_size"], []
    for s in training_sections(sizes):
        flops = training_flops(s["arch"], s["rows"], s.get("length", length), s["epochs"])
        if s["trained"] is not None:  # frozen layers: forward only (a third), trained ones forward + backward
            flops *= (1 + 2 * s["trained"] / s["arch"].non_embedding) / 3
        rows.append({"lesson": s["lesson"], "section": s["section"],
                     "T4 minutes (estimate)": flops / ASSUMED_FLOPS["cuda"] / 60,
                     "peak GB (estimate)": training_memory_gb(s["arch"], batch, s.get("length", length), s["trained"])})
    bert = ARCHS["bert-base-uncased"]
    for name, scored in scored_rows(sizes).items():
        lesson = name[:2]
        scored_length = {"07 few labels": sizes["few_label_max_length"],
                         "08 ModernBERT vs BERT": sizes["modern_max_length"]}.get(name, length)
        flops = flops_per_token(bert, scored_length, training=False) * scored * scored_length
        rows.append({"lesson": lesson, "section": f"forward only (evaluation, caching, embedding){name[2:]}",
                     "T4 minutes (estimate)": flops / ASSUMED_FLOPS["cuda"] / 60,
                     "peak GB (estimate)": inference_memory_gb(bert, 2 * batch, length)})
    return pd.DataFrame(rows).set_index(["lesson", "section"])


def t4_estimates(sizes: dict | None = None) -> pd.DataFrame:
    """The README's table: per lesson, estimated compute minutes and peak GPU memory on a T4, full profile."""
    from .profiles import SIZES

    sizes = sizes or SIZES["full"]
    rows = []
    for lesson, repos in INFERENCE_LESSONS.items():
        memory = sum(inference_memory_gb(ARCHS[r], 8, 512) for r in repos)  # worst case: all resident at once
        rows.append({"lesson": lesson, "T4 minutes (estimate)": "< 1 (compute); download dominates",
                     "peak GB (estimate)": round(memory, 1) if repos else "- (tokenizers only)"})
    trained = training_estimate(sizes)
    for lesson, part in trained.groupby(level="lesson"):
        rows.append({"lesson": lesson, "T4 minutes (estimate)": round(part["T4 minutes (estimate)"].sum(), 1),
                     "peak GB (estimate)": round(part["peak GB (estimate)"].max(), 1)})
    return pd.DataFrame(rows).set_index("lesson").sort_index()
