"""The tone lexicon and the person rule: who is judged, not only which words are used."""

from __future__ import annotations

import pytest

from brightline.core.nlp.tone import (
    LEXICON_FEATURES,
    LEXICON_PATH,
    TARGET_FEATURES,
    character_words,
    lexicon_features,
    person_attacks,
    person_directed,
    sarcasm_words,
    target_features,
    tone_lexicon,
)


@pytest.mark.parametrize(("text", "words"), [
    ("You are an idiot", ["idiot"]),
    ("you're really lazy", ["lazy"]),
    ("She is careless and arrogant.", ["careless", "arrogant"]),
    ("are you stupid?", ["stupid"]),
    ("Lazy and useless.", ["Lazy", "useless"]),
    ("you moron", ["moron"]),
])
def test_the_rule_fires_on_a_judgement_of_a_person(text: str, words: list[str]) -> None:
    assert [trigger.text for trigger in person_attacks(text)] == words


@pytest.mark.parametrize("text", [
    "this code is garbage",
    "your code will crash if the list is empty",
    "you are wrong about the cache size",
    "you are missing a test for the empty case",
    "she is busy this week",
    "dead code",
    "kill the worker",
    "I disagree with this design",
    "they are broken on arm64",
])
def test_the_rule_leaves_judgements_of_the_work_and_states_alone(text: str) -> None:
    assert person_attacks(text) == []


def test_it_reports_where_the_words_are() -> None:
    text = "Fine. But honestly you are so incompetent"
    (trigger,) = person_attacks(text)
    assert text[trigger.start : trigger.end] == "incompetent" and trigger.reason == "attack on the person"


def test_the_features_count_what_the_model_weighs() -> None:
    rows = lexicon_features(["You are an idiot", "Looks good to me", "", "what a c*ap patch", "fooStupidBar()"])
    assert rows.shape == (5, len(LEXICON_FEATURES))
    person = LEXICON_FEATURES.index("person_judged")
    assert rows[0, person] == 1 and rows[1].sum() == 0 and rows[2].sum() == 0
    assert rows[3, LEXICON_FEATURES.index("masked_word")] == 1
    assert rows[4, LEXICON_FEATURES.index("insult_in_identifier")] == 1


def test_the_lexicon_comes_from_named_packages_with_their_licences() -> None:
    lexicon = tone_lexicon()
    assert lexicon.insults["idiot"] == 2 and lexicon.judgements["lazy"] < 0
    insults_header = (LEXICON_PATH / "insults.tsv").read_text(encoding="utf-8").splitlines()[0]
    judgements_header = (LEXICON_PATH / "judgements.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert "cuss 2.2.0" in insults_header and "MIT" in insults_header
    assert "vaderSentiment 3.3.2" in judgements_header and "MIT" in judgements_header
    licences = (LEXICON_PATH / "LICENSES.md").read_text(encoding="utf-8")
    assert "Titus Wormer" in licences and "C.J. Hutto" in licences


# Issue 16: a person named by role is judged as surely as "he is"; a denied judgement is not one.
@pytest.mark.parametrize(("text", "words"), [
    ("Whoever wrote this is clueless.", ["clueless"]),
    ("The guy who reviewed this is lazy and useless.", ["lazy", "useless"]),
    ("Our tech lead is hopeless.", ["hopeless"]),
    ("People like you are lazy.", ["lazy"]),
    ("You are not only lazy but useless.", ["lazy", "useless"]),
])
def test_the_rule_fires_on_a_person_named_by_role(text: str, words: list[str]) -> None:
    assert [trigger.text for trigger in person_attacks(text)] == words


@pytest.mark.parametrize("text", [
    "She is not lazy at all; the delay came from the vendor.",
    "He is never careless with migrations.",
    "The parser is hopeless on long lines.",
    "The author of this patch is wrong about the cache.",
    "The team is blocked on the flaky test.",
])
def test_the_rule_leaves_denied_judgements_and_judged_work_alone(text: str) -> None:
    assert person_attacks(text) == []


@pytest.mark.parametrize(("text", "person", "work"), [
    ("Whoever wrote this is clueless.", 1, 0),
    ("Your test is useless.", 0, 1),
    ("Your regex is hopeless on long lines.", 0, 1),
    ("People like you are lazy.", 1, 0),
])
def test_the_nearest_subject_says_who_or_what_is_judged(text: str, person: int, work: int) -> None:
    row = target_features([text])[0]
    assert (row[TARGET_FEATURES.index("nearest_subject_person")],
            row[TARGET_FEATURES.index("nearest_subject_work")]) == (person, work)


@pytest.mark.parametrize(("text", "sarcasm", "predicate"), [
    ("Nice job breaking everything again, genius.", 1, 0),
    ("Nice job, the build is much faster now.", 0, 0),
    ("He is a liability.", 0, 1),
    ("She is a brilliant debugger.", 0, 0),
    ("He is patient and generous with his time.", 0, 0),
])
def test_sarcasm_and_person_predicates_are_features(text: str, sarcasm: int, predicate: int) -> None:
    row = target_features([text])[0]
    assert (row[TARGET_FEATURES.index("sarcasm")], row[TARGET_FEATURES.index("person_predicate")]) == (
        sarcasm, predicate)


def test_praise_words_come_from_the_vader_lexicon() -> None:
    header = (LEXICON_PATH / "praise.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert "vaderSentiment 3.3.2" in header and "brilliant" in tone_lexicon().praise


def test_a_sarcastic_sentence_names_its_praise_words() -> None:
    text = "Ok. Nice job breaking everything again, genius."
    words = [(text[trigger.start:trigger.end], trigger.reason) for trigger in sarcasm_words(text)]
    assert words == [("genius", "sarcasm aimed at the person")]
    opener = "Congratulations, you broke the login page again."
    assert [opener[t.start:t.end] for t in sarcasm_words(opener)] == ["Congratulations"]
    assert sarcasm_words("Nice job, the build is much faster now.") == []


def test_character_adjectives_come_from_the_textblob_lexicon_with_its_licence() -> None:
    lexicon = tone_lexicon()
    assert {"sloppy", "mediocre", "discourteous"} <= lexicon.character
    assert "sloppy" not in lexicon.judgements  # VADER lacks it: the reason for the second source
    header = (LEXICON_PATH / "character.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert "textblob 0.20.1" in header and "PDDL" in header
    assert "Steven Loria" in (LEXICON_PATH / "LICENSES.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "character", "unpraised"), [
    ("Marta is consistently sloppy in her reviews.", True, True),  # a character adjective about a person
    ("He has never been a good teammate.", False, True),  # the praise is denied
    ("She is patient and generous with her time.", False, False),  # praise stands
    ("The migration script is sloppy.", False, False),  # the work, no person
    ("She is not sloppy at all.", False, True),  # the adjective is denied
])
def test_person_directed_says_whether_a_person_is_judged_or_praised(
        text: str, character: bool, unpraised: bool) -> None:
    aimed = person_directed([text])
    assert (bool(aimed.character_judged[0]), bool(aimed.person_without_praise[0])) == (character, unpraised)


def test_character_words_are_named_only_in_sentences_about_a_person() -> None:
    text = "The script is sloppy. Marta is consistently sloppy in her reviews."
    (trigger,) = character_words(text)
    assert (trigger.text, trigger.reason) == ("sloppy", "judgement of the person")
    assert trigger.start == text.rindex("sloppy")
