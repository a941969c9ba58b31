"""The full-profile rehearsal: its stand-ins look like the real checkpoints and datasets, and it can fail."""
import dataclasses
import json
import shutil

import nbformat
import pytest
from datasets import ClassLabel, Features, Value, load_dataset
from transformers import (AutoConfig, AutoModel, AutoModelForQuestionAnswering, AutoModelForSequenceClassification,
                          AutoTokenizer)

from course_lib.core import data
from course_lib.tools import rehearsal
from course_lib.lessons import zero_shot
from course_lib.__main__ import main
from course_lib.core.checkpoints import load_model
from course_lib.core.errors import CheckpointUnavailableError, CourseError, DataError
from course_lib.core.profiles import REGISTRY, choose_profile

FULL = choose_profile("full")


@pytest.fixture(scope="module")
def cache():
    """The shared rehearsal cache (built once per code version), used in this process."""
    with rehearsal.use_rehearsal_cache(rehearsal.shared_cache()) as folder:
        yield folder


@pytest.fixture()
def variant(tmp_path):
    """A private copy of the rehearsal cache that a test may break."""
    folder = tmp_path / "cache"
    shutil.copytree(rehearsal.shared_cache(), folder)
    with rehearsal.use_rehearsal_cache(folder):
        yield folder


def snapshot(folder, repo_id):
    """The snapshot folder of a stand-in model in a rehearsal cache."""
    repo = folder / "hub" / ("models--" + repo_id.replace("/", "--"))
    return repo / "snapshots" / (repo / "refs" / "main").read_text()


def rebuild_model(folder, repo_id, **changes):
    """Replace a stand-in's weights and config with a variant of its spec."""
    spec = dataclasses.replace(rehearsal.model_stand_ins()[repo_id], **changes)
    target = snapshot(folder, repo_id)
    vocab = len(json.loads((target / "vocab.json").read_text())) if (target / "vocab.json").exists() else \
        len((target / "vocab.txt").read_text(encoding="utf-8").splitlines())
    rehearsal.build_model(spec, target, vocab)


def rebuild_dataset(folder, tmp_path, repo_id, features=None, rename=None):
    """Replace a stand-in dataset with a variant (other features, or a renamed column)."""
    spec = rehearsal.dataset_stand_ins()[repo_id]
    splits = spec.splits
    if rename:
        splits = {s: [{rename.get(k, k): v for k, v in row.items()} for row in rows] for s, rows in splits.items()}
        features = Features({rename.get(k, k): v for k, v in spec.features.items()})
    spec = dataclasses.replace(spec, splits=splits, features=features or spec.features)
    for old in (folder / "datasets").glob(repo_id.split("/")[-1].lower() + "*"):
        shutil.rmtree(old)
    rehearsal.prepare_dataset(spec, folder / "datasets", tmp_path / "scratch")


def test_every_full_checkpoint_has_a_stand_in_with_the_real_architecture(cache):
    for role, entry in REGISTRY.items():
        if entry.kind != "model":
            continue
        config = AutoConfig.from_pretrained(entry.full, local_files_only=True)
        assert config.architectures == [entry.architecture], role
        assert (snapshot(cache, entry.full) / "model.safetensors").exists()
    limits = {name: AutoConfig.from_pretrained(name, local_files_only=True).max_position_embeddings
              for name in ("bert-base-uncased", "deepset/roberta-base-squad2", "facebook/bart-large-mnli")}
    assert limits == {"bert-base-uncased": 512, "deepset/roberta-base-squad2": 514, "facebook/bart-large-mnli": 1024}


def test_stand_ins_carry_the_real_heads_and_labels(cache):
    qa = AutoModelForQuestionAnswering.from_pretrained("deepset/roberta-base-squad2", local_files_only=True)
    assert type(qa).__name__ == "RobertaForQuestionAnswering" and qa.config.model_type == "roberta"
    nli = AutoModelForSequenceClassification.from_pretrained("facebook/bart-large-mnli", local_files_only=True)
    assert type(nli).__name__ == "BartForSequenceClassification"
    assert nli.config.id2label == {0: "contradiction", 1: "neutral", 2: "entailment"}
    emotions = AutoModelForSequenceClassification.from_pretrained("SamLowe/roberta-base-go_emotions", local_files_only=True)
    assert emotions.config.problem_type == "multi_label_classification" and emotions.config.num_labels == 28
    assert emotions.config.id2label[0] == "admiration" and emotions.config.id2label[27] == "neutral"


