"""What a lesson would cost on a CPU in the full profile, and so which profile `auto` runs it in there.

On a machine with internet but no GPU, a lesson that only runs forward passes on a few texts can use the real
checkpoints: on a CPU that takes seconds to a minute. A lesson that trains would take hours. `setup(lesson="04")` asks
`cpu_reason`, which compares the lesson's estimated CPU time with CPU_BUDGET_S (150 s: about 2 minutes at the slowest
2-core speed assumed below, about 1 minute on the 2-core machine measured). Such a lesson also gets
profiles.CPU_FULL_SIZES (shorter texts, fewer scored rows), and was measured with them.

The estimate, an upper bound of compute only (downloads not counted):
- the work: what the lesson computes in the full profile, counted in the full-profile rehearsal
  (course_lib/core/lesson_work.py, written by `python -m course_lib.tools.measure_lessons`): per real checkpoint, the
  tokens of its forward-only and its training calls and their attention term;
- FLOPs: course_lib.core.estimates' model (2 x non-embedding parameters + 2 x layers x length x width per token
  forward, 3x that when training; the real checkpoints' parameter counts, `estimates.ARCHS`);
- speed: CPU_FLOPS, an ASSUMED 2-core CPU computing fp32 forward passes at 25 GFLOP/s per core. Measured on the
  2-core Xeon this course is developed on: 51-55 GFLOP/s per core (bert-base-sized forward passes, 32 to 512 tokens,
  1 thread, process CPU time); the slower 2-core machines of earlier sessions measured 1.9x slower, so 25 is about
  the slowest 2-core machine seen. A lesson whose checkpoint has no parameter count here, or that was never measured,
  has no estimate and stays on the pocket profile.
"""
from dataclasses import dataclass

from .estimates import ARCHS, duration, flops_per_token

CPU_BUDGET_S = 150  # a lesson runs the real checkpoints on a CPU when its estimate is within about 2 minutes (2.5 at most)
CPU_FLOPS = 2 * 25e9  # ASSUMED: 2 cores x 25 GFLOP/s fp32 (see the module docstring)


@dataclass(frozen=True)
class LessonCost:
    """A lesson's full-profile compute on a 2-core CPU (an estimate) and its downloads (published sizes)."""

    lesson: str
    seconds: float | None  # None: no estimate (not measured, or a checkpoint without a parameter count)
    trains: bool  # some call trains a full-profile checkpoint
    repos: tuple  # the full-profile checkpoints it loads
    download_mb: float  # their published model.safetensors sizes, each repo once
    datasets: tuple  # the hub datasets it loads

    @property
    def fits(self) -> bool:
        """Runs the real checkpoints on a CPU: it trains nothing, and its estimate is within the budget."""
        return self.seconds is not None and not self.trains and self.seconds <= CPU_BUDGET_S


def _work(lesson: str) -> dict | None:
    from .lesson_work import WORK

    return WORK.get(lesson)


def full_repos() -> dict[str, float | None]:
    """{hub id of a full-profile checkpoint: published download MB}."""
    from .profiles import REGISTRY

    return {e.full: e.download_mb for e in REGISTRY.values() if e.kind == "model"}


def lesson_cost(lesson: str) -> LessonCost | None:
    """The lesson's estimated CPU cost in the full profile, or None if it was never measured."""
    work = _work(str(lesson))
    if work is None:
        return None
    sizes = full_repos()
    seconds, trains, repos = 0.0, False, []
    for repo, counts in sorted(work["models"].items()):
        if repo not in sizes:  # a tiny model the lesson builds itself (random, structure only): free
            continue
        repos.append(repo)
        arch = ARCHS.get(repo)
        trains = trains or counts.get("train_tokens", 0) > 0
        if arch is None:
            seconds = None
            continue
        if seconds is not None:
            flops = 0.0
            for prefix, training in (("", False), ("train_", True)):
                tokens, token_length = counts.get(prefix + "tokens", 0), counts.get(prefix + "token_length", 0)
                per_token = flops_per_token(arch, 0, training)  # the parameter term; the attention term below
                attention = flops_per_token(arch, 1, training) - per_token  # per token per unit of length
                flops += per_token * tokens + attention * token_length
            seconds += flops / CPU_FLOPS
    download = sum(sizes[r] or 0 for r in repos)
    return LessonCost(str(lesson), seconds, trains, tuple(repos), download, tuple(work.get("datasets", ())))


