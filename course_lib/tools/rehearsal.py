"""A rehearsal of the full profile, offline: tiny random stand-ins under the real hub ids.

`build_rehearsal_cache(folder)` writes, in a few seconds and without a network:
- for every full-profile checkpoint in the registry, a tiny randomly initialised model with the
  real architecture class, model_type, label mapping and tokenizer family (the real WordPiece
  vocabularies of bert-base-uncased and bert-base-chinese; a small byte-level BPE trained here for
  RoBERTa and BART), saved as safetensors in a Hugging Face hub cache layout
  (`hub/models--org--name/refs/main` + `snapshots/<hash>/...`);
- for every full-profile dataset, a few dozen real sentences with the real splits, column names and
  label conventions (imdb's `unsupervised` split with label -1, SNLI's -1 "no gold label" rows),
  prepared in `datasets/` exactly the way `datasets` caches a hub dataset it has downloaded.

With HF_HOME (and HF_HUB_CACHE, HF_DATASETS_CACHE) pointed there and HF_HUB_OFFLINE=1, the
unchanged lesson code (`AutoModel.from_pretrained("bert-base-uncased")`, `load_dataset("imdb")`)
runs the full profile's code path and sizes, capped only by the small stand-in data. The weights
are random, so outputs mean nothing; the rehearsal proves that no cell raises.

Usage:
    python -m course_lib rehearse                      # every lesson, cache in a temporary folder
    python -m course_lib rehearse notebooks/01_tokenization.ipynb --cache /tmp/rehearsal
    pytest -k full_profile                             # the same, one test per lesson
"""
import contextlib
import hashlib
import json
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..core import hub
from ..core.environ import environment
from ..core.profiles import REGISTRY

# The real number of layers (lessons index layers, e.g. "freeze all but the last 4"): bert-base and roberta-base
# have 12, bart-large 12 + 12. Everything else is tiny: width 32 and 2 heads (attention over 512 tokens costs
# per head, so 12 heads would make the rehearsal several times slower without testing anything more), and no
# dropout on the attention weights: at 512 tokens it sends PyTorch's attention to a kernel about 4x slower, and
# on random weights it changes nothing the rehearsal checks.
TINY = dict(hidden_size=32, num_hidden_layers=12, num_attention_heads=2, intermediate_size=64,
            attention_probs_dropout_prob=0.0)
TINY_BART = dict(d_model=32, encoder_layers=12, decoder_layers=12, encoder_attention_heads=2, decoder_attention_heads=2,
                 encoder_ffn_dim=64, decoder_ffn_dim=64, attention_dropout=0.0)
BPE_VOCAB_SIZE = 2000
BPE_SPECIAL = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # ids 0-4: bos, pad, eos as in RoBERTa/BART
# Published label orders (config.json of each repo).
MNLI_ID2LABEL = {0: "contradiction", 1: "neutral", 2: "entailment"}  # facebook/bart-large-mnli
GO_EMOTIONS = ["admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity",
               "desire", "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear",
               "gratitude", "grief", "joy", "love", "nervousness", "optimism", "pride", "realization", "relief",
               "remorse", "sadness", "surprise", "neutral"]  # SamLowe/roberta-base-go_emotions
# answerdotai/ModernBERT-base: the real 22 layers, global attention every 3rd layer, a 128-token window and the
# 8,192-token limit (its config.json); width 32 and 2 heads as above. Its tokenizer stand-in is a byte-level BPE
# (like the real one) with the real special tokens, trained here; the ids below are those tokens' ids in it.
MODERNBERT_SPECIAL = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]  # ids 0-4
TINY_MODERNBERT = dict(hidden_size=32, num_hidden_layers=22, num_attention_heads=2, intermediate_size=48,
                       global_attn_every_n_layers=3, local_attention=128, max_position_embeddings=8192,
                       classifier_pooling="mean", pad_token_id=3, cls_token_id=1, sep_token_id=2, bos_token_id=1,
                       eos_token_id=2)
ROWS_PER_SPLIT = 40  # enough for every lesson path (both labels, long reviews); small enough for a fast suite
LONG_REVIEW_EVERY = 8  # about one real imdb review in eight is longer than 512 tokens


@dataclass(frozen=True)
class ModelStandIn:
    """How to build the stand-in for one hub checkpoint."""

    repo_id: str
    model_class: str  # transformers class whose random weights are saved
    architectures: list  # what the real config.json says
    config: dict  # tiny sizes + the real model's label mapping etc.
    tokenizer: str  # "wordpiece-uncased", "wordpiece-chinese", "bpe" or "bpe-modernbert"
    tokenizer_config: dict = field(default_factory=dict)


