"""The catalogue of bad inputs: each gets a CourseError subclass that shows the value and names the fix, or an
announced default; nothing is corrupted and no raw library traceback reaches the learner."""
import re

import pytest
import torch
from datasets import ClassLabel, Dataset, DatasetDict
from transformers import (AutoModel, AutoModelForSequenceClassification, BertConfig, BertForMaskedLM,
                          BertForQuestionAnswering, BertForSequenceClassification)

import course_lib
from course_lib.core import data, freezing, pocket_data, tensors, training
from course_lib.lessons import attention, classification_heads, hidden_states, masked_lm, qa, tokenization, zero_shot
from course_lib.core.checkpoints import load_model, load_tokenizer
from course_lib.core.device import pick_device
from course_lib.core.errors import CacheDirError, CourseError, DataError, DeviceUnavailableError, InputError
from course_lib.core.profiles import choose_profile

POCKET = choose_profile("pocket")
CODE_HINT = re.compile(r"[=(`\[{]")  # a fix that shows code: a call, an assignment, a list or a backticked command


def tiny_config(**kwargs) -> BertConfig:
    return BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=64, **kwargs)


@pytest.fixture
def tiny_classifier():
    torch.manual_seed(0)
    return BertForSequenceClassification(tiny_config(num_labels=2)).eval()


def expect_fix(call, *fix_words, error=CourseError, shows=None, code_hint=True):
    """Run `call`; expect `error` whose Fix names every one of `fix_words` (at least one, none blank).

    `shows`: text the problem must quote (the offending value). `code_hint`: the fix must show code.
    """
    assert fix_words and all(str(word).strip() for word in fix_words), "name the fix text the error must give"
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert "\nFix: " in message, message
    fix = message.split("\nFix: ", 1)[1]
    assert fix.strip() == info.value.fix.strip() and fix.strip(), message
    for word in fix_words:
        assert word in fix, (word, message)
    if code_hint:
        assert CODE_HINT.search(fix), f"the fix shows no code: {fix!r}"
    if shows is not None:
        assert shows in info.value.problem, (shows, message)
    return info.value


def train_call(model, rows, tokenizer, **kwargs):
    """A train() call with quiet defaults, to be run by expect_fix."""
    options = {"device": "cpu", "plot": False, "progress": False, **kwargs}
    return lambda: training.train(model, rows, rows, tokenizer, **options)


GOOD_ROWS = {"text": ["a good film", "a bad film"], "label": [1, 0]}


# --- the errors themselves ---------------------------------------------------------------------------------------

def test_a_course_error_without_a_fix_cannot_be_made():
    with pytest.raises(ValueError, match="must name the fix"):
        CourseError("something broke", "  ")


def test_expect_fix_itself_refuses_an_empty_fix_word():
    with pytest.raises(AssertionError, match="name the fix"):
        expect_fix(lambda: None, "")


# --- train() / evaluate() entry ----------------------------------------------------------------------------------

def test_string_labels(tokenizer, tiny_classifier):
    rows = Dataset.from_dict({"text": ["a good film", "a bad film"], "label": ["pos", "neg"]})
    expect_fix(train_call(tiny_classifier, rows, tokenizer), "class_encode_column('label')", error=DataError,
               shows="'pos'")
    assert "integers 0..1" in expect_fix(train_call(tiny_classifier, rows, tokenizer), "class_encode_column").problem


def test_float_labels(tokenizer, tiny_classifier):
    rows = Dataset.from_dict({"text": ["a good film", "a bad film"], "label": [1.0, 0.0]})
    expect_fix(train_call(tiny_classifier, rows, tokenizer), "cast_column('label'", error=DataError)


def test_dataset_without_a_text_column(tokenizer, tiny_classifier):
    rows = Dataset.from_dict({"review": ["a good film", "a bad film"], "label": [1, 0]})
    expect_fix(train_call(tiny_classifier, rows, tokenizer), "rename_column('review', 'text')", error=DataError,
               shows="'review'")


def test_dataset_without_a_label_column(tokenizer, tiny_classifier):
    rows = Dataset.from_dict({"text": ["a good film", "a bad film"], "sentiment": [1, 0]})
    expect_fix(train_call(tiny_classifier, rows, tokenizer), "rename_column('sentiment', 'label')", error=DataError)