def test_tokenizers_are_the_real_families(cache):
    uncased = AutoTokenizer.from_pretrained("bert-base-uncased", local_files_only=True)
    assert len(uncased) == 30522 and uncased.tokenize("Hello World") == ["hello", "world"]
    chinese = AutoTokenizer.from_pretrained("bert-base-chinese", local_files_only=True)
    assert len(chinese) == 21128 and chinese.tokenize("我喜欢这本书") == list("我喜欢这本书")
    for name in ("deepset/roberta-base-squad2", "facebook/bart-large-mnli"):
        bpe = AutoTokenizer.from_pretrained(name, local_files_only=True)
        ids = bpe("a great film", "it was")["input_ids"]
        assert type(bpe).__name__.startswith("Roberta") and bpe.convert_ids_to_tokens(ids)[0] == "<s>"
        assert bpe.convert_ids_to_tokens(ids).count("</s>") == 3  # <s> A </s></s> B </s>, as in RoBERTa/BART
        assert "Ġgreat" in bpe.convert_ids_to_tokens(ids)  # byte-level BPE: a leading space is part of the token
    assert AutoTokenizer.from_pretrained("facebook/bart-large-mnli", local_files_only=True).model_max_length == 1024


def test_datasets_load_unchanged_offline_with_real_schemas(cache):
    imdb = load_dataset("imdb")
    assert sorted(imdb) == ["test", "train", "unsupervised"]
    assert imdb["train"].features["label"].names == ["neg", "pos"]
    assert set(imdb["unsupervised"]["label"]) == {-1}
    tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased", local_files_only=True)
    lengths = [len(ids) for ids in tokenizer(list(imdb["train"]["text"]))["input_ids"]]
    assert 1 / 12 < sum(n > 512 for n in lengths) / len(lengths) < 1 / 6  # about one review in eight, like real imdb
    snli = load_dataset("stanfordnlp/snli")
    assert sorted(snli) == ["test", "train", "validation"] and snli["test"].column_names == ["premise", "hypothesis", "label"]
    assert -1 in snli["test"]["label"]
    chinese = load_dataset("lansinuote/ChnSentiCorp")
    assert sorted(chinese) == ["test", "train", "validation"] and chinese["train"].column_names == ["text", "label"]


def test_course_data_reads_the_full_datasets_through_the_registry(cache):
    sentiment = data.load_sentiment(FULL)
    for name, split in sentiment.items():
        assert split.features["label"].names == data.SENTIMENT_LABELS and set(split["label"]) == {0, 1}, name
    assert not set(sentiment["train"]["text"]) & set(sentiment["validation"]["text"])
    snli = data.load_snli("test", limit=30, profile=FULL)
    assert len(snli) == 30 and -1 not in snli["label"] and snli.features["label"].names == data.NLI_LABELS
    chinese = data.load_chinese_sentiment(FULL)
    assert set(chinese) == {"train", "validation", "test"} and set(chinese["test"]["label"]) == {0, 1}


def test_rehearsal_catches_a_wrong_head_class(variant):
    rebuild_model(variant, "deepset/roberta-base-squad2", model_class="RobertaForSequenceClassification",
                  architectures=["RobertaForSequenceClassification"])
    with pytest.raises(CheckpointUnavailableError, match="needs a RobertaForQuestionAnswering"):
        load_model("qa", FULL, AutoModelForQuestionAnswering)


def test_rehearsal_catches_a_wrong_column_name(variant, tmp_path):
    rebuild_dataset(variant, tmp_path, "imdb", rename={"text": "review"})
    with pytest.raises(DataError, match=r"\['text'\] missing"):
        data.load_sentiment(FULL)


def test_rehearsal_catches_a_wrong_label_mapping(variant, tmp_path):
    rebuild_dataset(variant, tmp_path, "imdb", features=Features({"text": Value("string"),
                                                                  "label": ClassLabel(names=["pos", "neg"])}))
    with pytest.raises(DataError, match="label"):
        data.load_sentiment(FULL)
    spec = rehearsal.model_stand_ins()["facebook/bart-large-mnli"]
    rebuild_model(variant, "facebook/bart-large-mnli", config={**spec.config, "id2label": {0: "A", 1: "B", 2: "C"}})
    nli = load_model("nli", FULL, AutoModelForSequenceClassification)
    with pytest.raises(CourseError, match="no 'entailment' label"):
        zero_shot.find_label_id(nli.config, "entailment")


def test_rehearsal_catches_a_missing_safetensors_file(variant):
    (snapshot(variant, "bert-base-uncased") / "model.safetensors").unlink()
    with pytest.raises(CheckpointUnavailableError, match="model.safetensors"):
        load_model("encoder", FULL, AutoModel)


def test_a_lesson_that_breaks_on_the_stand_ins_fails_the_rehearsal(variant, tmp_path, capsys):
    (snapshot(variant, "bert-base-uncased") / "model.safetensors").unlink()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("import course_lib\nsession = course_lib.setup()"),
                      nbformat.v4.new_code_cell("print(session.profile.name)\nsession.load_model('encoder')")]
    path = tmp_path / "99_broken.ipynb"
    nbformat.write(notebook, path)
    assert main(["rehearse", str(path), "--cache", str(variant)]) == 1
    table = capsys.readouterr().out
    assert "99_broken.ipynb  FAILED" in table and "CheckpointUnavailableError: The local cache has" in table
