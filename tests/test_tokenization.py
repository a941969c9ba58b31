"""Tests for course_lib.tokenization on the real MiniLM tokenizer (bert-base-uncased vocab)."""
import pytest

import course_lib
from course_lib.lessons.tokenization import count_padding, encode_checked, special_tokens_table, token_table, tokenizer_explorer, word_pieces


def test_token_table_matches_tokenizer(tokenizer):
    table = token_table(tokenizer, "Pikachu visited Kathmandu.")
    encoding = tokenizer("Pikachu visited Kathmandu.")
    assert list(table.columns) == ["position", "token", "id", "attention_mask", "token_type_id"]
    assert table["id"].tolist() == encoding["input_ids"]
    assert table["token"].iloc[0] == tokenizer.cls_token and table["token"].iloc[-1] == tokenizer.sep_token
    assert table["token"].tolist()[1:-1] == tokenizer.tokenize("Pikachu visited Kathmandu.")
    assert set(table["token_type_id"]) == {0}


def test_token_table_pair_marks_second_segment(tokenizer):
    table = token_table(tokenizer, "Who?", "Pikachu.")
    sep_positions = table.index[table["token"] == tokenizer.sep_token].tolist()
    assert len(sep_positions) == 2
    assert table["token_type_id"].tolist() == [0] * (sep_positions[0] + 1) + [1] * (len(table) - sep_positions[0] - 1)


def test_empty_text_raises_course_error(tokenizer):
    with pytest.raises(course_lib.CourseError, match="empty") as info:
        encode_checked(tokenizer, "   ")
    assert "Fix:" in str(info.value)
    with pytest.raises(course_lib.CourseError, match=r"text\[1\] is ''"):  # which item of the list, and what it is
        encode_checked(tokenizer, ["fine", ""])


def test_too_long_text_names_truncation(tokenizer):
    long_text = "word " * (tokenizer.model_max_length + 10)
    with pytest.raises(course_lib.CourseError) as info:
        encode_checked(tokenizer, long_text)
    assert f"truncation=True, max_length={tokenizer.model_max_length}" in str(info.value)
    encoding = encode_checked(tokenizer, long_text, truncation=True, max_length=16)
    assert len(encoding["input_ids"]) == 16 and encoding["input_ids"][-1] == tokenizer.sep_token_id


def test_explorer_updates_when_text_changes(tokenizer):
    explorer = tokenizer_explorer(tokenizer, text="hello")
    assert "hello" in explorer.table.value
    explorer.text.value = "lucario"
    assert "##rio" in explorer.table.value and "hello" not in explorer.table.value
    explorer.text_pair.value = "pokemon"
    assert str(tokenizer.convert_tokens_to_ids("pokemon")) in explorer.table.value
    explorer.text.value = ""
    assert "Fix:" in explorer.table.value


def test_count_padding_counts_masks(tokenizer):
    texts = ["a", "a b c d e f"]
    longest = tokenizer(texts, padding=True)
    fixed = tokenizer(texts, padding="max_length", max_length=32)
    real = sum(len(tokenizer.tokenize(t)) + 2 for t in texts)
    assert count_padding(longest)["real"] == real == count_padding(fixed)["real"]
    assert count_padding(fixed)["pad"] == 64 - real
    assert count_padding([longest, fixed])["total"] == count_padding(longest)["total"] + 64
    assert count_padding(fixed)["pad_percent"] > count_padding(longest)["pad_percent"]


def test_special_tokens_read_from_tokenizer(tokenizer):
    table = special_tokens_table(tokenizer).set_index("role")
    assert table.loc["mask", "id"] == tokenizer.convert_tokens_to_ids(tokenizer.mask_token)
    assert table.loc["pad", "id"] == tokenizer.pad_token_id


def test_word_pieces_split_rare_words(tokenizer):
    table = word_pieces(tokenizer, ["the", "lucario"]).set_index("word")
    assert table.loc["the", "n_pieces"] == 1
    assert table.loc["lucario", "n_pieces"] > 1 and "##" in table.loc["lucario", "pieces"]