@pytest.mark.parametrize("bad", [None, "", "   "])
def test_none_or_empty_texts(tokenizer, tiny_classifier, bad):
    rows = Dataset.from_dict({"text": ["a good film", bad, "fine"], "label": [1, 0, 1]})
    error = expect_fix(train_call(tiny_classifier, rows, tokenizer), ".filter(lambda row:", error=DataError,
                       shows="row 1")
    assert repr(bad) in error.problem


@pytest.mark.parametrize("size", [0, -4, 2.5])
def test_batch_size_that_is_not_a_positive_whole_number(tokenizer, tiny_classifier, size):
    rows = Dataset.from_dict(GOOD_ROWS)
    expect_fix(train_call(tiny_classifier, rows, tokenizer, batch_size=size), "batch_size=16", error=InputError,
               shows=repr(size))
    expect_fix(lambda: training.evaluate(tiny_classifier, rows, "cpu", tokenizer, batch_size=size), "batch_size=",
               error=InputError)


@pytest.mark.parametrize("lr", [0, -1e-5, 0.0])
def test_learning_rate_that_is_not_positive(tokenizer, tiny_classifier, lr):
    rows = Dataset.from_dict(GOOD_ROWS)
    weights = {k: v.clone() for k, v in tiny_classifier.state_dict().items()}
    expect_fix(train_call(tiny_classifier, rows, tokenizer, lr=lr), "lr=5e-05", error=InputError, shows=repr(lr))
    assert all(torch.equal(v, tiny_classifier.state_dict()[k]) for k, v in weights.items())


@pytest.mark.parametrize("rows", [
    [{"text": "a good film", "label": 1}, {"text": "a bad film", "label": 0}],
    {"text": ["a good film"], "label": [1]},
])
def test_a_plain_list_or_dict_instead_of_a_dataset(tokenizer, tiny_classifier, rows):
    expect_fix(train_call(tiny_classifier, rows, tokenizer), "Dataset.from_list(rows)", "Dataset.from_dict(",
               error=DataError, shows=type(rows).__name__)


def test_a_dataset_dict_instead_of_one_split(tokenizer, tiny_classifier):
    splits = DatasetDict({"train": Dataset.from_dict(GOOD_ROWS)})
    expect_fix(lambda: training.evaluate(tiny_classifier, splits, "cpu", tokenizer), "splits['train']", error=DataError)


def test_no_tokenizer_for_text_data(tiny_classifier):
    rows = Dataset.from_dict(GOOD_ROWS)
    expect_fix(train_call(tiny_classifier, rows, None), "session.load_tokenizer(", error=InputError,
               shows="tokenizer=None")
    expect_fix(lambda: training.evaluate(tiny_classifier, rows, "cpu"), "session.load_tokenizer(", error=InputError)


def test_class_label_columns_and_cached_features_pass_the_checks(tokenizer, tiny_classifier):
    rows = Dataset.from_dict(GOOD_ROWS).cast_column("label", ClassLabel(names=["neg", "pos"]))
    assert training.evaluate(tiny_classifier, rows, "cpu", tokenizer)["accuracy"] in (0.0, 0.5, 1.0)
    features = Dataset.from_dict({"features": [[0.0] * 4, [1.0] * 4], "label": [0, 1]})

    class HeadOnFeatures(torch.nn.Module):  # a head trained on fixed-size vectors computed once
        num_labels = 2

        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 2)

        def forward(self, features):
            return self.linear(features)

    assert training.evaluate(HeadOnFeatures(), features, "cpu")["accuracy"] in (0.0, 0.5, 1.0)


def test_labels_out_of_range_leave_the_model_untouched(tokenizer, tiny_classifier):
    rows = Dataset.from_dict({"text": ["good", "bad"], "label": [1, 2]})
    weights = {k: v.clone() for k, v in tiny_classifier.state_dict().items()}
    error = expect_fix(train_call(tiny_classifier, rows, tokenizer), "num_labels")
    assert "label 2" in error.problem
    assert all(torch.equal(v, tiny_classifier.state_dict()[k]) for k, v in weights.items())


