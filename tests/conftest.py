"""Fixtures shared by the test files, written once.

- `tokenizer`: the pocket tokenizer (MiniLM's, the bert-base-uncased vocabulary), loaded once per run.
- `session`, `nli`: a pocket-profile session (seeded afresh per module) and the pocket NLI model.
- `tiny_bert`, `tiny_encoder`, `tiny_roberta`: factories of random 3-layer models (hidden 32): fast, no download.
- `word_sentiment`: a factory of sentences whose label is set by one sentiment word.
- `fake_hardware`: pretend an AMX CPU, a CUDA GPU of some compute capability, or an Apple GPU.
"""
import random

import pytest
import torch
from datasets import ClassLabel, Dataset, Features, Value
from transformers import (AutoModelForSequenceClassification, AutoTokenizer, BertConfig, BertForSequenceClassification,
                          BertModel, RobertaConfig, RobertaForSequenceClassification)

import course_lib
from course_lib.core.checkpoints import minilm_dir
from course_lib.core.precision import PRECISION_ENV

TINY = dict(hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64, max_position_embeddings=64,
            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)  # dropout off unless a test asks for it
GOOD = ["great", "wonderful", "brilliant", "lovely", "superb", "excellent"]
BAD = ["terrible", "awful", "boring", "dull", "horrible", "tedious"]


@pytest.fixture(autouse=True)
def fp32_unit_tests(monkeypatch):
    """Unit tests compute in fp32 on every CPU, AMX or not (tests of the bf16 path opt in with `fake_hardware`).

    The notebooks under nbval keep the hardware's choice: their compared outputs must not depend on it.
    """
    monkeypatch.setenv(PRECISION_ENV, "fp32")


@pytest.fixture(scope="session")
def tokenizer():
    """The pocket tokenizer (every pocket English role uses MiniLM's), loaded once for the whole run."""
    return AutoTokenizer.from_pretrained(minilm_dir())


@pytest.fixture(scope="module")
def session():
    """A pocket-profile session, seeded afresh for each test module."""
    return course_lib.setup(profile="pocket", verbose=False)


@pytest.fixture(scope="module")
def nli(session):
    """The pocket NLI model and its tokenizer."""
    return session.load_model("nli", AutoModelForSequenceClassification), session.load_tokenizer("nli")


@pytest.fixture(scope="session")
def tiny_bert(tokenizer):
    """`tiny_bert(num_labels=2, seed=0, **config)`: a random 3-layer BERT classifier over the pocket vocabulary."""
    def make(num_labels: int = 2, seed: int = 0, **config):
        torch.manual_seed(seed)
        return BertForSequenceClassification(BertConfig(vocab_size=tokenizer.vocab_size, num_labels=num_labels,
                                                        **{**TINY, **config}))
    return make


@pytest.fixture(scope="session")
def tiny_encoder(tokenizer):
    """`tiny_encoder(seed=0)`: a random 3-layer BertModel (no head) over the pocket vocabulary."""
    def make(seed: int = 0):
        torch.manual_seed(seed)
        return BertModel(BertConfig(vocab_size=tokenizer.vocab_size, **TINY))
    return make


@pytest.fixture(scope="session")
def tiny_roberta():
    """`tiny_roberta(num_labels=2, seed=0)`: a random 3-layer RoBERTa classifier (no pooler) over 100 ids."""
    def make(num_labels: int = 2, seed: int = 0):
        torch.manual_seed(seed)
        config = RobertaConfig(vocab_size=100, num_labels=num_labels, **{**TINY, "max_position_embeddings": 66})
        return RobertaForSequenceClassification(config)
    return make


@pytest.fixture(scope="session")
def word_sentiment():
    """`word_sentiment(n=96, seed=0)`: labeled sentences (1 = positive) set by one sentiment word, lengths varied."""
    def make(n: int = 96, seed: int = 0) -> Dataset:
        rng = random.Random(seed)
        rows = []
        for i in range(n):
            label = i % 2
            word = rng.choice(GOOD if label else BAD)
            rows.append({"text": f"the {rng.choice(['film', 'movie', 'show'])} was {word} {'and long' * (i % 3)}",
                         "label": label})
        features = Features({"text": Value("string"), "label": ClassLabel(names=["negative", "positive"])})
        return Dataset.from_list(rows, features=features)
    return make


class FakeHardware:
    """Pretend hardware for the precision rule; $COURSE_PRECISION is unset, so the hardware decides."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        monkeypatch.delenv(PRECISION_ENV, raising=False)

    def cpu(self, amx: bool) -> None:
        """A CPU with or without AMX bf16 units, as torch's public capability report says."""
        real = torch.cpu.get_capabilities()
        self.monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {**real, "amx_bf16": amx})

    def cuda(self, capability: tuple[int, int] | None) -> None:
        """A CUDA GPU of that compute capability (None: no CUDA); `is_bf16_supported` says yes, as torch's does."""
        self.monkeypatch.setattr(torch.cuda, "is_available", lambda: capability is not None)
        self.monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
        self.monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)

    def mps(self, available: bool) -> None:
        self.monkeypatch.setattr(torch.backends.mps, "is_available", lambda: available)


@pytest.fixture
def fake_hardware(monkeypatch) -> FakeHardware:
    """`fake_hardware.cpu(amx=True)`, `.cuda((7, 5))`, `.mps(True)`: with $COURSE_PRECISION unset."""
    return FakeHardware(monkeypatch)