def model_stand_ins() -> dict[str, ModelStandIn]:
    """One stand-in per distinct full-profile checkpoint of the registry, keyed by repo id."""
    specs = {
        "bert-base-uncased": ModelStandIn("bert-base-uncased", "BertForPreTraining", ["BertForMaskedLM"],
                                          dict(model_type="bert", max_position_embeddings=512, **TINY),
                                          "wordpiece-uncased", {"do_lower_case": True, "model_max_length": 512}),
        "bert-base-chinese": ModelStandIn("bert-base-chinese", "BertForPreTraining", ["BertForMaskedLM"],
                                          dict(model_type="bert", max_position_embeddings=512, **TINY),
                                          "wordpiece-chinese", {"do_lower_case": False, "model_max_length": 512}),
        "deepset/roberta-base-squad2": ModelStandIn(
            "deepset/roberta-base-squad2", "RobertaForQuestionAnswering", ["RobertaForQuestionAnswering"],
            dict(model_type="roberta", max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5, **TINY),
            "bpe", {"do_lower_case": False, "model_max_length": 512}),
        "SamLowe/roberta-base-go_emotions": ModelStandIn(
            "SamLowe/roberta-base-go_emotions", "RobertaForSequenceClassification", ["RobertaForSequenceClassification"],
            dict(model_type="roberta", max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5,
                 problem_type="multi_label_classification", id2label=dict(enumerate(GO_EMOTIONS)), **TINY),
            "bpe", {"model_max_length": 512}),
        "facebook/bart-large-mnli": ModelStandIn(
            "facebook/bart-large-mnli", "BartForSequenceClassification", ["BartForSequenceClassification"],
            dict(model_type="bart", max_position_embeddings=1024, id2label=MNLI_ID2LABEL, decoder_start_token_id=2,
                 forced_bos_token_id=0, **TINY_BART),
            "bpe", {"model_max_length": 1024}),
        "answerdotai/ModernBERT-base": ModelStandIn(
            "answerdotai/ModernBERT-base", "ModernBertForMaskedLM", ["ModernBertForMaskedLM"],
            dict(model_type="modernbert", **TINY_MODERNBERT), "bpe-modernbert",
            {"tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "[UNK]", "cls_token": "[CLS]",
             "sep_token": "[SEP]", "pad_token": "[PAD]", "mask_token": "[MASK]",
             "model_input_names": ["input_ids", "attention_mask"], "model_max_length": 8192}),
    }
    wanted = {e.full for e in REGISTRY.values() if e.kind == "model"}
    missing = wanted - set(specs)
    if missing:
        raise KeyError(f"No rehearsal stand-in is defined for {sorted(missing)}: add one to model_stand_ins().")
    return {name: specs[name] for name in sorted(wanted)}


def fake_commit(*parts) -> str:
    """A 40-hex 'commit hash' derived from the content, like a hub revision."""
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def snapshot_dir(hub_cache: Path, repo_id: str, commit: str) -> Path:
    """Create models--org--name/refs/main -> commit and return its snapshots/<commit>/ folder."""
    repo = hub_cache / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    folder = repo / "snapshots" / commit
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def english_sentences() -> list[str]:
    """Real movie-review sentences (the pocket data), used as stand-in text."""
    from ..core.pocket_data import read_movie_snippets

    return [r["text"] for r in read_movie_snippets()]


def train_bpe(folder: Path) -> Path:
    """Train a small byte-level BPE (RoBERTa/BART style) on offline English text; writes vocab.json + merges.txt."""
    from tokenizers import ByteLevelBPETokenizer

    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(english_sentences(), vocab_size=BPE_VOCAB_SIZE, min_frequency=2,
                            special_tokens=BPE_SPECIAL, show_progress=False)
    bpe.save_model(str(folder))
    return folder


