import json
import time

import pytest
import torch
from safetensors.torch import save_file
from transformers import AutoModel, AutoModelForMaskedLM

from course_lib.core import checkpoints
from course_lib.core.checkpoints import describe_load, load_model, load_tokenizer
from course_lib.core.errors import CheckpointUnavailableError
from course_lib.core.profiles import choose_profile

POCKET = choose_profile("pocket")


def test_pocket_encoder_is_the_full_pretrained_minilm(tokenizer):
    model = load_model("encoder", POCKET, AutoModel)
    assert model.config.num_hidden_layers == 6 and model.config.hidden_size == 384
    assert model.loading_info["missing_keys"] == []
    assert not model.training
    assert "every weight was read from the checkpoint; none is newly initialised" in describe_load(model)
    assert tokenizer.convert_tokens_to_ids("[MASK]") == tokenizer.mask_token_id


def test_missing_head_is_reported_untrained(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "HEADS_DIR", tmp_path)  # no trained heads here
    model = load_model("mlm", POCKET, AutoModelForMaskedLM)
    assert any(k.startswith("cls.predictions") for k in model.loading_info["missing_keys"])
    assert "UNTRAINED" in describe_load(model)


def test_head_overlay_is_loaded_strictly(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "HEADS_DIR", tmp_path)
    save_file({"cls.predictions.transform.dense.weight": torch.full((384, 384), 0.5)}, tmp_path / "mlm_head.safetensors")
    (tmp_path / "mlm_head.json").write_text(json.dumps({"config": {}, "model_class": "BertForMaskedLM"}))
    model = load_model("mlm", POCKET, AutoModelForMaskedLM)
    assert torch.all(model.cls.predictions.transform.dense.weight == 0.5)
    assert "cls.predictions.transform.dense.weight" not in model.loading_info["missing_keys"]
    save_file({"classifier.weight": torch.zeros(2, 384)}, tmp_path / "mlm_head.safetensors")
    with pytest.raises(CheckpointUnavailableError, match="does not fit BertForMaskedLM"):
        load_model("mlm", POCKET, AutoModelForMaskedLM)


def test_full_checkpoint_offline_is_actionable_and_fast(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    with pytest.raises(CheckpointUnavailableError) as info:
        load_model("encoder", choose_profile("full"), AutoModel)
    assert "COURSE_PROFILE=pocket" in str(info.value) and "bert-base-uncased" in str(info.value)
    assert time.perf_counter() - start < 3


def test_unknown_pocket_name():
    with pytest.raises(CheckpointUnavailableError, match="use one of: pocket/minilm-l6"):
        load_model("encoder", POCKET, AutoModel, checkpoint="pocket/nope")


def test_chinese_tokenizer_uses_the_real_vocab():
    tokenizer = load_tokenizer("chinese_encoder", POCKET)
    ids = tokenizer("我喜欢这本书")["input_ids"]
    assert len(tokenizer) == 21128
    assert ids[0] == tokenizer.cls_token_id and tokenizer.unk_token_id not in ids
    assert len(ids) == 8  # one token per character, plus [CLS] and [SEP]


def test_tiny_chinese_model_is_declared_untrained():
    from transformers import AutoModelForSequenceClassification

    model = load_model("chinese_encoder", POCKET, AutoModelForSequenceClassification, num_labels=2)
    assert model.config.vocab_size == 21128 and model.num_labels == 2
    assert "UNTRAINED" in describe_load(model)


def test_no_phantom_pocket_entries():
    """Every pocket model the registry names exists here, and every head file a pocket entry names is shipped."""
    from course_lib.core.profiles import REGISTRY

    pocket_models = {e.pocket for e in REGISTRY.values() if e.kind == "model"}
    assert pocket_models == set(checkpoints.POCKET_CHECKPOINTS)
    for name, spec in checkpoints.POCKET_CHECKPOINTS.items():
        if spec.head_file:
            assert (checkpoints.HEADS_DIR / spec.head_file).exists(), name
        else:
            assert "UNTRAINED" in spec.description or spec.tiny_config or name == "pocket/minilm-l6", name


def test_untrained_pocket_qa_head_is_described_as_untrained():
    from transformers import AutoModelForQuestionAnswering

    model = load_model("qa", POCKET, AutoModelForQuestionAnswering)
    assert any(k.startswith("qa_outputs") for k in model.loading_info["missing_keys"])
    assert "UNTRAINED" in describe_load(model) and "pocket_head" not in model.loading_info


def test_a_registry_checkpoint_with_the_wrong_head_is_an_error():
    from types import SimpleNamespace

    wrong = SimpleNamespace(config=SimpleNamespace(architectures=["RobertaForSequenceClassification"]))
    with pytest.raises(CheckpointUnavailableError, match="'qa' role needs a RobertaForQuestionAnswering"):
        checkpoints.check_architecture(wrong, "qa", "deepset/roberta-base-squad2")
    checkpoints.check_architecture(wrong, "qa", "my/own-qa-model")  # an override is the learner's choice: no check
