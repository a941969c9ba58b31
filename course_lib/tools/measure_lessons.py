"""Maintainers: count what each lesson computes in the full profile, from the rehearsal, for the per-lesson CPU choice.

`python -m course_lib.tools.measure_lessons [notebooks...]` runs each lesson in the full-profile rehearsal (tiny
stand-ins under the real hub ids, course_lib/tools/rehearsal.py) with a counter in the kernel: every outermost call of
a 🤗 model adds its batch x length (tokens) and batch x length² (the attention term), split into forward-only and
training calls, per real checkpoint; every `datasets.load_dataset` is noted. The stand-in datasets get ROWS rows per
split (more than the suite's 40, so a lesson's row counts are not capped below what it asks for), and the sizes `auto`
gives a lesson it runs on the real checkpoints on a CPU (profiles.CPU_FULL_SIZES). The counts are written
to course_lib/core/lesson_work.py; course_lib.core.lesson_costs turns them into CPU seconds with the FLOP model of
course_lib.core.estimates (the real checkpoints' parameter counts), and `auto` chooses per lesson from that.
"""
import functools
import json
import os
import pprint
import sys
import tempfile
import time
from pathlib import Path

ROWS = 300  # stand-in rows per split for the measurement (lesson 05 reads 200 SNLI pairs; 100 test reviews)
OUTPUT = Path(__file__).resolve().parents[1] / "core" / "lesson_work.py"

COUNTER = r'''
# course_lib.tools.measure_lessons: count the tokens each full-profile checkpoint computes in this kernel
import atexit, json, os, re, threading, time
import torch
import datasets
from transformers import PreTrainedModel

_path, _work, _state = os.environ["COURSE_COUNT_WORK"], {"models": {}, "datasets": []}, threading.local()
_last = [0.0]


def _dump(force=False):
    if force or time.time() - _last[0] > 0.5:
        _last[0] = time.time()
        with open(_path, "w") as f:
            json.dump(_work, f)


def _repo(model):
    name = str(getattr(model, "name_or_path", "") or getattr(model.config, "_name_or_path", ""))
    m = re.search(r"models--([^/]+?)--([^/]+)", name)
    return f"{m.group(1)}/{m.group(2)}" if m else (name or "?")


_call = torch.nn.Module.__call__


def _counted(self, *args, **kwargs):
    depth = getattr(_state, "depth", 0)
    if depth or not isinstance(self, PreTrainedModel):
        return _call(self, *args, **kwargs)
    _state.depth = 1
    try:
        x = kwargs.get("input_ids")
        if x is None:
            x = kwargs.get("inputs_embeds")
        if x is None and args and torch.is_tensor(args[0]):
            x = args[0]
        if x is not None and x.dim() >= 2:
            b, length = int(x.shape[0]), int(x.shape[1])
            train = torch.is_grad_enabled() and any(p.requires_grad for p in self.parameters())
            entry = _work["models"].setdefault(_repo(self), {"tokens": 0, "token_length": 0, "train_tokens": 0,
                                                             "train_token_length": 0, "calls": 0})
            key = "train_" if train else ""
            entry[key + "tokens"] += b * length
            entry[key + "token_length"] += b * length * length
            entry["calls"] += 1
            _dump()
        return _call(self, *args, **kwargs)
    finally:
        _state.depth = 0


torch.nn.Module.__call__ = _counted
_load_dataset = datasets.load_dataset


def _counted_load(path, *args, **kwargs):
    if path not in _work["datasets"]:
        _work["datasets"].append(str(path))
        _dump(True)
    return _load_dataset(path, *args, **kwargs)


datasets.load_dataset = _counted_load
atexit.register(_dump, True)
'''


def build_cache(folder: Path, rows: int = ROWS) -> Path:
    """The rehearsal cache with `rows` stand-in rows per split."""
    from . import rehearsal

    original = rehearsal.dataset_stand_ins
    rehearsal.dataset_stand_ins = functools.partial(original, rows=rows)
    try:
        return rehearsal.build_rehearsal_cache(folder)
    finally:
        rehearsal.dataset_stand_ins = original


def measure(notebooks: list[Path], folder: Path, sizes: dict | None = None, rows: int = ROWS) -> dict:
    """{lesson: {"models": {repo: counts}, "datasets": [...], "seconds_rehearsal": s}} from one rehearsal run each.

    A lesson that trains can be measured `--quick` (the suite's 40-row rehearsal and small grids): its counts are then a
    lower bound, which is enough to keep it on the pocket profile."""
    from ..core.environ import environment
    from . import rehearsal
    from .runner import execute_notebook

    cache = folder / "cache"
    if not (cache / "hub").exists():
        build_cache(cache, rows)
    startup = folder / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-course-count.py").write_text(COUNTER)
    found = {}
    for path in notebooks:
        counts = folder / f"{path.name[:2]}.json"
        counts.unlink(missing_ok=True)
        env = {**rehearsal.cache_env(cache), "COURSE_SIZES": json.dumps(sizes or {}), "IPYTHONDIR": str(folder / "ipython"),
               "COURSE_COUNT_WORK": str(counts)}
        start = time.perf_counter()
        with environment(env):
            execute_notebook(path, "full", env=env)
        work = json.loads(counts.read_text()) if counts.exists() else {"models": {}, "datasets": []}
        work["seconds_rehearsal"] = round(time.perf_counter() - start, 1)
        found[path.name[:2]] = work
        print(f"{path.name}: {json.dumps(work)}", flush=True)
    return found


def write(found: dict, rows: int = ROWS, output: Path = OUTPUT) -> None:
    """Merge the measured lessons into course_lib/core/lesson_work.py (generated data)."""
    known = {}
    if output.exists():
        scope = {}
        exec(output.read_text(), scope)
        known = scope.get("WORK", {})
    known.update(found)
    text = (f'"""What each lesson computes in the full profile, counted in the rehearsal (generated: do not edit).\n\n'
            f"Written by `python -m course_lib.tools.measure_lessons` ({time.strftime('%Y-%m-%d')}; each lesson with the "
            "stand-in rows per split it names). Per lesson: for each full-profile checkpoint, the tokens of its forward-only calls (batch x length) and "
            "their attention term (batch x length²), the same for calls that train, and the datasets loaded. "
            'course_lib.core.lesson_costs turns them into CPU seconds.\n"""\n'
            f"WORK = {pprint.pformat(known, width=116, sort_dicts=True)}\n")
    output.write_text(text)


def main(argv: list[str] | None = None) -> int:
    from ..core.profiles import CPU_FULL_SIZES
    from .runner import course_notebooks

    argv = list(sys.argv[1:] if argv is None else argv)
    rows, sizes = ROWS, dict(CPU_FULL_SIZES)
    if "--quick" in argv:  # lessons that train: the suite's small rehearsal (40 rows, small grids) is enough to show it
        from .rehearsal import REHEARSAL_SIZES, ROWS_PER_SPLIT

        argv.remove("--quick")
        rows, sizes = ROWS_PER_SPLIT, {**REHEARSAL_SIZES, **CPU_FULL_SIZES}
    notebooks = [Path(a) for a in argv] or course_notebooks()
    with tempfile.TemporaryDirectory(prefix="course_measure_") as folder:
        folder = Path(os.environ.get("COURSE_MEASURE_DIR") or folder) / f"rows{rows}"
        found = measure(notebooks, folder, sizes, rows)
    for work in found.values():
        work["rows_per_split"] = rows
    write(found, rows)
    from ..core import lesson_costs

    for lesson in sorted(found):
        print(lesson, lesson_costs.describe(lesson))
    return 0


if __name__ == "__main__":
    sys.exit(main())