def size_text(mb: float) -> str:
    """'440 MB', '1.6 GB'."""
    return f"{mb / 1000:.1f} GB" if mb >= 1000 else f"{mb:.0f} MB"


def describe(lesson: str) -> str:
    """One line for maintainers: the estimate and the downloads."""
    cost = lesson_cost(lesson)
    if cost is None:
        return "not measured"
    time_text = "no estimate" if cost.seconds is None else f"{cost.seconds:.0f} s"
    return (f"{time_text} on a 2-core CPU{' (trains)' if cost.trains else ''}; downloads {size_text(cost.download_mb)}"
            f" ({', '.join(cost.repos) or 'tokenizers only'}; datasets: {', '.join(cost.datasets) or 'none'})")


def cpu_reason(lesson: str) -> tuple[str, str]:
    """(profile, reason) for a CPU machine that reaches the hub: full when the lesson fits the budget, else pocket."""
    from .profiles import PROFILE_ENV

    cost = lesson_cost(lesson)
    if cost is None:
        return "pocket", (f"auto: no GPU here, and lesson {lesson} has no CPU estimate, so the offline pocket profile "
                          f"runs; set {PROFILE_ENV}=full or setup(profile='full') to use the real checkpoints anyway")
    if cost.fits:
        downloads = (f"downloads {size_text(cost.download_mb)} of checkpoints once ({', '.join(cost.repos)})"
                     if cost.repos else "downloads tokenizers only")
        if cost.datasets:
            downloads += f" and the {', '.join(cost.datasets)} data"
        return "full", (f"auto: no GPU here, but lesson {lesson} only runs the models on a few texts: the real "
                        f"checkpoints take {duration(cost.seconds)} of computing on a 2-core CPU (estimate) and it "
                        f"{downloads}, so the full profile runs; set {PROFILE_ENV}=pocket or setup(profile='pocket') "
                        "to stay offline")
    why = "trains a model" if cost.trains else "runs the models on many texts"
    if cost.seconds is None:
        estimate = "long on a CPU"
    else:  # a lesson that trains may be measured on a small rehearsal: its figure is then a lower bound
        estimate = f"{duration(cost.seconds)}{' or more' if cost.trains else ''} on a 2-core CPU (estimate)"
    return "pocket", (f"auto: no GPU here, and lesson {lesson} {why}: the real checkpoints would take {estimate}, so "
                      f"the offline pocket profile runs; set {PROFILE_ENV}=full or setup(profile='full') to use them "
                      "anyway")


def cpu_table() -> str:
    """Per measured lesson: what `auto` runs on a CPU that reaches the hub, the estimate, the downloads (lesson 00)."""
    lines = [f"{'lesson':6}  {'profile':7}  {'compute, 2-core CPU (estimate)':31}  downloads (published sizes)"]
    from .lesson_work import WORK

    for lesson in sorted(WORK):
        cost = lesson_cost(lesson)
        profile = "full" if cost.fits else "pocket"
        compute = "no estimate" if cost.seconds is None else duration(cost.seconds) + (" or more" if cost.trains else "")
        compute += ", trains" if cost.trains else ""
        downloads = (size_text(cost.download_mb) + " of checkpoints" if cost.repos else "tokenizers only") if cost.fits \
            else "none (offline)"
        if cost.fits and cost.datasets:
            downloads += " + " + ", ".join(cost.datasets)
        lines.append(f"{lesson:6}  {profile:7}  {compute:31}  {downloads}")
    return "\n".join(lines)
