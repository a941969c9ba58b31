"""Sequence-classification heads taken apart: BERT's pooler + linear vs RoBERTa's dense-tanh-out_proj.

BERT:    logits = classifier(dropout(pooler(h)))          pooler(h) = tanh(dense(h[:, 0]))
RoBERTa: logits = out_proj(dropout(tanh(dense(dropout(h[:, 0])))))   (no pooler; the head holds the dense layer)
Single-label heads turn logits into probabilities with a softmax, multi-label heads with a sigmoid per label.
"""
import torch
from transformers import RobertaConfig, RobertaForSequenceClassification

MULTI_LABEL = "multi_label_classification"


def tiny_roberta_classifier(num_labels: int = 3, seed: int = 0) -> RobertaForSequenceClassification:
    """A 2-layer RoBERTa classifier with RANDOM weights: only for looking at its structure offline."""
    torch.manual_seed(seed)
    config = RobertaConfig(vocab_size=1000, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=64, num_labels=num_labels)
    return RobertaForSequenceClassification(config).eval()


def head_style(model) -> str:
    """"roberta" when the head holds its own dense layer (dense -> tanh -> out_proj), else "bert" (pooler -> linear)."""
    return "roberta" if hasattr(model.classifier, "out_proj") else "bert"


def classification_logits_by_hand(model, last_hidden_state: torch.Tensor) -> torch.Tensor:
    """The head's logits from the encoder's last hidden state, in eval mode (dropout is the identity)."""
    first_token = last_hidden_state[:, 0]  # [CLS] for BERT, <s> for RoBERTa
    if head_style(model) == "roberta":
        head = model.classifier
        return head.out_proj(torch.tanh(head.dense(first_token)))
    pooler = model.base_model.pooler
    return model.classifier(torch.tanh(pooler.dense(first_token)))


def is_multi_label(config) -> bool:
    """True when the checkpoint says several labels can be true at once (config.problem_type)."""
    return getattr(config, "problem_type", None) == MULTI_LABEL


def label_probabilities(logits: torch.Tensor, config) -> torch.Tensor:
    """Sigmoid per label for multi-label heads, softmax across labels otherwise."""
    return torch.sigmoid(logits) if is_multi_label(config) else logits.softmax(dim=-1)


def loss_for(config):
    """The matching loss, which takes RAW logits: BCEWithLogitsLoss (multi-label) or CrossEntropyLoss."""
    return torch.nn.BCEWithLogitsLoss() if is_multi_label(config) else torch.nn.CrossEntropyLoss()


def fit_linear_probe(features: torch.Tensor, labels: torch.Tensor, num_labels: int, steps: int = 100,
                     lr: float = 0.1, seed: int = 0) -> torch.nn.Linear:
    """Logistic regression as an nn.Linear on frozen features: full-batch Adam on CrossEntropyLoss."""
    torch.manual_seed(seed)
    probe = torch.nn.Linear(features.shape[1], num_labels)
    optimizer = torch.optim.Adam(probe.parameters(), lr=lr, weight_decay=1e-3)
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(probe(features), labels)  # raw logits in, no softmax
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return probe.eval()
