"""Lesson 08: one ModernBERT layer by hand equals the library (pocket model and ModernBERT-base's head shape), RoPE's
relative-position property, the config table, the cost count, the exercises, the registry entry, the stand-in."""
import copy

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from transformers import (AutoModel, AutoModelForSequenceClassification, BertConfig, BertModel,  # noqa: E402
                          ModernBertConfig, ModernBertModel)
from transformers.models.modernbert import modeling_modernbert  # noqa: E402

import course_lib  # noqa: E402
from course_lib.core.errors import CourseError  # noqa: E402
from course_lib.core.profiles import REGISTRY, SIZES  # noqa: E402
from course_lib.exercises import lesson08  # noqa: E402
from course_lib.lessons import modern, published  # noqa: E402

TOLERANCE = 1e-5
SHORT = "A short one."
LONG = "The film starts slowly, but the last hour is wonderful and the music stays with you. "


SMALL_VOCAB = 1000  # random models read token ids modulo this: a 30,522-row random table takes seconds to initialise


def random_modernbert(hidden=768, heads=12, layers=2, window=128, vocab=SMALL_VOCAB, seed=0, **extra):
    """A random ModernBERT; by default ModernBERT-base's head shape (768 = 12 x 64), a global then a local layer."""
    torch.manual_seed(seed)
    config = ModernBertConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=hidden * 3 // 2,
                              num_hidden_layers=layers, num_attention_heads=heads, local_attention=window,
                              pad_token_id=0, bos_token_id=101, eos_token_id=102, cls_token_id=101, sep_token_id=102,
                              attn_implementation="eager", **extra)
    model = ModernBertModel(config).eval()
    with torch.no_grad():  # fresh norms are identities; a visible scale makes a skipped norm show in the proofs
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.uniform_(0.5, 1.5)
    return model


@pytest.fixture(scope="module")
def pocket(session):
    course_lib.seed_everything(0)
    return session.load_model("modern_encoder", AutoModel, attn_implementation="eager")


@pytest.fixture(scope="module")
def base_shape():
    """A random ModernBERT of ModernBERT-base's head shape: hidden 768 = 12 heads x 64, layer 0 global, layer 1 local."""
    return random_modernbert()


@pytest.fixture(scope="module")
def pocket_bert(session):
    return session.load_model("encoder", AutoModel, attn_implementation="eager")


