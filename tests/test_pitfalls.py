import pytest
import torch
from datasets import Dataset
from torch import nn

import course_lib
from course_lib.core.freezing import freeze
from course_lib.lessons.pitfalls import check_label_mapping, check_labeled, check_logits_not_probabilities, check_no_global_model, check_trainable, padding_cost

TEXTS = ["I loved this wonderful film", "A boring, awful mess", "Brilliant and moving", "The worst movie, so dull"]


def test_softmax_before_loss_is_detected():
    logits = torch.tensor([[2.0, -1.0], [0.3, 0.9], [-3.0, 4.0]])
    with pytest.raises(course_lib.CourseError, match="probabilities"):
        check_logits_not_probabilities(logits.softmax(-1))
    assert check_logits_not_probabilities(logits).startswith("OK")


def test_inverted_labels_are_detected():
    with pytest.raises(course_lib.CourseError, match="inverted"):
        check_label_mapping(TEXTS, [0, 1, 0, 1])
    assert check_label_mapping(TEXTS, [1, 0, 1, 0]).startswith("OK: 4 of 4")


def test_freezing_never_run_is_detected(tiny_bert):
    model = tiny_bert()
    with pytest.raises(course_lib.CourseError, match="freezing cell"):
        check_trainable(model, "head_only")
    freeze(model, "head_only")
    assert check_trainable(model, "head_only").startswith("OK")


def test_unlabeled_split_is_detected():
    with pytest.raises(course_lib.CourseError, match="-1"):
        check_labeled(Dataset.from_dict({"text": ["a", "b"], "label": [-1, -1]}), "unsupervised")
    assert check_labeled(Dataset.from_dict({"text": ["a", "b"], "label": [0, 1]})).startswith("OK")


def test_padding_cost():
    lengths = [10, 20, 30, 40]
    assert padding_cost(lengths, batch_size=2, pad_to=512)["computed_tokens"] == 4 * 512
    dynamic = padding_cost(lengths, batch_size=2, pad_to=None)
    assert dynamic["computed_tokens"] == 2 * 20 + 2 * 40 and dynamic["real_tokens"] == 100


encoder_global = None
head = nn.Linear(2, 2)  # a global that shares its name with an attribute below: must not be flagged


class GlobalHead(nn.Module):
    def forward(self, input_ids):
        return encoder_global(input_ids).last_hidden_state[:, 0]


class AttributeHead(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder, self.head = encoder, nn.Linear(32, 2)

    def forward(self, input_ids):
        return self.head(self.encoder(input_ids).last_hidden_state[:, 0])


def test_global_model_in_class_is_detected(tiny_encoder):
    global encoder_global
    encoder_global = tiny_encoder()
    with pytest.raises(course_lib.CourseError, match="encoder_global"):
        check_no_global_model(GlobalHead)
    assert check_no_global_model(AttributeHead).startswith("OK")


def test_padding_table_counts_positions_for_each_batching():
    from course_lib.lessons.pitfalls import padding_table

    lengths = [5, 600, 7, 9] * 40  # one long review in every four rows, like imdb's long tail
    table = padding_table(lengths, batch_size=4, max_length=512)
    truncated = [min(n, 512) for n in lengths]
    assert table.loc["pad every row to 512", "computed positions"] == len(lengths) * 512
    assert (table["real tokens"] == sum(truncated)).all()
    # in file order every batch of 4 holds a 512-token row: dynamic padding saves nothing
    assert table.loc["dynamic, file order", "computed positions"] == len(lengths) * 512
    grouped = table.loc["dynamic, length-grouped (as train() does)", "computed positions"]
    assert sum(truncated) <= grouped < len(lengths) * 512 / 2
