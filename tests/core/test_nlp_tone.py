"""The bundled tone classifier (toxic / ok): it flags, it never edits."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sklearn.metrics import f1_score
from tests.research_data import RESEARCH_DATA as SHARED_DATA

from brightline.core.nlp import classify_tone
from brightline.core.nlp.splits import toxicr_split

# Measured on 2026-12-07 with the person gate of the second stage (models/tone/metrics.json, "toxicr_test":
# the shipped check, rules included), minus 0.02. The split is toxicr_split: train on train, scored on test.
# ToxiCR's "toxic" includes harsh words about code, which the check now leaves alone (MODEL_CARD.md).
TOXICR_TEST_MACRO_F1_FLOOR = 0.711 - 0.02
TOXICR_TEST_TOXIC_F1_FLOOR = 0.5053 - 0.02
BENIGN_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tone_benign_review_sentences.txt"
# 15 of the 200 benign sentences were flagged on 2026-12-06 with the second stage (MODEL_CARD.md), plus 0.02.
BENIGN_FLAG_RATE_CEILING = 15 / 200 + 0.02


def read_test_rows() -> list[dict[str, str]]:
    path = SHARED_DATA / "toxicr_dev" / "toxicr_dev.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent: the shared data folder is only on development machines, so the shipped "
                    "tone model cannot be re-scored on its documented test split here")
    with path.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if toxicr_split(row["text"]) == "test"]


def test_it_flags_an_abusive_comment_and_passes_a_polite_one() -> None:
    predictions = classify_tone(
        [
            "What the hell is this crap? Are you stupid or just lazy?",
            "Could you add a test for the empty list case? Thanks!",
        ]
    )
    assert [prediction.label for prediction in predictions] == ["toxic", "ok"]


# Benign review sentences whose engineering words sound violent (kill, dead, blow away, hack,
# brutally, abort). They are from the 200 benign sentences measured in the model card and pass
# today; the card lists the ones of that set that are flagged (e.g. "a bit of a hack").
BENIGN_TECHNICAL = (
    "She found the runaway worker and had to kill the process before it filled the disk.",
    "He removed a lot of dead code from the billing module.",
    "If the tests act up, blow away the cache and run them again.",
    "Messages that fail three times go to the dead letter queue.",
    "The daemon should die gracefully when it receives SIGTERM.",
    "We need to abort the transaction if the balance check fails.",
    "This hack got us through the launch, but let's replace it next sprint.",
    "Thanks for the brutally honest feedback on my design doc.",
)


def test_it_does_not_flag_benign_technical_wording() -> None:
    predictions = classify_tone(list(BENIGN_TECHNICAL))
    assert [prediction.label for prediction in predictions] == ["ok"] * len(BENIGN_TECHNICAL)


def test_it_keeps_its_measured_false_alarm_rate_on_benign_review_sentences() -> None:
    lines = BENIGN_FIXTURE.read_text(encoding="utf-8").splitlines()
    texts = [line for line in lines if line.strip() and not line.startswith("#")]
    flagged = sum(prediction.label == "toxic" for prediction in classify_tone(texts))
    assert len(texts) == 200
    assert flagged / len(texts) <= BENIGN_FLAG_RATE_CEILING


def test_it_returns_one_prediction_per_text_with_a_probability() -> None:
    texts = ["Done.", "nit: trailing whitespace", "", "This is garbage code."]
    predictions = classify_tone(texts)
    assert len(predictions) == len(texts)
    for prediction in predictions:
        assert prediction.label in {"toxic", "ok"}
        assert 0.0 <= prediction.confidence <= 1.0


def test_it_does_not_change_the_texts_it_is_given() -> None:
    texts = ["This is garbage code.", "Looks good"]
    copy = list(texts)
    classify_tone(texts)
    assert texts == copy


def test_it_keeps_its_measured_score_on_the_toxicr_test_rows() -> None:
    rows = read_test_rows()
    truth = ["toxic" if row["is_toxic"] == "1" else "ok" for row in rows]
    predicted = [prediction.label for prediction in classify_tone([row["text"] for row in rows])]
    assert f1_score(truth, predicted, average="macro") >= TOXICR_TEST_MACRO_F1_FLOOR
    assert f1_score(truth, predicted, pos_label="toxic", average="binary") >= TOXICR_TEST_TOXIC_F1_FLOOR


# The examples of issue 16: direct insults, each with the words that must be named as its trigger,
# and blunt professional critique of the work that must pass.
ISSUE_ATTACKS = {
    "You are an idiot": {"idiot"},
    "Your code is garbage and you are an idiot": {"idiot"},
    "lazy and useless": {"lazy", "useless"},
    "this is a moron move": {"moron"},
}
OTHER_WORDINGS = {
    "You're so incompetent.": {"incompetent"},
    "He is hopeless.": {"hopeless"},
    "Are you stupid or something?": {"stupid"},
    "Honestly, you idiot, read the ticket first.": {"idiot"},
}
ISSUE_CRITIQUE = (
    "this will crash if the list is empty",
    "I disagree with this design",
    "kill the worker",
    "dead code",
    "this hack",
)


@pytest.mark.parametrize("text", [*ISSUE_ATTACKS, *OTHER_WORDINGS])
def test_it_flags_an_attack_on_the_person_and_names_the_words(text: str) -> None:
    (prediction,) = classify_tone([text])
    assert prediction.label == "toxic"
    named = {trigger.text.lower() for trigger in prediction.triggers}
    assert {**ISSUE_ATTACKS, **OTHER_WORDINGS}[text] <= named
    for trigger in prediction.triggers:
        assert text[trigger.start : trigger.end] == trigger.text and trigger.reason


@pytest.mark.parametrize("text", ISSUE_CRITIQUE)
def test_it_leaves_blunt_critique_of_the_work_alone(text: str) -> None:
    (prediction,) = classify_tone([text])
    assert (prediction.label, prediction.triggers) == ("ok", ())


def test_a_flag_the_model_raises_alone_still_names_a_word() -> None:
    (prediction,) = classify_tone(["What the hell is this crap?"])
    assert prediction.label == "toxic" and prediction.triggers


# Review prose that judges a person (written for this test, not from any labelled set): flagged as an
# attack, with the judgement words named.
REVIEW_ATTACKS = {
    "Sam is careless and has a bad attitude.": {"careless", "bad"},
    "He lacks the motivation to improve.": {"lacks"},
    "Priya is lazy.": {"lazy"},
    "Honestly she is clueless about databases.": {"clueless"},
}
# Harsh words about the work, praise of a person, and a denied judgement: never flagged.
NOT_ATTACKS = (
    "The retry loop is ugly and the naming is silly.",
    "This is a stupid name for a flag.",
    "He is patient and generous with his time.",
    "She never fails to deliver on time.",
)


@pytest.mark.parametrize("text", REVIEW_ATTACKS)
def test_it_flags_review_prose_that_judges_a_person(text: str) -> None:
    (prediction,) = classify_tone([text])
    assert (prediction.label, prediction.kind) == ("toxic", "attack")
    assert REVIEW_ATTACKS[text] <= {trigger.text.lower() for trigger in prediction.triggers}


@pytest.mark.parametrize("text", NOT_ATTACKS)
def test_it_leaves_harsh_words_about_the_work_and_praise_alone(text: str) -> None:
    (prediction,) = classify_tone([text])
    assert (prediction.label, prediction.kind, prediction.triggers) == ("ok", "", ())


def test_swearing_at_no_one_is_a_wording_note_with_its_words() -> None:
    (prediction,) = classify_tone(["damn, this flaky test again"])
    assert (prediction.label, prediction.kind) == ("toxic", "wording")
    assert [trigger.text for trigger in prediction.triggers] == ["damn"]


# Review prose that judges a person in words the judgement lexicon lacks (written for this test, not from any
# labelled set): before 2026-12-07 the second stage's hostile-word gate held them back however sure the model was.
PERSON_DIRECTED_ATTACKS = {
    "Marta is consistently sloppy in her reviews.": {"sloppy"},  # a character adjective (textblob's lexicon)
    "Kenji has never been a good teammate.": set(),  # about a person, the praise denied, the model sure
}
# The same words about the work, or critique that names the person: still not flagged.
PERSON_DIRECTED_CRITIQUE = (
    "The migration script is sloppy.",
    "You added an unnecessary check here.",
    "Kenji has been a good teammate.",
)


@pytest.mark.parametrize("text", PERSON_DIRECTED_ATTACKS)
def test_a_person_judged_in_words_the_lexicon_lacks_is_flagged_with_its_words(text: str) -> None:
    (prediction,) = classify_tone([text])
    assert (prediction.label, prediction.kind) == ("toxic", "attack")
    named = {trigger.text.lower() for trigger in prediction.triggers}
    assert named and PERSON_DIRECTED_ATTACKS[text] <= named
    assert not named & {"marta", "kenji", "her"}  # who is judged is not why


@pytest.mark.parametrize("text", PERSON_DIRECTED_CRITIQUE)
def test_the_person_gate_leaves_the_work_and_praise_alone(text: str) -> None:
    (prediction,) = classify_tone([text])
    assert (prediction.label, prediction.triggers) == ("ok", ())