def test_unlabeled_split_is_refused(tokenizer, tiny_classifier):
    unlabeled = Dataset.from_dict({"text": ["a review"] * 3, "label": [-1] * 3})  # like imdb's "unsupervised"
    expect_fix(lambda: training.check_labels(unlabeled, 2, "eval_data"), "labeled split")


def test_a_custom_module_that_does_not_say_its_classes(tokenizer):
    class NoLabelsCount(torch.nn.Module):  # a learner's own classifier without num_labels or config
        def __init__(self):
            super().__init__()
            self.embed, self.out = torch.nn.Embedding(30522, 8), torch.nn.Linear(8, 2)

        def forward(self, input_ids, attention_mask=None, **_):
            return self.out(self.embed(input_ids).mean(1))

    rows = Dataset.from_dict(GOOD_ROWS)
    expect_fix(train_call(NoLabelsCount(), rows, tokenizer), "num_labels", shows="num_labels")
    expect_fix(lambda: training.evaluate(NoLabelsCount(), rows, "cpu", tokenizer), "self.num_labels = 2")


def test_empty_dataset(tokenizer, tiny_classifier):
    empty = Dataset.from_dict({"text": [], "label": []})
    expect_fix(train_call(tiny_classifier, empty, tokenizer), "select()")
    expect_fix(lambda: data.split_rows([], {"train": 1, "validation": 1, "test": 1}), "data source", code_hint=False)


# --- devices -----------------------------------------------------------------------------------------------------

