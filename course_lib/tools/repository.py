"""The course's GitHub repository, named in exactly one place: `REPO` below.

The README's Colab badges and links and every notebook's first (bootstrap) cell are written from it.
To publish the course from a fork, run once from the repository root, then commit:

    python -m course_lib.repository owner/name

It rewrites `REPO` here, every Colab / GitHub link to the course in README.md and the bootstrap cell of every
notebook in notebooks/ (a plain text replacement: nothing else in the files changes).
"""
import re
import sys
from pathlib import Path

REPO = "bert-workbench/bert-workbench"  # owner/name on GitHub
BRANCH = "main"
ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")


def github_url(repo: str = REPO) -> str:
    """https://github.com/owner/name"""
    return f"https://github.com/{repo}"


def pip_source(repo: str = REPO) -> str:
    """What the bootstrap cell hands to pip when course_lib is missing: git+https://github.com/owner/name"""
    return f"git+{github_url(repo)}"


def colab_url(notebook: str, repo: str = REPO, branch: str = BRANCH) -> str:
    """The 'Open in Colab' address of notebooks/<notebook>."""
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/{notebook}"


def links_to(repo: str) -> re.Pattern:
    """Every course link that names `repo`: github.com/<repo> and colab.research.google.com/github/<repo>."""
    return re.compile(r"(github\.com/|colab\.research\.google\.com/github/)" + re.escape(repo) + r"(?=[/\"'\s)#\\]|$)")  # \\: a quote escaped inside notebook JSON


def files_naming_the_repository(root: Path = ROOT) -> list[Path]:
    """README.md, every notebook and this module: the files `set_repository` rewrites."""
    return [root / "README.md", *sorted((root / "notebooks").glob("*.ipynb")), root / "course_lib" / "tools" / "repository.py"]


def set_repository(new: str, root: Path = ROOT, old: str = REPO) -> list[Path]:
    """Point every course link and bootstrap cell under `root` at `new` (owner/name); return the files changed."""
    from ..core.errors import InputError

    if not NAME.match(new):
        raise InputError(f"{new!r} is not a GitHub repository name.", "pass it as owner/name, e.g. my-user/bert-workbench.")
    changed = []
    for path in files_naming_the_repository(root):
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        updated = links_to(old).sub(lambda m: m.group(1) + new, text)
        if path.name == "repository.py":
            updated = re.sub(r'^REPO = "[^"]*"', f'REPO = "{new}"', updated, count=1, flags=re.M)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    """`python -m course_lib.repository owner/name`: rewrite the links; print what changed."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__)
        return 2
    for path in set_repository(argv[0]):
        print(f"updated {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    print(f"Course links now point at {github_url(argv[0])}. Commit, push, and open a notebook from the README badge.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
