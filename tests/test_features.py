import torch
from transformers import AutoTokenizer

from course_lib.checkpoints import minilm_dir
from course_lib.features import HeadOnFeatures, cache_features, head_of
from course_lib.freezing import freeze
from course_lib.training import evaluate, train

from lesson06_fixtures import tiny_bert, tiny_roberta, word_sentiment


def test_cached_features_reproduce_the_model_logits():
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir())
    model, data = tiny_bert(tokenizer), word_sentiment(40)
    assert head_of(model) is model.classifier
    cached = cache_features(model, data, tokenizer, "cpu", batch_size=16, progress=False)
    assert cached[:]["features"].shape == (40, 32)
    with torch.no_grad():
        direct = model(**tokenizer(list(data["text"][:5]), padding=True, return_tensors="pt")).logits
        via_head = HeadOnFeatures(model.classifier, 2)(cached[:5]["features"])
    torch.testing.assert_close(direct, via_head, atol=1e-5, rtol=1e-4)


def test_head_trained_on_features_is_the_models_head():
    tokenizer = AutoTokenizer.from_pretrained(minilm_dir())
    model, data = tiny_bert(tokenizer), word_sentiment(64)
    freeze(model, "head_only")
    cached = cache_features(model, data, tokenizer, "cpu", progress=False)
    head = HeadOnFeatures(head_of(model), 2)
    weight_before = model.classifier.weight.clone()
    result = train(head, cached, cached, device="cpu", epochs=2, lr=5e-2, batch_size=16, plot=False, progress=False)
    assert len(result.history) == 2 and result.step == 8
    assert not torch.equal(model.classifier.weight, weight_before)  # the model's own head was trained
    with torch.no_grad():
        direct = model(**tokenizer(list(data["text"][:4]), padding=True, return_tensors="pt")).logits
    torch.testing.assert_close(direct, head(cached[:4]["features"]), atol=1e-5, rtol=1e-4)


def test_roberta_head_gets_first_token():
    model = tiny_roberta()
    assert head_of(model) is model.classifier