def fake_gpus(monkeypatch, count: int) -> None:
    """Pretend this machine has `count` CUDA GPUs."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)


@pytest.mark.parametrize("typed", ["gpu", "GPU", " gpu:0 "])
def test_gpu_means_cuda_when_cuda_exists_and_says_so(monkeypatch, capsys, typed):
    fake_gpus(monkeypatch, 1)
    assert pick_device(typed).type == "cuda"
    assert "means 'cuda" in capsys.readouterr().out


def test_gpu_without_cuda_names_the_fix(monkeypatch):
    fake_gpus(monkeypatch, 0)
    expect_fix(lambda: pick_device("gpu"), "device='cpu'", "Change runtime type", error=DeviceUnavailableError,
               shows="'gpu'")


def test_a_gpu_index_that_does_not_exist(monkeypatch):
    fake_gpus(monkeypatch, 1)
    error = expect_fix(lambda: pick_device("cuda:3"), "device='cuda'", error=DeviceUnavailableError, shows="'cuda:3'")
    assert "cuda:0 to cuda:0" in error.problem
    assert pick_device("cuda:0") == torch.device("cuda", 0)


def test_device_names_torch_does_not_know_and_wrong_types():
    expect_fix(lambda: pick_device("graphics card"), "device='cpu'", error=DeviceUnavailableError,
               shows="'graphics card'")
    expect_fix(lambda: pick_device(1.5), "device=session.device", error=InputError, shows="1.5")


def test_train_with_a_typed_device_name(tokenizer, tiny_classifier, monkeypatch):
    fake_gpus(monkeypatch, 0)
    expect_fix(train_call(tiny_classifier, Dataset.from_dict(GOOD_ROWS), tokenizer, device="gpu"), "device='cpu'",
               error=DeviceUnavailableError)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_requested_without_a_gpu():
    expect_fix(lambda: pick_device("cuda:0"), "device='cpu'", "Change runtime type")


# --- over-length input -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_mlm():
    torch.manual_seed(0)
    return BertForMaskedLM(tiny_config(max_position_embeddings=512)).eval()


def test_fill_mask_on_a_text_longer_than_the_model_reads(tokenizer, tiny_mlm, capsys):
    mask = tokenizer.mask_token
    early = f"the movie was {mask}. " + "it went on and on. " * 200
    guesses = masked_lm.fill_mask_by_hand(early, tokenizer, tiny_mlm, "cpu", top_k=3)
    assert len(guesses) == 1 and len(guesses[0]) == 3
    assert "only the first 512" in capsys.readouterr().out
    late = "it went on and on. " * 200 + f"the movie was {mask}."
    expect_fix(lambda: masked_lm.fill_mask_by_hand(late, tokenizer, tiny_mlm, "cpu"), "the sentence that holds",
               error=InputError, shows="512")


def test_empty_text_and_a_sequence_over_the_maximum(tokenizer):
    expect_fix(lambda: tokenization.encode_checked(tokenizer, ""), "non-empty string", "text='BERT reads text.'")
    expect_fix(lambda: tokenization.encode_checked(tokenizer, "word " * 600), "truncation=True", "max_length=512")
    assert len(tokenization.encode_checked(tokenizer, "word " * 600, truncation=True, max_length=512)["input_ids"]) == 512


def test_qa_windows_too_small_for_the_question_and_a_max_length_over_the_limit(tokenizer, capsys):
    model = BertForQuestionAnswering(tiny_config(max_position_embeddings=512)).eval()
    expect_fix(lambda: qa.encode_windows("Who wrote it?", "Ann wrote it. " * 50, tokenizer, max_length=64, stride=60),
               "stride=", error=InputError, shows="stride=60")
    expect_fix(lambda: qa.encode_windows("why " * 80, "Ann wrote it.", tokenizer, max_length=64, stride=16),
               "larger max_length", error=InputError)
    result = qa.answer_by_hand("Who wrote it?", "Ann wrote it. " * 300, tokenizer, model, "cpu", max_length=2048)
    assert "using max_length=512" in capsys.readouterr().out and result["answer"]


# --- wrong types -------------------------------------------------------------------------------------------------

def test_a_number_where_a_text_belongs(tokenizer, tiny_mlm):
    expect_fix(lambda: masked_lm.fill_mask_by_hand(42, tokenizer, tiny_mlm, "cpu"), "str(value)", error=InputError,
               shows="int 42")
    expect_fix(lambda: qa.encode_windows(1889, "Ann wrote it.", tokenizer), "question=", error=InputError, shows="1889")
    expect_fix(lambda: zero_shot.zero_shot_by_hand(None, tokenizer, 7, ["travel", "food"], "cpu"), "text=",
               error=InputError, shows="int 7")


def test_a_number_where_the_tokenizer_views_want_a_text(tokenizer):
    expect_fix(lambda: tokenization.token_table(tokenizer, 3.5), "str(value)", error=InputError, shows="3.5")


def test_a_dict_or_a_string_where_a_list_belongs(tokenizer):
    expect_fix(lambda: zero_shot.make_hypotheses({"travel": 1, "food": 2}), "candidate_labels=[", error=InputError,
               shows="dict")
    expect_fix(lambda: tokenization.word_pieces(tokenizer, "playing"), "words=[text]", error=InputError)
    expect_fix(lambda: tokenization.word_pieces(tokenizer, {"a": "playing"}), "list(d.values())", error=InputError)
    expect_fix(lambda: zero_shot.zero_shot_scores(None, tokenizer, "one text", ["a", "b"], "cpu"), "texts=[text]",
               error=InputError)
    expect_fix(lambda: tokenization.count_padding("not a batch"), "count_padding(tokenizer(", error=InputError)
    expect_fix(lambda: qa.exact_match(None, tokenizer, {"question": "q"}, "cpu"), "items=qa.templated_qa(",
               error=InputError)


def test_mismatched_tensors_and_wrong_indexes():
    expect_fix(lambda: tensors.mean_pool(torch.zeros(2, 5, 4), torch.ones(2, 7)), "batch['attention_mask']",
               error=InputError, shows="(2, 5, 4)")
    expect_fix(lambda: hidden_states.cosine_matrix(torch.zeros(4)), "torch.stack(", error=InputError)
    fake = tuple(torch.rand(1, 2, 3, 3) for _ in range(4))
    expect_fix(lambda: attention.attention_matrix(fake, 1.0, 0), "layer=0", shows="float 1.0")
    expect_fix(lambda: classification_heads.fit_linear_probe(torch.zeros(4, 3), [0, 1, 2, 5], num_labels=2),
               "num_labels=6", error=InputError, shows="label 2")


def test_a_bad_seed():
    expect_fix(lambda: course_lib.seed_everything("0"), "seed=0", error=InputError, shows="'0'")


# --- degenerate zero-shot input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   "])
def test_zero_shot_on_an_empty_text(tokenizer, text):
    expect_fix(lambda: zero_shot.zero_shot_by_hand(None, tokenizer, text, ["travel", "food"], "cpu"), "text=",
               error=InputError)
    expect_fix(lambda: zero_shot.zero_shot_by_similarity(None, tokenizer, text, ["travel", "food"], "cpu"), "text=",
               error=InputError)


def test_zero_shot_with_repeated_or_blank_labels(tokenizer):
    error = expect_fix(lambda: zero_shot.zero_shot_by_hand(None, tokenizer, "a trip", ["travel", "food", "travel"], "cpu"),
                       "dict.fromkeys(candidate_labels)", error=InputError)
    assert "['travel']" in error.problem
    expect_fix(lambda: zero_shot.make_hypotheses(["travel", " "]), "'travel'", error=InputError)


def test_empty_candidate_labels_and_a_template_without_a_slot():
    expect_fix(lambda: zero_shot.make_hypotheses([]), "candidate_labels=[")
    expect_fix(lambda: zero_shot.make_hypotheses(["travel"], "This example is travel."), "{}")


def test_a_head_that_does_not_match_the_task(tiny_classifier):
    expect_fix(lambda: qa.check_span_head(tiny_classifier), "AutoModelForQuestionAnswering")
    expect_fix(lambda: zero_shot.find_label_id(tiny_classifier.config, "entailment"), 'session.load_model("nli"')


def test_text_without_a_mask(tokenizer, tiny_mlm):
    expect_fix(lambda: masked_lm.fill_mask_by_hand("the movie was great.", tokenizer, tiny_mlm, "cpu"),
               tokenizer.mask_token)


def test_empty_question_and_empty_context(tokenizer):
    expect_fix(lambda: qa.encode_windows("  ", "Ann wrote it.", tokenizer), "non-empty question")
    expect_fix(lambda: qa.encode_windows("Who wrote it?", "", tokenizer), "non-empty context")


# --- cache directory ---------------------------------------------------------------------------------------------

def test_an_unwritable_cache_dir_falls_back_to_temp_with_a_note(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_CACHE", str(blocker / "cache"))  # cannot be created, even by root
    monkeypatch.setattr(pocket_data.tempfile, "tempdir", str(tmp_path / "tmp"))
    assert pocket_data.cache_dir() == tmp_path / "tmp" / "course_lib_cache"
    out = capsys.readouterr().out
    assert "not writable" in out and "COURSE_CACHE" in out and len(out.strip().splitlines()) == 1


def test_no_writable_cache_dir_at_all_names_the_variable(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_CACHE", str(blocker / "cache"))
    monkeypatch.setattr(pocket_data.tempfile, "tempdir", str(blocker / "tmp"))
    expect_fix(pocket_data.cache_dir, "export COURSE_CACHE=", error=CacheDirError, shows=str(blocker / "cache"))


def test_corrupt_cached_archive_is_kept_and_the_fix_named(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    archive = tmp_path / pocket_data.ARCHIVES["movie_snippets"].filename
    archive.write_bytes(b"\x1f\x8b truncated")
    expect_fix(lambda: pocket_data.read_movie_snippets(), "python -m course_lib data --refresh")
    assert archive.read_bytes() == b"\x1f\x8b truncated"


# --- the rest of the catalogue -----------------------------------------------------------------------------------

def test_unknown_freeze_target_lists_valid_names_and_changes_nothing(tiny_classifier):
    before = [p.requires_grad for p in tiny_classifier.parameters()]
    error = expect_fix(lambda: freezing.freeze(tiny_classifier, ["layer.0", "layer.7"]), "layer.1", "head")
    assert "layer.7" in error.problem
    assert [p.requires_grad for p in tiny_classifier.parameters()] == before
    expect_fix(lambda: freezing.freeze(tiny_classifier, "last_k", k=5), "k <= 2")


def test_full_profile_checkpoint_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    expect_fix(lambda: load_model("nli", choose_profile("full"), AutoModelForSequenceClassification), "COURSE_PROFILE=pocket")


def test_wrong_profile_name(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "gpu")
    expect_fix(lambda: course_lib.setup(verbose=False), "COURSE_PROFILE=pocket", "full", "auto")


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
