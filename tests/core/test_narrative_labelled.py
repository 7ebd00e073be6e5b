"""Regression floors for the narrative checks on the hand-labelled set.

The rules were tuned on the dev half only (even ids); the floors below are for the held-out half
(odd ids) and sit well under what the rules achieve today (see docs/metrics/narrative-checks.md),
so they catch regressions rather than certify accuracy.
"""

import csv
from pathlib import Path

import pytest
from tests.research_data import RESEARCH_DATA

from brightline.core.narrative import FLAG_IDS, check_text
from brightline.core.narrative.evaluation import score_flags

REPO = Path(__file__).resolve().parents[2]
LABELLED = REPO / "tests" / "fixtures" / "narrative_labelled.csv"
CR_USEFULNESS = RESEARCH_DATA / "cr_usefulness" / "cr_usefulness_comments.csv"

PRECISION_FLOOR = 0.80
RECALL_FLOOR = 0.75


def load_rows() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_labelled_set_is_large_and_covers_every_flag_in_both_halves() -> None:
    rows = load_rows()
    assert len(rows) >= 240
    assert len({row["id"] for row in rows}) == len(rows)
    for parity in (0, 1):
        labelled = {flag for row in rows if int(row["id"]) % 2 == parity for flag in row["flags"].split(";") if flag}
        assert labelled == set(FLAG_IDS)


@pytest.mark.parametrize("flag_id", FLAG_IDS)
def test_held_out_precision_and_recall_stay_above_the_floor(flag_id: str) -> None:
    held_out = [row for row in load_rows() if int(row["id"]) % 2 == 1]
    scores = score_flags(
        (
            frozenset(flag for flag in row["flags"].split(";") if flag),
            check_text(row["text"], kind=row["kind"]).flag_ids,  # type: ignore[arg-type]
        )
        for row in held_out
    )
    score = scores[flag_id]  # type: ignore[index]
    assert score.precision is not None and score.precision >= PRECISION_FLOOR
    assert score.recall is not None and score.recall >= RECALL_FLOOR


def test_vague_is_rare_on_code_review_comments_whatever_their_usefulness() -> None:
    # Documents a limitation: review comments are about code, not people. The phrase lists almost
    # never fire on them; the learned check (issue 16) reads about 3 % as vague ("It is not
    # necessary. Remove it."): 4.2 % of not-useful and 2.8 % of useful ones (3.8 % in all before the
    # format-4 model of 2026-12-07), but the sentences of 600
    # useful ones are training examples of `specific`, so that gap says little about usefulness.
    if not CR_USEFULNESS.exists():
        pytest.skip(f"shared data not found at {CR_USEFULNESS}; the cr_usefulness check needs it")
    with CR_USEFULNESS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2500
    flagged = [row for row in rows if "vague" in check_text(row["text"], kind="feedback").flag_ids]
    assert len(flagged) / len(rows) < 0.05