def train_modernbert_tokenizer(folder: Path) -> int:
    """A byte-level BPE tokenizer.json with ModernBERT's special tokens and its [CLS] ... [SEP] template; its size."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(english_sentences(), trainers.BpeTrainer(
        vocab_size=BPE_VOCAB_SIZE, min_frequency=2, special_tokens=MODERNBERT_SPECIAL, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    cls, sep = (tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]"))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tokenizer.save(str(folder / "tokenizer.json"))
    return tokenizer.get_vocab_size()


def write_tokenizer(folder: Path, spec: ModelStandIn, bpe_dir: Path) -> int:
    """Write the tokenizer files the real repo has; return the vocabulary size."""
    if spec.tokenizer == "bpe-modernbert":
        vocab_size = train_modernbert_tokenizer(folder)
    elif spec.tokenizer == "bpe":
        for name in ("vocab.json", "merges.txt"):
            shutil.copy(bpe_dir / name, folder / name)
        vocab_size = len(json.loads((bpe_dir / "vocab.json").read_text()))
    else:
        from ..core.checkpoints import minilm_dir
        from ..core.pocket_data import chinese_tokenizer_dir

        source = minilm_dir() if spec.tokenizer == "wordpiece-uncased" else chinese_tokenizer_dir()
        shutil.copy(Path(source) / "vocab.txt", folder / "vocab.txt")
        vocab_size = len((folder / "vocab.txt").read_text(encoding="utf-8").splitlines())
    (folder / "tokenizer_config.json").write_text(json.dumps(spec.tokenizer_config, indent=2))
    return vocab_size


def build_model(spec: ModelStandIn, folder: Path, vocab_size: int) -> None:
    """Save random weights of `spec.model_class` (safetensors) and the real-looking config.json."""
    import transformers

    config_kwargs = dict(spec.config)
    config_class = transformers.CONFIG_MAPPING[config_kwargs.pop("model_type")]
    if "id2label" in config_kwargs:
        config_kwargs["label2id"] = {v: k for k, v in config_kwargs["id2label"].items()}
    if spec.tokenizer == "bpe":
        config_kwargs.update(pad_token_id=1, bos_token_id=0, eos_token_id=2)
    config = config_class(vocab_size=vocab_size, **config_kwargs)
    torch.manual_seed(0)
    model = getattr(transformers, spec.model_class)(config)
    model.save_pretrained(folder, safe_serialization=True)
    config.architectures = list(spec.architectures)  # what the real repo's config.json says
    config.save_pretrained(folder)


def build_models(hub_cache: Path, scratch: Path) -> dict[str, Path]:
    """Every model stand-in, in hub cache layout; returns repo id -> snapshot folder."""
    bpe_dir = train_bpe(scratch / "bpe")
    built = {}
    for repo_id, spec in model_stand_ins().items():
        folder = snapshot_dir(hub_cache, repo_id, fake_commit(repo_id, spec.model_class, spec.config))
        vocab_size = write_tokenizer(folder, spec, bpe_dir)
        build_model(spec, folder, vocab_size)
        built[repo_id] = folder
    return built


# ---- datasets ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetStandIn:
    """A hub dataset's schema: config name, splits with rows, features."""

    repo_id: str
    config_name: str
    features: object  # datasets.Features
    splits: dict  # split -> list of row dicts


def imdb_reviews(sentences: list[dict], n: int, offset: int) -> list[dict]:
    """`n` reviews made of real sentences of one polarity; every LONG_REVIEW_EVERY-th is longer than 512 tokens."""
    by_label = {0: [s for s in sentences if s["label"] == 0], 1: [s for s in sentences if s["label"] == 1]}
    rows = []
    for i in range(n):
        label = i % 2
        pool = by_label[label]
        count = 45 if i % LONG_REVIEW_EVERY == LONG_REVIEW_EVERY - 1 else 2 + i % 5
        start = (offset + i * 7) % (len(pool) - count)
        rows.append({"text": " ".join(s["text"] for s in pool[start:start + count]), "label": label})
    return rows


