"""Checks for lesson 09 (use your own model). Each runs the learner's function on inputs the lesson never showed."""
import torch

from . import Exercise, not_answered, report

# Label columns the lesson never showed: the first label seen is not the first in alphabetical order.
UNSEEN_LABELS = [
    ["spam", "ham", "spam", "spam", "ham"],
    ["sports", "politics", "tech", "politics", "sports", "arts"],
    ["yes", "no", "maybe", "no"],
]
UNSEEN_SENTENCES = [
    "A warm, witty film that I would happily watch again.",
    "Two hours of my life I will never get back.",
    "The soundtrack is lovely but the plot makes no sense.",
    "Every actor seems bored, and so was I.",
    "A small masterpiece: quiet, moving and beautifully shot.",
]


def _call(function, argument):
    """Run the learner's function; return (result, None) or (None, the error as text)."""
    try:
        return function(argument), None
    except Exception as error:  # the learner's code may raise anything: report it as a hint
        return None, f"{type(error).__name__}: {error}"


def check_encode_labels(encode_labels):
    """Exercise 1: `encode_labels(labels)` returns (ids, names): names sorted alphabetically, ids index into names."""
    if encode_labels is None:
        return not_answered("encode_labels", "each distinct label once, sorted: its position is its id.")
    for labels in UNSEEN_LABELS:
        names = sorted(set(labels))
        truth = ([names.index(label) for label in labels], names)
        got, error = _call(encode_labels, list(labels))
        if error:
            return report(False, f"encode_labels({labels}) raised {error}.", "build names first: sorted(set(labels)).")
        if got is None:
            return not_answered("the result of encode_labels", "return a pair: (ids, names).")
        if not isinstance(got, (tuple, list)) or len(got) != 2 or any(isinstance(part, str) for part in got):
            return report(False, f"encode_labels({labels}) returned {got!r:.80}, not a pair (ids, names).", "return ids, names")
        ids, got_names = list(got[0]), list(got[1])
        if got_names != names:
            hint = ("ClassLabel (and class_encode_column) sorts the names: sorted(set(labels))."
                    if sorted(got_names) == names else "names holds each distinct label once, sorted.")
            return report(False, f"for {labels} the names should be {names}, got {got_names}.", hint)
        if ids != truth[0]:
            return report(False, f"for {labels} the ids should be {truth[0]}, got {ids}.", "id = names.index(label), for every row.")
    return report(True, f"right on {len(UNSEEN_LABELS)} label columns you had not seen, e.g. {UNSEEN_LABELS[1]} -> "
                        f"{encode_labels(list(UNSEEN_LABELS[1]))[0]} with names {sorted(set(UNSEEN_LABELS[1]))}.")


@torch.no_grad()
def label_names_by_model(model, tokenizer, texts, device) -> list[str]:
    """The truth: argmax of the model's logits, read through config.id2label."""
    model.eval()
    batch = tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt").to(device)
    return [model.config.id2label[int(i)] for i in model(**batch).logits.argmax(-1)]


def check_predict_names(predict_names, model, tokenizer, device):
    """Exercise 2: `predict_names(texts)` returns one readable label name per text, as the model predicts it."""
    if predict_names is None:
        return not_answered("predict_names", "the pipeline already turns logits into label names.")
    truth = label_names_by_model(model, tokenizer, UNSEEN_SENTENCES, device)
    got, error = _call(predict_names, list(UNSEEN_SENTENCES))
    if error:
        return report(False, f"predict_names raised {error}.", "classifier(texts) returns one dict per text: [{'label': ..., 'score': ...}, ...]")
    if got is None:
        return not_answered("the result of predict_names", "return a list with one label name per text.")
    got = list(got)
    if len(got) != len(truth):
        return report(False, f"{len(UNSEEN_SENTENCES)} texts went in and {len(got)} answers came out.", "one label per text, in order.")
    if any(isinstance(g, dict) for g in got):
        return report(False, "your list holds dicts: keep only the label name.", "[result['label'] for result in classifier(texts)]")
    if [str(g) for g in got] == [str(model.config.label2id[t]) for t in truth]:
        return report(False, "those are label ids: the point of id2label is a readable name.", "read result['label'], or model.config.id2label[id].")
    if got != truth:
        return report(False, f"on sentences you had not seen the model says {truth}, you said {got}.",
                      "the pipeline already applies softmax and id2label: take the top 'label' of each result.")
    return report(True, f"{len(truth)} sentences you had not seen, named as the model predicts them: {truth}.")


def check_fp16_megabytes(answer, model):
    """Exercise 3: how many MB (10^6 bytes) the weights take in float16."""
    if answer is None:
        return not_answered("`fp16_megabytes`", "the parameters, times the bytes per parameter, in megabytes.")
    parameters = sum(p.numel() for p in model.parameters())
    truth, fp32 = parameters * 2 / 1e6, parameters * 4 / 1e6
    answer = float(answer)
    if abs(answer - truth) <= 0.01 * truth:
        return report(True, f"{parameters:,} parameters × 2 bytes = {truth:.1f} MB, half of float32's {fp32:.1f} MB.")
    if abs(answer - fp32) <= 0.01 * fp32:
        return report(False, f"{answer:.1f} MB is the float32 size.", "float16 stores each number in 2 bytes, not 4.")
    if abs(answer - truth * 1e6) <= 0.01 * truth * 1e6:
        return report(False, "that is bytes, not megabytes.", "divide by 10**6.")
    return report(False, f"{answer:.1f} MB is not the float16 size of this model.",
                  "count every parameter of the model, then bytes per number in float16, then megabytes (10**6 bytes).")


ex1 = Exercise(
    "09", "ex1", "encode_labels", check_encode_labels,
    hints=("ClassLabel keeps each distinct label once, in alphabetical order; a row's id is the position of its "
           "label in that list.",
           "names = sorted(set(labels)); then, for every row, names.index(label). Return the pair (ids, names).",
           "names = sorted(set(labels)); return [names.index(label) for label in labels], names"),
    solution_code='''
def encode_labels(labels):
    names = sorted(set(labels))
    return [names.index(label) for label in labels], names
''')

ex2 = Exercise(
    "09", "ex2", "predict_names", check_predict_names,
    hints=("The pipeline from section 5 already does the tokenizing, the softmax and the id2label look-up: each "
           "result names its label.",
           "classifier(texts) returns one dict per text, {'label': ..., 'score': ...}; keep the 'label' of each.",
           "return [prediction['label'] for prediction in classifier(texts)]"),
    solution_code='''
def predict_names(texts):
    return [prediction["label"] for prediction in classifier(texts)]
''')

ex3 = Exercise(
    "09", "ex3", "fp16_megabytes", check_fp16_megabytes,
    hints=("The size of the weights is the number of parameters times the bytes of one number; float16 stores each "
           "number in 2 bytes, float32 in 4. A megabyte here is 10**6 bytes.",
           "course_lib.count_parameters(model) counts every parameter; multiply by 2 and divide by 10**6.",
           "fp16_megabytes = course_lib.count_parameters(model) * 2 / 1e6"),
    solution_code='''
fp16_megabytes = course_lib.count_parameters(model) * 2 / 1e6
''')
