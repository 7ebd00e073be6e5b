"""The across-sources measurement of the narrative model (``tools/nlp/narrative_sources.py``, session 13): its forum
statements and its instance features, the experiment the model card reports as not shipped."""

import csv
import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest
from tests.research_data import RESEARCH_DATA

from brightline.core.nlp.tone import tone_lexicon

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools" / "nlp"
FORUM_LABELS = TOOLS / "narrative_train" / "senti4sd_judging_labels.csv"


def _sources() -> ModuleType:
    """The tool, imported as its own command line imports it (its folder first on the path)."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    return importlib.import_module("narrative_sources")


def test_the_forum_labels_are_references_with_the_guides_labels() -> None:
    with FORUM_LABELS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["label"] for row in rows} == {"specific", "vague", "character", "other"}
    refs = [row["ref"] for row in rows]
    assert len(refs) == len(set(refs))
    assert all(ref.split("#")[0].startswith("t") and ref.split("#")[1].isdigit() for ref in refs)


def test_each_forum_statement_resolves_to_a_sentence_with_a_judgement_word() -> None:
    if not (RESEARCH_DATA / "senti4sd" / "senti4sd_polarity.csv").exists():
        pytest.skip(f"shared data not found at {RESEARCH_DATA}; the forum statements are read from it")
    examples = _sources().forum_examples()
    with FORUM_LABELS.open(encoding="utf-8", newline="") as handle:
        labelled = [row for row in csv.DictReader(handle) if row["label"] != "other"]
    assert len(examples) == len(labelled)
    lexicon = tone_lexicon()
    for example in examples:
        words = {word.strip(".,!?:;()'\"").lower() for word in example.text.split()}
        assert any(word in lexicon.praise or lexicon.judgements.get(word, 0.0) <= -1.0 for word in words), example


@pytest.mark.parametrize(("text", "expected"), [
    # artefact without instance, any marker without instance, generic form
    ("She meets deadlines regularly.", {1: 1.0, 4: 1.0, 5: 0.0, 6: 1.0}),
    ("Always turns in her reports on time.", {1: 1.0, 4: 1.0, 5: 0.0, 6: 1.0}),
    # one occasion: a count, a month, a verb with its object
    ("She missed two deadlines in March.", {1: 0.0, 4: 0.0, 5: 1.0, 6: 0.0}),
    ("Wrote the budget report for the board.", {1: 0.0, 4: 0.0, 5: 1.0, 6: 0.0}),
    # no marker at all
    ("She is very proactive.", {1: 0.0, 4: 0.0, 5: 0.0, 6: 0.0}),
])
def test_instance_features_tell_one_occasion_from_a_habit(text: str, expected: dict[int, float]) -> None:
    row = _sources().instance_features([text])[0]
    assert {column: row[column] for column in expected} == expected
