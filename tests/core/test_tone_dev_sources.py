"""The tone check's extra development texts (``tools/nlp/tone_dev_sources.py``) never touch the held-out second set."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "nlp"))

import eval_pool_v2  # noqa: E402
import tone_dev_sources  # noqa: E402


def _clones_present() -> bool:
    return (eval_pool_v2.DATA_DIR / "toxicr_dev").is_dir() and (
        eval_pool_v2.MIRROR_DIR / eval_pool_v2.INCIVILITY[1] / "repo").is_dir()


def test_name_calling_and_mocking_are_attacks_only_when_a_person_is_referred_to() -> None:
    label = tone_dev_sources.incivility_label
    assert label("name_calling", "You are clueless about how this driver works.") == "attack"
    assert label("mocking", "He obviously never ran the tests he wrote.") == "attack"
    assert label("name_calling", "This API is garbage from top to bottom.") is None
    assert label("vulgarity", "What the hell is this macro doing here?") == "profane"
    assert label("vulgarity", "You are full of crap.") is None  # swearing at someone may be an attack: left out


def test_frustration_and_civil_types_map_to_critique_or_neutral_and_ambiguous_types_are_left_out() -> None:
    label = tone_dev_sources.incivility_label
    assert label("bitter_frustration", "Years of waiting and this is still broken.") == "critique"
    assert label("dissatisfaction", "I am not happy with how this was merged.") == "critique"
    assert label("humility", "I may well be wrong about this.") == "neutral"
    for kind in ("irony", "threat", "oppression", "a type the data set does not have"):
        assert label(kind, "Keep it up and you will be blocked.") is None


@pytest.mark.skipif(not _clones_present(), reason="the shared data folder or the incivility clone is absent")
def test_development_rows_share_no_row_and_no_text_with_the_second_tone_set() -> None:
    refs, texts = tone_dev_sources.v2_references()
    drawn = {ref for source, ref in refs if source == "incivility"}
    rows = tone_dev_sources.incivility_rows()
    assert len(rows) > 500
    every_ref = {item.ref for item, _kind in eval_pool_v2.incivility_rows()}
    assert drawn and drawn <= every_ref  # the exclusion reads the same rows the pool drew from
    assert not {ref for ref, _text, _label in rows} & drawn
    normalised = tone_dev_sources._normalised
    for name, development in (("incivility", rows), ("v1", tone_dev_sources.v1_rows()),
                              ("perf", tone_dev_sources.perf_rows())):
        assert not {normalised(text) for _ref, text, _label in development} & texts, name
        assert {label for _ref, _text, label in development} <= {"attack", "profane", "critique", "neutral"}


@pytest.mark.skipif(not _clones_present(), reason="the shared data folder or the incivility clone is absent")
def test_every_type_of_the_incivility_data_set_has_a_written_mapping() -> None:
    kinds = {kind for _item, kind in eval_pool_v2.incivility_rows()}
    assert kinds <= set(tone_dev_sources.INCIVILITY_LABELS)