def dataset_stand_ins(rows: int = ROWS_PER_SPLIT) -> dict[str, DatasetStandIn]:
    """Stand-ins for every full-profile dataset of the registry (real text, real schema), keyed by repo id."""
    from datasets import ClassLabel, Features, Value

    from ..core import pocket_data
    from ..core.data import NLI_LABELS, movie_snippet_rows

    movie = movie_snippet_rows()
    imdb_features = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    unsupervised = [{"text": r["text"], "label": -1} for r in imdb_reviews(movie, rows // 2, 5000)]
    chinese = pocket_data.read_chinese_reviews()  # positives first, then negatives: shuffle before cutting splits
    chinese = random.Random(0).sample(chinese, 3 * rows)
    snli = pocket_data.read_snli("test")
    snli_rows = [{"premise": r["premise"], "hypothesis": r["hypothesis"],
                  "label": -1 if i % 10 == 9 else NLI_LABELS.index(r["label"])} for i, r in enumerate(snli[: 3 * rows])]
    specs = [
        DatasetStandIn("imdb", "plain_text", imdb_features,
                       {"train": imdb_reviews(movie, rows, 0), "test": imdb_reviews(movie, rows, 2500),
                        "unsupervised": unsupervised}),
        # lansinuote/ChnSentiCorp: its dataset_infos.json declares label ClassLabel(negative, positive)
        DatasetStandIn("lansinuote/ChnSentiCorp", "default",
                       Features({"text": Value("string"), "label": ClassLabel(names=["negative", "positive"])}),
                       {s: chinese[i * rows:(i + 1) * rows] for i, s in enumerate(("train", "validation", "test"))}),
        DatasetStandIn("stanfordnlp/snli", "plain_text",
                       Features({"premise": Value("string"), "hypothesis": Value("string"),
                                 "label": ClassLabel(names=NLI_LABELS)}),
                       {s: snli_rows[i * rows:(i + 1) * rows] for i, s in enumerate(("test", "validation", "train"))}),
    ]
    wanted = {e.full for e in REGISTRY.values() if e.kind == "dataset"}
    specs = {s.repo_id: s for s in specs}
    missing = wanted - set(specs)
    if missing:
        raise KeyError(f"No rehearsal stand-in is defined for {sorted(missing)}: add one to dataset_stand_ins().")
    return {name: specs[name] for name in sorted(wanted)}


def feature_yaml(name: str, feature) -> dict:
    """One column as a dataset card's YAML declares it: a plain dtype, or a class label with its names."""
    from datasets import ClassLabel

    if isinstance(feature, ClassLabel):
        return {"name": name, "dtype": {"class_label": {"names": {str(i): n for i, n in enumerate(feature.names)}}}}
    return {"name": name, "dtype": feature.dtype}


def card_yaml(spec: DatasetStandIn) -> str:
    """The YAML header of a hub dataset's README.md: its config, features and data files per split."""
    import yaml

    header = {"dataset_info": {"config_name": spec.config_name,
                               "features": [feature_yaml(n, f) for n, f in spec.features.items()]},
              "configs": [{"config_name": spec.config_name,
                           "data_files": [{"split": s, "path": f"{spec.config_name}/{s}-*"} for s in spec.splits]}]}
    return "---\n" + yaml.safe_dump(header, sort_keys=False) + "---\n"


def write_dataset_repo(spec: DatasetStandIn, folder: Path) -> Path:
    """A local copy of what the hub repo holds: parquet files plus a README whose YAML declares configs and features."""
    from datasets import Dataset

    repo = folder / spec.repo_id.split("/")[-1]  # the folder name becomes the builder's dataset_name, as on the hub
    (repo / spec.config_name).mkdir(parents=True, exist_ok=True)
    for split, rows in spec.splits.items():
        Dataset.from_list(rows, features=spec.features).to_parquet(str(repo / spec.config_name / f"{split}-00000-of-00001.parquet"))
    (repo / "README.md").write_text(card_yaml(spec))
    return repo


def prepare_dataset(spec: DatasetStandIn, datasets_cache: Path, scratch: Path) -> Path:
    """Prepare `spec` with the same builder (parquet), dataset name and config a hub download uses,
    into <cache>/<namespace>___<name>/<config>/<version>/<commit>, where `load_dataset(repo_id)` looks offline."""
    from datasets import load_dataset_builder

    repo = write_dataset_repo(spec, scratch / "dataset_repos")
    builder = load_dataset_builder(str(repo), cache_dir=str(scratch / "builder_cache"))
    namespace = spec.repo_id.split("/")[0] + "___" if "/" in spec.repo_id else ""
    commit = fake_commit(spec.repo_id, spec.splits)
    target = datasets_cache / f"{namespace}{builder.dataset_name}" / builder.config_id / str(builder.config.version) / commit
    builder.download_and_prepare(output_dir=str(target))
    return target


def build_datasets(datasets_cache: Path, scratch: Path) -> dict[str, Path]:
    """Every dataset stand-in, prepared in the datasets cache; returns repo id -> prepared folder."""
    import datasets

    datasets.disable_progress_bars()
    return {repo_id: prepare_dataset(spec, datasets_cache, scratch) for repo_id, spec in dataset_stand_ins().items()}


# ---- the cache and running lessons against it ----------------------------------------------------------------


# Sizes the rehearsal runs the full profile's code paths at: every cell runs, on grids and row counts small enough
# for the stand-ins' 40 rows per split and a default test suite (lesson 07's studies train dozens of models), and
# with max_length 128 instead of 512: the stand-in reviews still need truncating, and 512-token batches made
# the rehearsal several times slower without reaching a line of code that 128 does not.
REHEARSAL_SIZES = {"max_length": 128, "real_run_rows": 16, "trainer_rows": 16, "trainer_test_rows": 16,
                   "compare_rows": 16, "compare_epochs": 1, "compare_check_rows": 8, "compare_test_rows": 8,
                   "few_label_sizes": [2], "few_label_steps": 2, "widget_rows": 16, "widget_epochs": 1,
                   "chinese_rows": 16, "modern_rows": 16, "modern_test_rows": 16, "modern_max_length": 128}


def cache_env(folder: Path) -> dict[str, str]:
    """Environment that points the Hugging Face libraries at the rehearsal cache, offline, full profile, CPU."""
    folder = Path(folder).resolve()
    return {"HF_HOME": str(folder), "HF_HUB_CACHE": str(folder / "hub"), "HF_DATASETS_CACHE": str(folder / "datasets"),
            "HF_HUB_OFFLINE": "1", "COURSE_PROFILE": "full", "COURSE_DEVICE": "cpu",
            "COURSE_SIZES": json.dumps(REHEARSAL_SIZES),
            # random stand-in weights measure nothing: keep their numbers away from the suite's thresholds
            "COURSE_METRICS_DIR": str(folder / "metrics")}


def build_rehearsal_cache(folder) -> Path:
    """Build every model and dataset stand-in under `folder` (hub/ and datasets/); returns `folder`."""
    import transformers

    folder = Path(folder)
    transformers.utils.logging.disable_progress_bar()
    with tempfile.TemporaryDirectory() as scratch:
        build_models(folder / "hub", Path(scratch))
        build_datasets(folder / "datasets", Path(scratch))
    return folder


def rehearse(notebooks: list[Path], cache: Path | None = None, output_dir: Path | None = None):
    """Build the cache (in a temporary folder unless `cache` is given), run `notebooks` against it; return results."""
    from .runner import run_course

    with contextlib.ExitStack() as stack:
        if cache is None:
            cache = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="course_rehearsal_")))
        if not (Path(cache) / "hub").exists():
            build_rehearsal_cache(cache)
        if output_dir is None:
            output_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="course_rehearsal_runs_")))
        with environment(cache_env(cache)):
            return run_course(notebooks, Path(output_dir), "full")


