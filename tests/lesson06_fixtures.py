"""Tiny models and data shared by the lesson-06 tests (random BERT/RoBERTa configs: fast, no download)."""
import random

import torch
from datasets import ClassLabel, Dataset, Features, Value
from transformers import BertConfig, BertForSequenceClassification, BertModel, RobertaConfig, RobertaForSequenceClassification

TINY = dict(hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64, max_position_embeddings=64,
            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
GOOD = ["great", "wonderful", "brilliant", "lovely", "superb", "excellent"]
BAD = ["terrible", "awful", "boring", "dull", "horrible", "tedious"]


def tiny_bert(tokenizer, num_labels=2, seed=0):
    """A random 3-layer BERT classifier over the real MiniLM vocabulary."""
    torch.manual_seed(seed)
    return BertForSequenceClassification(BertConfig(vocab_size=tokenizer.vocab_size, num_labels=num_labels, **TINY))


def tiny_encoder(tokenizer, seed=0):
    torch.manual_seed(seed)
    return BertModel(BertConfig(vocab_size=tokenizer.vocab_size, **TINY))


def tiny_roberta(num_labels=2, seed=0):
    torch.manual_seed(seed)
    return RobertaForSequenceClassification(RobertaConfig(vocab_size=100, num_labels=num_labels, **{**TINY, "max_position_embeddings": 66}))


def word_sentiment(n=96, seed=0):
    """Sentences whose label is set by one sentiment word (1 = positive)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 2
        word = rng.choice(GOOD if label else BAD)
        rows.append({"text": f"the {rng.choice(['film', 'movie', 'show'])} was {word} {'and long' * (i % 3)}", "label": label})
    features = Features({"text": Value("string"), "label": ClassLabel(names=["negative", "positive"])})
    return Dataset.from_list(rows, features=features)
