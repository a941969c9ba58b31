"""Checks for lesson 07 (fine-tuning modes). Each recomputes the truth from the model it is given."""
import torch

from ..core.freezing import freeze_report, groups_for_mode
from . import Exercise, not_answered, report


def check_last_k_count(answer, model, k: int = 1):
    """How many parameters train in last_k mode with this k (last k layers + pooler + head)?"""
    if answer is None:
        return not_answered("the count")
    totals = freeze_report(model)["total"]
    truth = int(sum(totals[g] for g in groups_for_mode(model, "last_k", k)))
    return report(int(answer) == truth, f"last_k with k={k} trains {truth:,} parameters." if int(answer) == truth
                  else f"{int(answer):,} is not the number of parameters last_k with k={k} trains.")


def tiny_classifier(layers: int, seed: int):
    """A random BERT classifier of `layers` layers (unseen sizes for the freezing exercise)."""
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32, num_labels=2)
    return BertForSequenceClassification(config)


def check_freeze_last_k(freeze_all_but_last):
    """Does freeze_all_but_last(model, k) leave exactly the last k layers, the pooler and the head trainable?"""
    for layers, k in ((3, 1), (5, 2), (4, 4)):
        model = tiny_classifier(layers, seed=layers)
        try:
            freeze_all_but_last(model, k)
        except Exception as error:  # the learner's code failed: show why, with a hint
            return report(False, f"freeze_all_but_last raised {type(error).__name__}: {error}")
        wanted = {g for g in groups_for_mode(model, "last_k", k)}
        trainable = {group for group, row in freeze_report(model).drop("total").iterrows() if row["trainable"] > 0}
        partly = [g for g, row in freeze_report(model).drop("total").iterrows() if 0 < row["trainable"] < row["total"]]
        if trainable == set(freeze_report(model).index) - {"total"} and k < layers:
            return report(False, f"on a {layers}-layer model with k={k}, everything still trains.")
        if trainable != wanted or partly:
            extra, missing = sorted(trainable - wanted), sorted(wanted - trainable)
            return report(False, f"on a {layers}-layer model with k={k}: trains {sorted(trainable)}"
                          + (f"; should not train {extra}" if extra else "") + (f"; should train {missing}" if missing else "")
                          + (f"; partly frozen {partly}" if partly else "") + ".")
    return report(True, "only the last k layers, the pooler and the head train, on 3-, 4- and 5-layer models.")


ex1 = Exercise("07", "ex1", "trainable_count", check_last_k_count, hints=(
    "last_k with k=1 trains three groups: the last encoder layer, the pooler and the head; everything else is frozen.",
    "freeze_report(model) has one row per group; its 'total' column counts each group's parameters whether they train "
    "or not, so you can read the three groups without freezing anything.",
    "report = freeze_report(model)['total'], then add the rows f'layer.{model.config.num_hidden_layers - 1}', 'pooler' "
    "and 'head'."),
    solution_code=('report = freeze_report(model)["total"]\n'
                   'trainable_count = int(report[f"layer.{model.config.num_hidden_layers - 1}"] + report["pooler"] + report["head"])\n'))

ex2 = Exercise("07", "ex2", "freeze_all_but_last", check_freeze_last_k, hints=(
    "Freezing is requires_grad=False on a parameter; it is easiest to freeze everything, then switch the top back on.",
    "The layers are model.bert.encoder.layer (count them from the model, not a fixed 6); the pooler is "
    "model.bert.pooler and the head model.classifier; a module's requires_grad_(True) switches all of its parameters.",
    "model.requires_grad_(False), then for layer in model.bert.encoder.layer[len(model.bert.encoder.layer) - k:]: "
    "layer.requires_grad_(True), and the same for the pooler and the classifier."),
    solution_code=("def freeze_all_but_last(model, k):\n"
                   "    model.requires_grad_(False)\n"
                   "    for layer in model.bert.encoder.layer[len(model.bert.encoder.layer) - k:]:\n"
                   "        layer.requires_grad_(True)\n"
                   "    model.bert.pooler.requires_grad_(True)\n"
                   "    model.classifier.requires_grad_(True)\n"))
