"""Published reference outputs: every entry names its source, covers a full-profile role, and is shown as published."""
import pytest

from course_lib.lessons import published as pub
from course_lib.core.errors import CourseError
from course_lib.core.profiles import checkpoint_for


@pytest.mark.parametrize("role", ["mlm", "qa", "nli", "classifier"])
def test_every_head_role_of_the_full_profile_has_a_published_reference(role):
    reference = pub.published(checkpoint_for(role, "full"))
    assert reference.source.startswith("https://huggingface.co/")
    assert reference.rows and all(len(row) == len(reference.columns) for row in reference.rows)


def test_header_marks_the_numbers_as_published_and_names_the_source():
    header = pub.BERT_FILL_MASK.header()
    assert header.startswith("PUBLISHED") and pub.BERT_FILL_MASK.source in header


def test_fill_mask_scores_are_a_ranking():
    scores = [score for _, score in pub.BERT_FILL_MASK.rows]
    assert scores == sorted(scores, reverse=True) and sum(scores) < 1
    assert pub.BERT_FILL_MASK.rows[0][0] == "fashion"


def test_side_by_side_pads_and_labels_both_sides():
    table = pub.side_by_side(pub.BART_MNLI_ZERO_SHOT, [("travel", 0.5), ("cooking", 0.3)], "pocket")
    assert list(table.index) == [1, 2, 3]
    assert table[("PUBLISHED facebook/bart-large-mnli", "score")].tolist() == [0.994, 0.003, 0.003]
    assert table[("pocket", "label")].tolist() == ["travel", "cooking", ""]


def test_bad_inputs_name_the_fix():
    with pytest.raises(CourseError, match="Fix: use one of"):
        pub.published("bert-large-cased")
    with pytest.raises(CourseError, match="rows of 2 values"):
        pub.side_by_side(pub.BERT_FILL_MASK, [], "pocket")


def test_show_prints_the_notes(capsys):
    table = pub.show(pub.ROBERTA_SQUAD2)
    out = capsys.readouterr().out
    assert "PUBLISHED" in out and "no published output" in out
    assert table["metric"].tolist()[:2] == ["exact match", "F1"]
