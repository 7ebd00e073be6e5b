"""Plain accusations in the words of critique are attacks; blunt critique of the work in the same words is not.

The sentences are written for this test (no evaluation or development file holds them): each accusation uses words
a reviewer also uses about code ("test", "read", "review", "time", "compile"), and each piece of critique is as blunt
as review comments get without judging the person. The check runs as ``make run`` installs it (the linear second
stage; tests/conftest.py hides the contextual model).
"""

from __future__ import annotations

import pytest

from brightline.core.nlp import classify_tone

ACCUSATIONS = {
    "You obviously never ran the test suite before asking for review.": "obviously",
    "Did you even read the contributing guide?": "even",
    "Stop wasting everyone's time with half-finished patches.": "wasting",
    "You clearly have no idea how locking works.": "no idea",
    "People like you are the reason this project moves so slowly.": "people like you",
    "You didn't even bother to compile this, did you?": "bother",
    "You keep ignoring every comment we leave.": "ignoring",
    "You never listen to anyone in review.": "never listen",
}
BLUNT_CRITIQUE = (
    "This will crash if the list is empty.",
    "I disagree with this design; the cache belongs in the service layer.",
    "This is dead code, delete it.",
    "This hack breaks the retry logic.",
    "You forgot to update the tests.",
    "Did you test this on ARM?",
    "The benchmark numbers are wrong; you measured the cold cache.",
    "Please don't merge this until the flaky test is fixed.",
    "This approach is a waste of memory for large inputs.",
    "You didn't handle the timeout case.",
)


@pytest.mark.parametrize("text", list(ACCUSATIONS))
def test_an_accusation_in_the_words_of_critique_is_flagged_with_its_words(text: str) -> None:
    (prediction,) = classify_tone([text])
    assert (prediction.label, prediction.kind) == ("toxic", "attack")
    # The named words are the text's own, at their place, each with its reason, and they hold the accusation's cue.
    spans = [(text[trigger.start : trigger.end], trigger.text, bool(trigger.reason)) for trigger in prediction.triggers]
    assert spans and all(found == named and reason for found, named, reason in spans)
    assert any(ACCUSATIONS[text] in named.lower() for _found, named, _reason in spans)


@pytest.mark.parametrize("text", BLUNT_CRITIQUE)
def test_blunt_critique_in_the_same_words_is_left_alone(text: str) -> None:
    (prediction,) = classify_tone([text])
    assert (prediction.label, prediction.triggers) == ("ok", ())
