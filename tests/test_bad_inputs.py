"""The catalogue of bad inputs: each gets a CourseError that names the fix, and nothing is corrupted."""
import pytest
import torch
from datasets import Dataset
from transformers import AutoModel, AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification

import course_lib
from course_lib import attention, data, freezing, masked_lm, pocket_data, qa, tokenization, training, zero_shot
from course_lib.checkpoints import load_model, load_tokenizer
from course_lib.device import pick_device
from course_lib.errors import CourseError
from course_lib.profiles import choose_profile

POCKET = choose_profile("pocket")


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("encoder", POCKET)


@pytest.fixture
def tiny_classifier():
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, num_labels=2)
    return BertForSequenceClassification(config).eval()


def expect_fix(call, *fix_words):
    """Run `call`, expect a CourseError whose `Fix:` line contains every word in `fix_words`."""
    with pytest.raises(CourseError) as info:
        call()
    fix = str(info.value).split("Fix:", 1)[1]
    for word in fix_words:
        assert word in fix, (word, str(info.value))
    return info.value


def test_text_without_a_mask(tokenizer, tiny_classifier):
    expect_fix(lambda: masked_lm.fill_mask_by_hand("the movie was great.", tokenizer, None, "cpu"), tokenizer.mask_token)


def test_empty_question_and_empty_context(tokenizer):
    expect_fix(lambda: qa.encode_windows("  ", "Ann wrote it.", tokenizer), "non-empty question")
    expect_fix(lambda: qa.encode_windows("Who wrote it?", "", tokenizer), "non-empty context")


def test_a_head_that_does_not_match_the_task(tiny_classifier):
    expect_fix(lambda: qa.check_span_head(tiny_classifier), "AutoModelForQuestionAnswering")
    expect_fix(lambda: zero_shot.find_label_id(tiny_classifier.config, "entailment"), 'session.load_model("nli"')


def test_empty_candidate_labels_and_a_template_without_a_slot():
    expect_fix(lambda: zero_shot.make_hypotheses([]), "candidate_labels=[")
    expect_fix(lambda: zero_shot.make_hypotheses(["travel"], "This example is travel."), "{}")


def test_unknown_freeze_target_lists_valid_names_and_changes_nothing(tiny_classifier):
    before = [p.requires_grad for p in tiny_classifier.parameters()]
    error = expect_fix(lambda: freezing.freeze(tiny_classifier, ["layer.0", "layer.7"]), "layer.1", "head")
    assert "layer.7" in error.problem
    assert [p.requires_grad for p in tiny_classifier.parameters()] == before
    expect_fix(lambda: freezing.freeze(tiny_classifier, "last_k", k=5), "k <= 2")


def test_labels_out_of_range_leave_the_model_untouched(tokenizer, tiny_classifier):
    rows = Dataset.from_dict({"text": ["good", "bad"], "label": [1, 2]})
    weights = {k: v.clone() for k, v in tiny_classifier.state_dict().items()}
    error = expect_fix(lambda: training.train(tiny_classifier, rows, rows, tokenizer, device="cpu", plot=False, progress=False),
                       "num_labels")
    assert "label 2" in error.problem
    assert all(torch.equal(v, tiny_classifier.state_dict()[k]) for k, v in weights.items())


def test_unlabeled_split_is_refused(tokenizer, tiny_classifier):
    unlabeled = Dataset.from_dict({"text": ["a review"] * 3, "label": [-1] * 3})  # like imdb's "unsupervised"
    expect_fix(lambda: training.check_labels(unlabeled, 2, "eval_data"), "labeled split")


def test_empty_dataset(tokenizer, tiny_classifier):
    empty = Dataset.from_dict({"text": [], "label": []})
    expect_fix(lambda: training.train(tiny_classifier, empty, empty, tokenizer, device="cpu", plot=False, progress=False), "split")
    expect_fix(lambda: data.split_rows([], {"train": 1, "validation": 1, "test": 1}), "data source")


def test_empty_text_and_a_sequence_over_the_maximum(tokenizer):
    expect_fix(lambda: tokenization.encode_checked(tokenizer, ""), "")
    expect_fix(lambda: tokenization.encode_checked(tokenizer, "word " * 600), "truncation=True", "max_length=512")
    assert len(tokenization.encode_checked(tokenizer, "word " * 600, truncation=True, max_length=512)["input_ids"]) == 512


def test_full_profile_checkpoint_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    expect_fix(lambda: load_model("nli", choose_profile("full"), AutoModelForSequenceClassification), "COURSE_PROFILE=pocket")


def test_corrupt_cached_archive_is_kept_and_the_fix_named(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    archive = tmp_path / pocket_data.ARCHIVES["movie_snippets"].filename
    archive.write_bytes(b"\x1f\x8b truncated")
    expect_fix(lambda: pocket_data.read_movie_snippets(), "python -m course_lib data --refresh")
    assert archive.read_bytes() == b"\x1f\x8b truncated"


def test_wrong_profile_name(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "gpu")
    expect_fix(lambda: course_lib.setup(verbose=False), "COURSE_PROFILE=pocket", "full", "auto")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_requested_without_a_gpu():
    expect_fix(lambda: pick_device("cuda:0"), "device='cpu'", "Change runtime type")


def test_attentions_from_a_model_loaded_without_them(tokenizer):
    model = load_model("encoder", POCKET, AutoModel)  # default attention: SDPA
    batch = tokenizer("The cat sat.", return_tensors="pt")
    with torch.no_grad():
        fused, plain = model(**batch, output_attentions=True), model(**batch)
    expect_fix(lambda: attention.get_attentions(fused, model), "attn_implementation='eager'")
    expect_fix(lambda: attention.get_attentions(plain, model), "output_attentions=True")


def test_layer_or_head_out_of_range():
    fake = tuple(torch.rand(1, 2, 3, 3) for _ in range(4))
    expect_fix(lambda: attention.attention_matrix(fake, 4, 0), "0 to 3")
    expect_fix(lambda: attention.attention_matrix(fake, 0, 2), "0 to 1")
