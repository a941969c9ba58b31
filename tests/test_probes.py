"""The pooler experiment: one forward pass gives all three features, probes are fair (same rows), spread is real."""
import pytest
import torch
from datasets import Dataset
from transformers import AutoModel

from course_lib import probes
from course_lib.errors import CourseError
from course_lib.hidden_states import mean_pool


@pytest.fixture(scope="module")
def tokenizer(session):
    return session.load_tokenizer("encoder")


@pytest.fixture(scope="module")
def model(session):
    return session.load_model("encoder", AutoModel).eval()


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


def test_majority_baseline():
    assert probes.majority_accuracy(torch.tensor([1, 1, 0]), torch.tensor([1, 0, 0, 0])) == 0.25


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


def test_conclusions_only_beyond_the_spread():
    import pandas as pd
    table = pd.DataFrame({"mean": [0.70, 0.62, 0.63], "std": [0.02, 0.01, 0.02]}, index=["m", "c", "p"])
    assert probes.compare_two(table, "c", "m").startswith("m beats c by 8.0%")
    assert probes.compare_two(table, "c", "p").startswith("c vs p: no measurable difference")
