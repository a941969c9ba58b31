"""The pooler experiment: one forward pass gives all three features, probes are fair (same rows), spread is real."""
import pytest
import torch
from datasets import Dataset

from course_lib.lessons import probes
from course_lib.core.errors import CourseError
from course_lib.core.tensors import mean_pool


@pytest.fixture(scope="module")
def model(tiny_encoder):
    """A random 3-layer BERT encoder with a pooler: the probes' plumbing needs no pretrained weights."""
    return tiny_encoder().eval()


def test_one_pass_gives_the_three_features_exactly(model, tokenizer):
    texts = ["A short one.", "A somewhat longer sentence, so the first one gets padded.", "Third."]
    features = probes.encode_features(model, tokenizer, texts, "cpu", batch_size=2)
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**batch)
    assert list(features) == list(probes.FEATURES)
    assert torch.allclose(features["[CLS] raw"], out.last_hidden_state[:, 0], atol=1e-5)
    assert torch.allclose(features["pooler_output"], out.pooler_output, atol=1e-5)
    assert torch.allclose(features["mean pooling"], mean_pool(out.last_hidden_state, batch["attention_mask"]), atol=1e-5)


def synthetic(n=200, dim=16, seed=0):
    """Features where only 'mean pooling' carries the label."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    noise = {name: torch.randn(n, dim, generator=g) for name in probes.FEATURES}
    noise["mean pooling"][:, 0] += 4 * (2 * y - 1)
    return noise, y


def test_probes_find_the_informative_feature_and_seeds_differ():
    (train_x, train_y), (test_x, test_y) = synthetic(seed=0), synthetic(seed=1)
    runs = probes.run_probes(train_x, train_y, test_x, test_y, seeds=(0, 1, 2), n_train=100, steps=100, lr=0.01)
    means = runs.groupby("feature")["accuracy"].mean()
    assert means["mean pooling"] > 0.9 and means["[CLS] raw"] < 0.7 and means["pooler_output"] < 0.7
    assert len(runs) == 9 and runs.groupby("feature")["accuracy"].nunique().max() > 1  # seeds give a spread


def test_every_feature_trains_on_the_same_rows_per_seed():
    rows = [probes.seeded_subset(100, 30, seed) for seed in (0, 0, 1)]
    assert torch.equal(rows[0], rows[1]) and not torch.equal(rows[0], rows[2]) and len(rows[2].unique()) == 30


def test_standardize_uses_train_statistics_only():
    train, test = torch.tensor([[0.0], [2.0]]), torch.tensor([[100.0]])
    scaled_train, scaled_test = probes.standardize(train, test)
    assert torch.allclose(scaled_train.mean(0), torch.zeros(1)) and scaled_test.item() == pytest.approx(99 / 2 ** 0.5, rel=1e-4)


def test_the_baseline_row_guesses_the_training_majority(model, tokenizer):
    """The majority class is read from the rows the probes trained on, not from the test rows."""
    train_rows = Dataset.from_dict({"text": [f"review number {i}" for i in range(12)], "label": [0] * 8 + [1] * 4})
    test_rows = Dataset.from_dict({"text": [f"another review {i}" for i in range(8)], "label": [0] * 2 + [1] * 6})
    table = probes.compare_features(model, tokenizer, train_rows, test_rows, "cpu", seeds=(0, 1), steps=2)
    assert table.loc[probes.BASELINE, "mean"] == pytest.approx(2 / 8)  # 'always 0', the training majority: 2 of 8


def test_compare_features_table_on_real_rows(model, tokenizer, session):
    data = session.load_sentiment()
    table = probes.compare_features(model, tokenizer, data["train"].select(range(48)), data["test"].select(range(32)),
                                    "cpu", seeds=(0, 1, 2), steps=20)
    assert list(table.index) == [*probes.FEATURES, probes.BASELINE]
    assert table["mean"].between(0, 1).all() and len(table.attrs["runs"]) == 9 and table.attrs["n_train"] == 36
    figure = probes.plot_comparison(table)
    assert len(figure.axes[0].patches) == 3


def test_bad_inputs_get_course_errors(model, tokenizer):
    rows = Dataset.from_dict({"text": ["good", "bad", "fine", "awful"], "label": [1, 0, 1, 0]})
    with pytest.raises(CourseError, match="one seed"):
        probes.compare_features(model, tokenizer, rows, rows, "cpu", seeds=(0,))
    with pytest.raises(CourseError, match="'text' and 'label'"):
        probes.compare_features(model, tokenizer, rows.remove_columns("label"), rows, "cpu")
    with pytest.raises(CourseError, match="2 different labels"):
        probes.compare_features(model, tokenizer, rows.filter(lambda r: r["label"] == 1).select([0, 1, 0, 1]), rows, "cpu")


def test_conclusions_follow_the_one_rule_of_core_stats():
    """compare_two reads the table through course_lib.core.stats: test-set noise on n_test rows and the seed spread."""
    import pandas as pd
    runs = pd.DataFrame([{"feature": f, "seed": s, "accuracy": a} for f, accs in
                         {"m": (0.80, 0.81, 0.79), "c": (0.62, 0.63, 0.61), "p": (0.63, 0.62, 0.64)}.items()
                         for s, a in enumerate(accs)])
    table = runs.groupby("feature", sort=False)["accuracy"].agg(["mean", "std"])
    table.loc[probes.BASELINE] = [0.5, 0.0]
    table.attrs.update(runs=runs, n_test=1000)
    assert probes.compare_two(table, "c", "m").startswith("m beats c by 18.0 points")
    assert probes.compare_two(table, "c", "p").startswith("c vs p: no measurable difference at this size")
    assert "beats majority class" in probes.compare_two(table, probes.BASELINE, "c")
    table.attrs["n_test"] = 20  # the same means on 20 test rows: test-set noise swallows the gap
    assert "no measurable difference" in probes.compare_two(table, "m", "c")
