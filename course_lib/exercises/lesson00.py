"""Checks for lesson 00 (start here): the learner's function runs on label lists the lesson never showed."""
from ..core.stats import majority
from . import Exercise, not_answered, report

UNSEEN_LABELS = [[1, 1, 0, 1], [0, 0, 0, 1, 1], [2, 0, 2, 1, 2, 2], [1]]


def check_majority_accuracy(function, labels=None):
    """`function(labels)` is the accuracy of always predicting the most common label."""
    if function is None:
        return not_answered("majority_accuracy", "return a float between 0 and 1.")
    cases = UNSEEN_LABELS + ([list(labels)] if labels is not None else [])
    for case in cases:
        truth = majority(case).mean
        try:
            got = function(list(case))
        except Exception as error:  # the learner's code may raise anything: report it as a hint
            return report(False, f"majority_accuracy({case[:8]}) raised {type(error).__name__}: {error}.",
                          "labels is a plain list of ints; count how often each label occurs.")
        if got is None:
            return not_answered("the result of majority_accuracy", "return the fraction, e.g. 0.75 for [1, 1, 0, 1].")
        if abs(float(got) - truth * 100) < 1e-6 and truth != 0:
            return report(False, f"{float(got)} is a percentage.", "return a fraction between 0 and 1.")
        if abs(float(got) - truth) > 1e-9:
            hint = ("that is the share of label 1, not of the most common label."
                    if abs(float(got) - case.count(1) / len(case)) < 1e-9 else
                    "the largest count of any one label, divided by the number of labels.")
            return report(False, f"for {case[:8]}{' ...' if len(case) > 8 else ''} the answer is not {float(got):.3f}.", hint)
    return report(True, f"right on {len(UNSEEN_LABELS)} label lists you had not seen"
                        + (f", and {majority(labels).mean:.1%} on the one you passed" if labels is not None else "") + ".")


ex1 = Exercise(
    "00", "ex1", "majority_accuracy", check_majority_accuracy,
    hints=("The majority rule answers the same label for every row: the one that occurs most often. It is right on "
           "exactly the rows that carry that label.",
           "So its accuracy is the largest count of any one label divided by the number of labels, a fraction "
           "between 0 and 1. collections.Counter counts the labels for you.",
           "Counter(labels).most_common(1) is [(label, count)]: return that count / len(labels)."),
    solution_code='''
from collections import Counter

def majority_accuracy(labels):
    return Counter(labels).most_common(1)[0][1] / len(labels)
''')
