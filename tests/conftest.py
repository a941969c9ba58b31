"""Fixtures shared by the test files: a pocket-profile session and the pocket NLI model."""
import pytest
from transformers import AutoModelForSequenceClassification

import course_lib


@pytest.fixture(scope="module")
def session():
    """A pocket-profile session, seeded afresh for each test module."""
    return course_lib.setup(profile="pocket", verbose=False)


@pytest.fixture(scope="module")
def nli(session):
    """The pocket NLI model and its tokenizer."""
    return session.load_model("nli", AutoModelForSequenceClassification), session.load_tokenizer("nli")