def run(model, tokenizer, window):
    """A padded batch whose long text is longer than the window, with every output."""
    long_text = LONG * (1 + (window + 8) // len(tokenizer(LONG)["input_ids"]))
    batch = tokenizer([SHORT, long_text], padding=True, return_tensors="pt", return_token_type_ids=False)
    batch["input_ids"] = batch["input_ids"] % model.config.vocab_size  # [PAD] = 0 stays 0
    with torch.no_grad():
        return batch, model(**batch, output_hidden_states=True, output_attentions=True)


def local_layer_cuts(batch, window):
    """The window really removes keys from some real query (else the proof would not test it)."""
    return batch["attention_mask"][1].sum().item() > window // 2 + 1


# ---- the layer proof --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", ["pocket", "base-shape"])
def test_every_layer_by_hand_equals_the_model(make, pocket, base_shape, tokenizer):
    model = pocket if make == "pocket" else base_shape
    window = model.config.local_attention
    batch, outputs = run(model, tokenizer, window)
    assert (batch["attention_mask"] == 0).any() and local_layer_cuts(batch, window)
    assert "sliding_attention" in model.config.layer_types and "full_attention" in model.config.layer_types
    if make == "base-shape":
        assert (model.config.hidden_size, model.config.num_attention_heads) == (768, 12)
    table = modern.every_layer_by_hand(model, outputs, batch["attention_mask"], TOLERANCE)
    assert table["weights match"].all() and table["output match"].all(), table
    assert table.loc[0, "pre-norm"] == "Identity" and (table["pre-norm"].iloc[1:] == "LayerNorm").all()
    thetas = {kind: modern.rope_theta(model.config, kind) for kind in (modern.GLOBAL, modern.LOCAL)}
    assert thetas == {modern.GLOBAL: 160_000.0, modern.LOCAL: 10_000.0}


def test_the_local_layer_really_masks_outside_the_window(base_shape, tokenizer):
    batch, outputs = run(base_shape, tokenizer, 128)
    seq = batch["input_ids"].shape[1]
    outside = ~modern.window_mask(seq, 128)
    assert outside.any()
    assert outputs.attentions[1][1][:, outside].abs().max() == 0  # layer 1 is local (row 1: the long text, no [PAD])
    assert outputs.attentions[0][1][:, outside].abs().max() > 0  # layer 0 is global: it reads there


def test_window_mask_equals_the_librarys_mask():
    """Where a local layer's eager attention weights are not 0 is exactly where window_mask says True."""
    for seq, window in [(20, 8), (9, 4), (130, 128)]:
        model = random_modernbert(hidden=32, heads=2, layers=2, window=window, seed=seq)
        ids = torch.randint(1, SMALL_VOCAB, (1, seq), generator=torch.Generator().manual_seed(seq))
        with torch.no_grad():
            weights = model(input_ids=ids, attention_mask=torch.ones_like(ids), output_attentions=True).attentions[1]
        assert model.config.layer_types[1] == modern.LOCAL
        assert torch.equal((weights[0] > 0).all(dim=0), modern.window_mask(seq, window)), (seq, window)
        assert torch.equal((weights[0] > 0).any(dim=0), modern.window_mask(seq, window)), (seq, window)


def test_steps_match_the_librarys_own_rope():
    config = random_modernbert(hidden=64, heads=4).config
    rotary = modeling_modernbert.ModernBertRotaryEmbedding(config)
    x = torch.randn(2, 4, 9, 16)
    positions = torch.arange(3, 12)[None].expand(2, 9)
    for kind in (modern.GLOBAL, modern.LOCAL):
        cos, sin = rotary(x, positions, kind)
        library, _ = modeling_modernbert.apply_rotary_pos_emb(x, x, cos, sin)
        ours = modern.apply_rope(x, *modern.rope_angles(positions, 16, modern.rope_theta(config, kind)))
        assert torch.allclose(ours, library, atol=1e-6), kind


def test_by_hand_steps_follow_the_inputs_device():
    """On a GPU the lesson's tensors live there: every tensor the helpers make must follow the inputs' device.

    No GPU here, so the check runs on PyTorch's 'meta' device, which, like CUDA, refuses to mix with CPU tensors.
    """
    model = random_modernbert(hidden=64, heads=4, layers=2, window=8).to("meta")
    hidden, mask = torch.empty(2, 12, 64, device="meta"), torch.ones(2, 12, dtype=torch.long, device="meta")
    for layer in model.layers:
        weights, out = modern.modern_layer_by_hand(layer, hidden, mask)
        assert weights.device.type == out.device.type == "meta" and tuple(weights.shape) == (2, 4, 12, 12)
    q = torch.empty(1, 2, 40, 16, device="meta")
    assert modern.blocked_window_attention(q, q, q, 8).device.type == "meta"
    assert modern.masked_window_attention(q, q, q, 8).device.type == "meta"


def test_sdpa_gives_the_same_hidden_states_on_real_tokens(base_shape, tokenizer):
    fused = copy.deepcopy(base_shape)
    fused.set_attn_implementation("sdpa")
    batch, outputs = run(base_shape, tokenizer, 128)
    assert outputs.attentions[0] is not None  # the original is still eager: it returns its attention weights
    with torch.no_grad():
        other = fused(**batch).last_hidden_state
    assert modern.max_difference(other, outputs.last_hidden_state, batch["attention_mask"]) < TOLERANCE


def test_the_classifier_pools_as_its_config_says(session):
    batch = session.load_tokenizer("modern_encoder")([SHORT, LONG], padding=True, return_tensors="pt",
                                                    return_token_type_ids=False)
    logits = {}
    for pooling in ("cls", "mean"):
        course_lib.seed_everything(0)
        model = session.load_model("modern_encoder", AutoModelForSequenceClassification, num_labels=2,
                                   classifier_pooling=pooling)
        with torch.no_grad():
            logits[pooling] = model(**batch).logits
        assert torch.allclose(modern.classifier_by_hand(model, batch), logits[pooling], atol=TOLERANCE)
    assert not torch.allclose(logits["cls"], logits["mean"], atol=1e-3)  # the choice matters


# ---- RoPE: only the offset counts -------------------------------------------------------------------------------


def test_rope_scores_depend_only_on_the_offset():
    generator = torch.Generator().manual_seed(0)
    q, k = torch.randn(64, generator=generator), torch.randn(64, generator=generator)
    for theta in (10_000.0, 160_000.0):
        same_offset = modern.scores_at_placements(q, k, 3, [0, 10, 100, 1000], theta)["score"]
        assert same_offset.max() - same_offset.min() < 1e-4
        other_offsets = [modern.rope_score(q, k, 0, n, theta) for n in (3, 4, 20)]
        assert min(abs(a - b) for a in other_offsets for b in other_offsets if a is not b) > 1e-3


def test_shifting_every_position_changes_modernbert_not_bert(pocket, pocket_bert, tokenizer):
    batch, outputs = run(pocket, tokenizer, pocket.config.local_attention)
    seq = batch["input_ids"].shape[1]
    with torch.no_grad():
        moved = pocket(**batch, position_ids=torch.arange(seq)[None] + 50, output_attentions=True)
    assert max(modern.max_difference(a, b) for a, b in zip(outputs.attentions, moved.attentions)) < TOLERANCE
    bert_batch = tokenizer([SHORT, LONG], padding=True, return_tensors="pt")
    positions = torch.arange(bert_batch["input_ids"].shape[1])[None]
    with torch.no_grad():
        here = pocket_bert(**bert_batch, position_ids=positions, output_attentions=True).attentions[0]
        there = pocket_bert(**bert_batch, position_ids=positions + 50, output_attentions=True).attentions[0]
    assert modern.max_difference(here, there) > 1e-2


# ---- the config table ---------------------------------------------------------------------------------------------


def test_the_table_is_read_from_the_models(pocket, pocket_bert):
    table = modern.architecture_table({"BERT": pocket_bert, "ModernBERT": pocket})
    bert, mb = table["BERT"], table["ModernBERT"]
    assert bert["positions"].startswith("learned absolute: a table of 512 x 384")
    assert mb["positions"] == "rotary (RoPE) on Q and K, no table; theta global 160,000 / local 10,000"
    assert bert["norm placement"].startswith("post-norm") and mb["norm placement"].startswith("pre-norm")
    assert "Identity" in mb["norm placement"]
    assert mb["MLP"].startswith("GeGLU: Wi 128 -> 2 x 192") and bert["MLP"] == "384 -> 1536, gelu, 1536 -> 384"
    assert bert["attention pattern"] == "global in all 6 layers"
    assert mb["attention pattern"] == "global in 2 of 4 layers (0, 3); the other 2: sliding window of 8 tokens (+-4)"
    assert bert["pooler"].startswith("dense") and mb["pooler"].startswith("none")
    assert bert["token_type_ids"].startswith("yes") and mb["token_type_ids"].startswith("none")
    assert mb["bias vectors"].startswith("0 of") and bert["bias vectors"] == "50 of 50 linear / norm layers"
    assert mb["parameters"] == f"{sum(p.numel() for p in pocket.parameters()):,}"
    assert (bert["context length (config)"], mb["context length (config)"]) == ("512", "8,192")
    other = modern.architecture_table({"x": random_modernbert(hidden=64, heads=4, layers=7, window=16)})["x"]
    assert other["attention pattern"] == "global in 3 of 7 layers (0, 3, 6); the other 4: sliding window of 16 tokens (+-8)"
    assert other["layers x hidden (heads)"] == "7 x 64 (4)"


def test_transformers_defaults_are_the_published_modernbert_base():
    config, rows = ModernBertConfig(), dict(published.MODERNBERT_BASE.rows)
    assert rows["layers"] == str(config.num_hidden_layers) and rows["hidden size"] == str(config.hidden_size)
    assert rows["attention heads"].startswith(str(config.num_attention_heads))
    assert rows["context length"].startswith(f"{config.max_position_embeddings:,}")
    assert rows["local attention window"].startswith(str(config.local_attention))
    assert rows["vocabulary"].startswith(f"{config.vocab_size:,}")
    assert rows["RoPE theta"] == (f"{modern.rope_theta(config, modern.GLOBAL):,.0f} in global layers, "
                                  f"{modern.rope_theta(config, modern.LOCAL):,.0f} in local layers")
    assert [i for i, kind in enumerate(config.layer_types) if kind == modern.GLOBAL] == list(range(0, 22, 3))
    assert not (config.attention_bias or config.mlp_bias or config.norm_bias)
    assert "1,152" in rows["MLP"] and config.intermediate_size == 1152


def test_published_imdb_table_is_the_cited_one():
    reference = published.LLMS_FROM_SCRATCH_IMDB
    assert dict(reference.rows) == {"340M BERT": 0.9089, "355M RoBERTa": 0.9295, "304M DeBERTa-v3": 0.9469,
                                    "149M ModernBERT Base": 0.9379, "395M ModernBERT Large": 0.9507}
    assert reference.source.startswith("https://github.com/rasbt/LLMs-from-scratch/blob/")
    assert published.published("answerdotai/ModernBERT-base") is published.MODERNBERT_BASE


# ---- cost ------------------------------------------------------------------------------------------------------------


def test_pair_counts_equal_the_masks():
    for seq, window in [(5, 8), (20, 8), (300, 128), (129, 128)]:
        assert modern.window_pairs(seq, window) == int(modern.window_mask(seq, window).sum())
    config = ModernBertConfig()
    assert modern.attention_pairs(config, 512, all_global=True) == 22 * 512 * 512
    assert modern.attention_pairs(config, 512) == 8 * 512 * 512 + 14 * modern.window_pairs(512, 128)
    ratios = modern.cost_table(config)["alternating / global"]
    assert ratios.is_monotonic_decreasing and ratios.iloc[-1] == pytest.approx(8 / 22, abs=0.02)


def test_blocked_window_attention_equals_the_masked_one():
    generator = torch.Generator().manual_seed(0)
    for seq, window in [(37, 8), (64, 8), (300, 128), (5, 128)]:
        q, k, v = (torch.randn(2, 3, seq, 16, generator=generator) for _ in range(3))
        assert modern.max_difference(modern.blocked_window_attention(q, k, v, window),
                                     modern.masked_window_attention(q, k, v, window)) < TOLERANCE


# ---- bad inputs ----------------------------------------------------------------------------------------------------


def test_bad_inputs_raise_course_errors(pocket, pocket_bert, tokenizer):
    with pytest.raises(CourseError, match="not a ModernBERT model"):
        modern.check_modern_model(pocket_bert)
    with pytest.raises(CourseError, match="not a ModernBERT encoder layer"):
        modern.modern_layer_by_hand(pocket_bert.encoder.layer[0], torch.zeros(1, 3, 384), torch.ones(1, 3))
    with pytest.raises(CourseError, match="attention_mask must be"):
        modern.attention_by_hand(pocket.layers[1], torch.zeros(1, 3, 128), torch.ones(1, 4))
    with pytest.raises(CourseError, match="whole number >= 1"):
        modern.window_mask(0, 8)
    with pytest.raises(CourseError, match="whole number >= 1"):
        modern.window_mask(10, 8.5)
    with pytest.raises(CourseError, match="head_dim must be even"):
        modern.rope_angles(torch.arange(4), 7, 10_000.0)
    with pytest.raises(CourseError, match="positive"):
        modern.rope_angles(torch.arange(4), 8, 0.0)
    with pytest.raises(CourseError, match="Unknown layer type"):
        modern.rope_theta(pocket.config, "global")
    with pytest.raises(CourseError, match="at least one model"):
        modern.architecture_table({})
    with pytest.raises(CourseError, match="not an encoder model"):
        modern.architecture_table({"x": torch.nn.Linear(2, 2)})
    with pytest.raises(CourseError, match="seq_len must be"):
        modern.attention_pairs(pocket.config, 0)
    with pytest.raises(CourseError, match="only"):
        modern.text_longer_than(tokenizer, ["two words"], 500)
    batch = tokenizer([SHORT], return_tensors="pt", return_token_type_ids=False)
    with torch.no_grad():
        plain = pocket(**batch, output_hidden_states=True)  # no attention weights asked for
    with pytest.raises(CourseError, match="no attention weights"):
        modern.every_layer_by_hand(pocket, plain, batch["attention_mask"])
    with pytest.raises(CourseError, match="no classification head"):
        modern.classifier_by_hand(pocket, batch)


# ---- exercises -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("exercise", [lesson08.ex1, lesson08.ex2, lesson08.ex3], ids=["rope", "window", "geglu"])
def test_each_solution_passes_and_none_fails(exercise):
    namespace = {"torch": torch}
    exec(exercise.solution_code, namespace)
    assert exercise.checker(namespace[exercise.answer]).passed
    assert not exercise.checker(None).passed


def test_typical_mistakes_get_the_hint_that_names_them():
    no_rotation = lesson08.check_rope(lambda x, p, t: x)
    assert not no_rotation.passed and "rotated" in no_rotation.hint
    assert "i + d/2" in lesson08.check_rope(lesson08._interleaved_rope).hint
    whole = lesson08.check_window_mask(lambda n, w: modern.window_mask(n, 2 * w))
    assert not whole.passed and "local_attention // 2 on each side" in whole.hint
    assert "global layer" in lesson08.check_window_mask(lambda n, w: torch.ones(n, n, dtype=torch.bool)).hint
    causal = lesson08.check_window_mask(lambda n, w: modern.window_mask(n, w) & torch.ones(n, n, dtype=torch.bool).tril())
    assert "both sides" in causal.hint
    assert "pre-norm" in lesson08.check_geglu(lambda layer, h: layer.mlp(h)).hint
    swapped = lesson08.check_geglu(lambda layer, h: layer.mlp.Wo(
        layer.mlp.act(layer.mlp.Wi(layer.mlp_norm(h)).chunk(2, -1)[1]) * layer.mlp.Wi(layer.mlp_norm(h)).chunk(2, -1)[0]))
    assert "other way round" in swapped.hint


# ---- the registry and the full-profile stand-in --------------------------------------------------------------------


def test_the_registry_has_a_modern_encoder_with_a_comparison_only_in_the_full_profile():
    entry = REGISTRY["modern_encoder"]
    assert (entry.full, entry.architecture, entry.kind) == ("answerdotai/ModernBERT-base", "ModernBertForMaskedLM", "model")
    assert entry.pocket == "pocket/tiny-modernbert" and entry.download_mb == 599
    assert SIZES["pocket"]["modern_rows"] == 0 < SIZES["full"]["modern_rows"]
    assert all(key in SIZES["pocket"] for key in SIZES["full"])


def test_the_pocket_modernbert_is_random_small_and_has_both_layer_kinds(pocket):
    config = pocket.config
    assert config.model_type == "modernbert" and config.num_hidden_layers == 4
    assert set(config.layer_types) == {modern.GLOBAL, modern.LOCAL} and config.local_attention == 8
    assert course_lib.untrained_parameters(pocket)  # every output is labelled UNTRAINED


def test_the_stand_in_has_the_real_architecture_and_pattern():
    from course_lib.tools import rehearsal

    spec = rehearsal.model_stand_ins()["answerdotai/ModernBERT-base"]
    assert spec.model_class == "ModernBertForMaskedLM" and spec.architectures == ["ModernBertForMaskedLM"]
    config = ModernBertConfig(**{k: v for k, v in spec.config.items() if k != "model_type"})
    assert spec.config["model_type"] == "modernbert" and config.num_hidden_layers == 22
    assert config.layer_types == ModernBertConfig().layer_types and config.local_attention == 128


def test_a_bert_is_not_taken_for_a_modernbert():
    bert = BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                intermediate_size=32))
    with pytest.raises(CourseError):
        modern.check_modern_model(bert)


