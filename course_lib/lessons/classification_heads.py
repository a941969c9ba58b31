"""Sequence-classification heads taken apart: BERT's pooler + linear vs RoBERTa's dense-tanh-out_proj.

BERT:    logits = classifier(dropout(pooler(h)))          pooler(h) = tanh(dense(h[:, 0]))
RoBERTa: logits = out_proj(dropout(tanh(dense(dropout(h[:, 0])))))   (RobertaModel has a pooler, but
         RobertaForSequenceClassification builds its encoder with add_pooling_layer=False: its head holds the dense layer)
Single-label heads turn logits into probabilities with a softmax, multi-label heads with a sigmoid per label.
"""
import torch
from transformers import RobertaConfig, RobertaForSequenceClassification

from ..core.errors import InputError
from ..core.training import fit
from ..core.validation import check_positive

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


def fit_linear_probe(features: torch.Tensor, labels, num_labels: int, steps: int = 100,
                     lr: float = 0.1, seed: int = 0) -> torch.nn.Linear:
    """Logistic regression as an nn.Linear on frozen features: full-batch Adam on CrossEntropyLoss."""
    features, labels = check_probe_inputs(features, labels, num_labels)
    check_positive(steps, "steps", 100)
    torch.manual_seed(seed)
    probe = torch.nn.Linear(features.shape[1], num_labels)
    fit(probe.parameters(), lambda _: torch.nn.functional.cross_entropy(probe(features), labels),  # raw logits
        range(steps), lr=lr, weight_decay=1e-3, optimizer=torch.optim.Adam)
    return probe.eval()


def check_probe_inputs(features, labels, num_labels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Features [n, dim] and integer labels in 0..num_labels-1, one per row; raises an InputError otherwise."""
    check_positive(num_labels, "num_labels", 2)
    if not isinstance(features, torch.Tensor) or features.dim() != 2:
        raise InputError(f"features must be a 2-D tensor [rows, dim], but got {type(features).__name__} "
                         f"{tuple(getattr(features, 'shape', ()))}.",
                         "pass embed_sentences(...) output, or torch.stack(list_of_vectors).")
    labels = torch.as_tensor(labels)
    if labels.dtype.is_floating_point or labels.dim() != 1 or len(labels) != len(features):
        raise InputError(f"labels must be {len(features)} integers (one per feature row), but got {labels.dtype} "
                         f"shape {tuple(labels.shape)}.", "pass torch.tensor(dataset['label']) for the same rows.")
    bad = labels[(labels < 0) | (labels >= num_labels)]
    if len(bad):
        raise InputError(f"label {int(bad[0])} is outside 0..{num_labels - 1} (num_labels={num_labels}).",
                         f"pass num_labels={int(labels.max()) + 1}, or map the labels to 0..{num_labels - 1}.")
    return features, labels