def cache_key() -> str:
    """Changes whenever the code that builds the stand-ins (or the libraries that read them) change."""
    import datasets
    import transformers

    package = Path(__file__).resolve().parent.parent
    sources = [(package / f).read_text() for f in ("tools/rehearsal.py", "core/profiles.py", "core/data.py")]
    return fake_commit(sources, transformers.__version__, datasets.__version__)[:16]


def shared_cache() -> Path:
    """A rehearsal cache in the temp folder, built once per code version and shared by processes (tests, workers)."""
    from filelock import FileLock

    folder = Path(tempfile.gettempdir()) / f"course_rehearsal_{cache_key()}"
    with FileLock(str(folder) + ".lock"):
        if not (folder / "complete").exists():
            shutil.rmtree(folder, ignore_errors=True)
            build_rehearsal_cache(folder)
            (folder / "complete").write_text("built\n")
    return folder


@contextlib.contextmanager
def use_rehearsal_cache(folder):
    """In this process: point huggingface_hub, transformers and datasets at `folder`, offline, for a `with` block."""
    import datasets
    import huggingface_hub.constants as hub_constants

    folder = Path(folder).resolve()
    saved = (hub_constants.HF_HUB_CACHE, datasets.config.HF_DATASETS_CACHE, hub_constants.HF_HUB_OFFLINE)
    with environment(cache_env(folder)):
        hub_constants.HF_HUB_CACHE, datasets.config.HF_DATASETS_CACHE = str(folder / "hub"), folder / "datasets"
        hub.tell_libraries(True)
        try:
            yield folder
        finally:
            hub_constants.HF_HUB_CACHE, datasets.config.HF_DATASETS_CACHE = saved[:2]
            hub.tell_libraries(saved[2])