def test_the_encoder_comparison_sweeps_each_rate_then_runs_every_seed_at_its_pick(monkeypatch):
    """Lesson 08's BERT vs ModernBERT follows lesson 07's rule: a sweep per encoder (seed 0), then the other seeds."""
    import math

    best_rate = {"encoder": 3e-5, "modern_encoder": 9e-5}

    def fake_fine_tune(session, role, rows, check, test, *, lr, seed, estimate_runs=0):
        return {"encoder": role, "lr": lr, "seed": seed, "check accuracy": -abs(math.log(lr / best_rate[role])),
                "check loss": 0.0, "test accuracy": 0.5, "test rows": 10, "estimate": estimate_runs}

    class Session:
        sizes = {"real_run_lr": 3e-5}

    monkeypatch.setattr(modern, "fine_tune", fake_fine_tune)
    runs = modern.compare_encoders(Session(), ("encoder", "modern_encoder"), None, None, None, seeds=3)
    tried = {role: sorted(group["lr"].unique()) for role, group in runs.groupby("encoder")}
    assert tried == {"encoder": [1e-5, 3e-5, 9e-5], "modern_encoder": [1e-5, 3e-5, 9e-5, 2.7e-4]}
    picked = runs[runs["picked"]]
    for role, rate in best_rate.items():
        assert picked[picked["encoder"] == role]["lr"].tolist() == [rate] * 3
        assert sorted(picked[picked["encoder"] == role]["seed"]) == [0, 1, 2]
    assert (runs["estimate"] > 0).sum() == 2  # one time estimate per encoder, before its first run
    with pytest.raises(CourseError, match="3 or more"):
        modern.compare_encoders(Session(), ("encoder",), None, None, None, seeds=2)
