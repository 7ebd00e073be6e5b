"""The tone check's contempt rule: contempt aimed at a person in words no lexicon holds, never critique."""

from __future__ import annotations

import pytest

from brightline.core.nlp import classify_tone
from brightline.core.nlp.tone import CONTEMPT_REASON, CONTEMPT_RULE_ENVIRONMENT_VARIABLE, contempt_spans, read_texts


@pytest.mark.parametrize(("text", "words"), [
    ("You clearly never read the docs.", "You clearly never read"),
    ("Are you even trying?", "Are you even trying"),
    ("Did you even read the patch before approving it?", "Did you even read"),
    ("Have you actually tested any of this", "Have you actually tested"),
    ("People like you are why this project is a mess.", "People like you"),
    ("Learn to read before you comment.", "Learn to read"),
    ("Please, stop wasting my time with these patches.", "stop wasting my time"),
    ("Seriously, grow up.", "grow up"),
    ("What the hell is wrong with you?", "What the hell is wrong with you"),
    ("You have no idea what you are doing.", "You have no idea"),
    ("you keep ignoring every review comment", "you keep ignoring"),
    ("Your explanation still makes zero sense.", "Your explanation still makes zero sense"),
    ("Your behaviour appears to be unethical and unprofessional.", "Your behaviour appears to be unethical"),
    ("I would never work with him again.", "would never work with"),
    ("Nice one, genius.", "genius"),
])
def test_contempt_is_found_and_named(text: str, words: str) -> None:
    (trigger,) = contempt_spans(text)
    assert text[trigger.start:trigger.end] == trigger.text == words and trigger.reason == CONTEMPT_REASON


@pytest.mark.parametrize("text", [
    "this will crash if the list is empty",
    "I disagree with this design",
    "kill the worker",
    "dead code",
    "this hack",
    "Did you test this on ARM?",
    "Have you tried running it with the cache off?",
    "you don't need this lock here",
    "If you don't know the answer, ask on the list.",
    "It looks like some chars get lost here.",
    "Someday I'll learn how to spell.",
    "Your code is a mess and the tests do not cover the error path.",
    "Your tone in the review was not rude at all.",
    "Your understanding is wrong here: the lock is held.",
    "I see your pain point now.",
    "Untangling these two is probably not worth the time.",
    "Do you ever get called from interrupt context?",
    # Praise and genuine questions in the same words.
    "You have no idea how much time this saved me.",
    "Your review comments were savage in the best way: precise and useful.",
    "It is so fast you don't even know it's there.",
    "Are you actually able to reproduce it?",
    "Did you really test this with a thousand entries?",
    "Can you not check for null here?",
    "She is a genius, and her design shows it.",
])
def test_critique_and_questions_about_the_work_are_left_alone(text: str) -> None:
    assert contempt_spans(text) == []
    assert not read_texts([text]).contempt[0]


def test_the_check_flags_contempt_as_an_attack_with_its_words() -> None:
    texts = ["You clearly never read the docs.", "Grow up.", "I disagree with this design"]
    contempt, short, critique = classify_tone(texts)
    assert contempt.label == "toxic" and contempt.kind == "attack"
    assert [trigger.text for trigger in contempt.triggers] == ["You clearly never read"]
    # An imperative names nobody, yet it is aimed at the reader: an attack, not a wording note.
    assert short.label == "toxic" and short.kind == "attack"
    assert [trigger.text for trigger in short.triggers] == ["Grow up"]
    assert critique.label == "ok" and critique.triggers == ()


def test_the_rule_can_be_turned_off_for_measurement(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Are you even trying?"
    assert read_texts([text]).contempt[0] and contempt_spans(text)
    monkeypatch.setenv(CONTEMPT_RULE_ENVIRONMENT_VARIABLE, "0")
    assert not read_texts([text]).contempt[0] and contempt_spans(text) == []
