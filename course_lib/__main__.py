"""Command line: `python -m course_lib run|data|profiles|finetune` (learners) and `store-outputs|rehearse` (maintainers)."""
import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command; return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["finetune"]:  # its own options (and `accelerate launch -m course_lib finetune ...`)
        from .lessons.finetune import main as finetune

        finetune(argv[1:])
        return 0
    if argv[:1] == ["worlds"]:  # maintainers: its own options (course_lib/tools/worlds.py)
        from .tools.worlds import main as worlds

        return worlds(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m course_lib", description="BERT Workbench course tools")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute the lessons headless (the longest beside the others on 2+ cores)")
    run.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in notebooks/")
    run.add_argument("--profile", choices=["pocket", "full", "auto"], default=None, help="default: $COURSE_PROFILE or auto")
    run.add_argument("--output-dir", type=Path, default=Path("course_runs"), help="where executed copies go")
    data = commands.add_parser("data", help="fetch and verify the offline pocket data")
    data.add_argument("--refresh", action="store_true", help="download again, replacing cached archives")
    store = commands.add_parser("store-outputs", help="maintainers: re-execute notebooks in place (pocket profile)")
    store.add_argument("notebooks", nargs="*", type=Path)
    commands.add_parser("profiles", help="list roles and checkpoints per profile")
    commands.add_parser("worlds", help="maintainers (slow): run every lesson in each learner's world: colab, newest, pinned "
                                       "(python -m course_lib worlds [colab newest pinned] [--table])")
    commands.add_parser("finetune", help="fine-tune from the command line, on one device or several "
                                         "(python -m course_lib finetune --help)")
    measure = commands.add_parser("measure", help="maintainers: run a lesson's long study and store it "
                                                   "(course_lib/lessons/measured/)")
    measure.add_argument("study", help="the study's name, e.g. modes")
    measure.add_argument("--profile", choices=["pocket", "full"], default="pocket")
    rehearse = commands.add_parser("rehearse", help="run lessons in the full profile on tiny offline stand-ins",
                                   description="Build tiny random stand-ins of every full-profile checkpoint and dataset "
                                               "(offline), then execute the lessons with COURSE_PROFILE=full, "
                                               "HF_HUB_OFFLINE=1, COURSE_DEVICE=cpu against them. Outputs mean nothing; "
                                               "no cell may raise.")
    rehearse.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in notebooks/")
    rehearse.add_argument("--cache", type=Path, default=None, help="keep the stand-in cache here (default: a temporary folder)")
    rehearse.add_argument("--output-dir", type=Path, default=None, help="keep the executed copies here")
    args = parser.parse_args(argv)
    return COMMANDS[args.command](args)


def cmd_run(args) -> int:
    from .tools.runner import course_notebooks, format_table, run_course

    notebooks = args.notebooks or course_notebooks()
    if not notebooks:
        print("No notebooks found.", file=sys.stderr)
        return 1
    start = time.perf_counter()
    results = run_course(notebooks, args.output_dir, args.profile)
    print(format_table(results, time.perf_counter() - start))
    print(f"Executed copies: {args.output_dir.resolve()}")
    return 0 if all(r.status == "ok" for r in results) else 1


def cmd_data(args) -> int:
    from .core.pocket_data import fetch_all

    for key, path in fetch_all(refresh=args.refresh).items():
        print(f"{key:16} ok  {path}")
    return 0


def cmd_store_outputs(args) -> int:
    from .tools.runner import course_notebooks, store_outputs

    for path in args.notebooks or course_notebooks():
        print(f"{path.name}: {store_outputs(path):.1f} s", flush=True)
    return 0


def cmd_profiles(args) -> int:
    from .core.profiles import REGISTRY, SIZES, full_download_gb

    print(f"{'role':24} {'kind':8} {'pocket':30} {'full':34} {'download':>9}")
    for role, e in REGISTRY.items():
        size = f"{e.download_mb:,.0f} MB" if e.download_mb else "?"
        print(f"{role:24} {e.kind:8} {e.pocket:30} {e.full:34} {size:>9}")
    print(f"full-profile checkpoints: about {full_download_gb():.1f} GB in all (each repo once)")
    for name, sizes in SIZES.items():
        print(f"sizes[{name}]: " + ", ".join(f"{k}={v}" for k, v in sizes.items()))
    return 0


def cmd_rehearse(args) -> int:
    from .tools.rehearsal import rehearse
    from .tools.runner import course_notebooks, format_table

    results = rehearse(args.notebooks or course_notebooks(), args.cache, args.output_dir)
    print(format_table(results))
    return 0 if results and all(r.status == "ok" for r in results) else 1


def cmd_measure(args) -> int:
    from .core.session import setup
    from .lessons import studies

    session = setup(args.profile)
    study = studies.measure(args.study, session, progress=lambda name: print(f"  measured: {name}", flush=True))
    print(f"stored {studies.store(study)} ({study['measured']['seconds'] / 60:.1f} min)")
    return 0


COMMANDS = {"measure": cmd_measure, "rehearse": cmd_rehearse, "run": cmd_run, "data": cmd_data, "store-outputs": cmd_store_outputs, "profiles": cmd_profiles}

if __name__ == "__main__":
    sys.exit(main())
