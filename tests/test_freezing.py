"""Freezing (course_lib.core.freezing): parameter groups named the same way on any encoder, modes, the report."""
import pytest
from torch import nn

import course_lib
from course_lib.core.freezing import freeze, freeze_report, head_of, parameter_groups, trainable_groups


def manual_count(model, prefix, trainable_only=False):
    return sum(p.numel() for n, p in model.named_parameters() if n.startswith(prefix) and (p.requires_grad or not trainable_only))


def test_groups_follow_the_model(tiny_bert):
    model = tiny_bert()
    assert list(parameter_groups(model)) == ["embeddings", "layer.0", "layer.1", "layer.2", "pooler", "head"]


def test_report_counts_match_manual_sums(tiny_bert):
    model = tiny_bert()
    report = freeze(model, "last_k", k=1)
    assert report.loc["embeddings", "total"] == manual_count(model, "bert.embeddings.")
    assert report.loc["layer.1", "total"] == manual_count(model, "bert.encoder.layer.1.")
    assert report.loc["layer.1", "trainable"] == 0
    assert report.loc["layer.2", "trainable"] == manual_count(model, "bert.encoder.layer.2.")
    assert report.loc["head", "trainable"] == manual_count(model, "classifier.")
    assert report.loc["total", "total"] == course_lib.count_parameters(model)
    assert report.loc["total", "trainable"] == course_lib.count_parameters(model, trainable_only=True)
    assert report.drop("total")["total"].sum() == course_lib.count_parameters(model)


def test_modes(tiny_bert):
    model = tiny_bert()
    freeze(model, "head_only")
    assert trainable_groups(model) == ["head"]
    assert course_lib.count_parameters(model, True) == manual_count(model, "classifier.")
    freeze(model, "full")
    assert course_lib.count_parameters(model, True) == course_lib.count_parameters(model)
    freeze(model, ["layer.0", "head"], extra=["embeddings"])
    assert trainable_groups(model) == ["embeddings", "layer.0", "head"]


def test_unknown_name_lists_valid_names(tiny_bert):
    model = tiny_bert()
    with pytest.raises(course_lib.CourseError) as error:
        freeze(model, ["layer.9"])
    assert "layer.9" in str(error.value) and "'pooler'" in str(error.value) and "Fix:" in str(error.value)
    with pytest.raises(course_lib.CourseError, match="Unknown freezing mode"):
        freeze(model, "everything")
    with pytest.raises(course_lib.CourseError, match="3 layers"):
        freeze(model, "last_k", k=5)


def test_roberta_style_names(tiny_roberta):
    model = tiny_roberta()
    groups = list(parameter_groups(model))
    assert "pooler" not in groups and groups[-1] == "head" and "layer.2" in groups
    report = freeze(model, "last_k", k=2)
    assert report.loc["head", "trainable"] == manual_count(model, "classifier.")
    assert report.loc["layer.0", "trainable"] == 0 and report.loc["layer.2", "trainable"] > 0


def test_custom_module_with_encoder_attribute(tiny_encoder):
    class ClsHead(nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder, self.head = encoder, nn.Linear(encoder.config.hidden_size, 2)

    model = ClsHead(tiny_encoder())
    report = freeze(model, "head_only")
    assert report.loc["head", "trainable"] == 32 * 2 + 2
    assert report.loc["total", "trainable"] == 66
    assert report.loc["layer.0", "total"] == manual_count(model, "encoder.encoder.layer.0.")


def test_the_head_is_the_one_module_outside_the_encoder(tiny_bert, tiny_roberta, tiny_encoder):
    bert, roberta = tiny_bert(), tiny_roberta()
    assert head_of(bert) is bert.classifier and head_of(roberta) is roberta.classifier

    class TwoHeads(nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder, self.head, self.extra = encoder, nn.Linear(32, 2), nn.Linear(32, 3)

    with pytest.raises(course_lib.CourseError, match="found 2"):
        head_of(TwoHeads(tiny_encoder()))
