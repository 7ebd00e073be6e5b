from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brightline.core.narrative import (
    REASON_NO_CITATION,
    REASON_UNKNOWN_EVIDENCE,
    REASON_UNSUPPORTED_NUMBER,
    EvidenceItem,
    context_items,
    draft_impact_statements,
    render_evidence_text,
    validate_draft,
)
from brightline.core.narrative.drafts import ERROR_MAX_SENTENCES

EVIDENCE = {
    "101": "Cache product pages. The CDN cache cut origin requests by 70% for 1,200 stores.",
    "102": "Retry queue design. Reviewed by 3 teams; p95 enqueue latency 12 %.",
}


def test_it_accepts_a_cited_sentence_whose_numbers_the_evidence_holds() -> None:
    result = validate_draft(["Cut origin requests by 70% across 1200 stores [E:101]."], evidence=EVIDENCE)
    assert result.is_valid
    assert result.accepted[0].cited_ids == ("101",)


def test_it_normalises_number_formatting() -> None:
    result = validate_draft(["Enqueue latency was 12% and 3 teams reviewed it [E:102]."], evidence=EVIDENCE)
    assert result.is_valid


def test_it_rejects_an_uncited_sentence() -> None:
    result = validate_draft("Cut origin requests by 70%.", evidence=EVIDENCE)
    (rejected,) = result.rejected
    assert rejected.issues[0].message == REASON_NO_CITATION
    # With nothing cited, no evidence can hold the number either.
    assert [issue.code for issue in rejected.issues] == ["no_citation", "unsupported_number"]


def test_it_rejects_a_citation_of_unknown_evidence() -> None:
    (rejected,) = validate_draft(["Great result [E:999]."], evidence=EVIDENCE).rejected
    assert [issue.message for issue in rejected.issues] == [REASON_UNKNOWN_EVIDENCE.format(evidence_id="999")]


def test_it_rejects_an_invented_number() -> None:
    (rejected,) = validate_draft(["Cut origin requests by 75% [E:101]."], evidence=EVIDENCE).rejected
    assert [issue.message for issue in rejected.issues] == [REASON_UNSUPPORTED_NUMBER.format(number="75%")]


def test_a_number_must_come_from_an_item_the_sentence_cites() -> None:
    (rejected,) = validate_draft(["Reviewed by 3 teams [E:101]."], evidence=EVIDENCE).rejected
    assert rejected.issues[0].code == "unsupported_number"


def test_a_percentage_is_not_supported_by_the_same_plain_number() -> None:
    (rejected,) = validate_draft(["Reviewed by 3% of teams [E:102]."], evidence=EVIDENCE).rejected
    assert rejected.issues[0].code == "unsupported_number"


def test_it_splits_a_text_and_keeps_the_order() -> None:
    result = validate_draft("Cut requests by 70% [E:101]. Shipped it. Reviewed by 3 teams [E:102].", evidence=EVIDENCE)
    assert [s.text for s in result.accepted] == ["Cut requests by 70% [E:101].", "Reviewed by 3 teams [E:102]."]
    assert [s.text for s in result.rejected] == ["Shipped it."]


ITEMS = [
    EvidenceItem("pr-1", "merged_change", "Fix typo", "Fixed a typo in the README."),
    EvidenceItem(
        "pr-2",
        "merged_change",
        "Cache product pages",
        "Added a CDN cache. It cut origin requests by 70% for 1,200 stores.",
        date(2024, 3, 1),
        {"p95_latency_ms": 250.5},
    ),
    EvidenceItem("inc-7", "incident", "Checkout outage", "Restored service in 35 minutes.", date(2024, 4, 2)),
]


def test_the_drafter_cites_each_item_and_prefers_informative_ones() -> None:
    draft = draft_impact_statements(ITEMS, person_name="Priya", max_sentences=2)
    assert draft == (
        "Priya’s change “Cache product pages”: it cut origin requests by 70% for 1,200 stores "
        "(p95 latency ms 250.5) [E:pr-2].",
        "Priya helped close the incident “Checkout outage”: restored service in 35 minutes [E:inc-7].",
    )


# What the git source records about a merged change: one person's activity, not an outcome.
METADATA_ONLY = EvidenceItem("130", "merged_change", "Refund batch change 3",
                             "Commit f309a1b2c3d4 in refunds: 1 file(s), +1/-0 lines.", date(2026, 9, 1),
                             {"files_changed": 1, "lines_added": 1, "lines_deleted": 0})


def test_line_and_file_counts_about_one_person_never_become_an_impact_statement() -> None:
    assert draft_impact_statements([METADATA_ONLY], person_name="Erin") == ()
    assert context_items([METADATA_ONLY, ITEMS[1]]) == ("130",)
    # A typo fix states no outcome either: context, not a claim.
    assert context_items(ITEMS) == ("pr-1",)


def test_an_outcome_linked_to_the_change_is_drafted_and_its_activity_counts_are_not() -> None:
    linked = EvidenceItem("130", "merged_change", "Refund batch change 3",
                          "Commit f309a1b2c3d4 in refunds: 1 file(s), +1/-0 lines.", date(2026, 9, 1),
                          {"files_changed": 1, "lines_added": 1, "p95_refund_latency_ms": 90},
                          outcomes=("Refunds are paid the same day instead of after 3 days.",))
    (sentence,) = draft_impact_statements([linked], person_name="Erin")
    assert sentence == ("Erin’s change “Refund batch change 3”: refunds are paid the same day instead of after "
                        "3 days (p95 refund latency ms 90) [E:130].")
    assert "line" not in sentence and "file" not in sentence and "f309" not in sentence
    assert validate_draft([sentence], evidence={"130": render_evidence_text(linked)}).is_valid


def test_the_drafter_is_deterministic_whatever_the_input_order() -> None:
    assert draft_impact_statements(ITEMS) == draft_impact_statements(list(reversed(ITEMS)))


def test_the_drafter_does_not_put_a_name_with_digits_in_the_draft() -> None:
    (sentence,) = draft_impact_statements(ITEMS[1:2], person_name="Agent 47")
    assert sentence.startswith("Their ")
    (sentence,) = draft_impact_statements(ITEMS[2:], person_name="Agent 47")
    assert sentence.startswith("They ")


def test_the_drafter_refuses_zero_sentences() -> None:
    with pytest.raises(ValueError) as error:
        draft_impact_statements(ITEMS, max_sentences=0)
    assert str(error.value) == ERROR_MAX_SENTENCES.format(value=0)


_pieces = st.sampled_from(
    [*"abcXYZ 0123456789.,%x×-#:/[]()E;\n", "1,200", " 12 %", "3x", "[E:9]", "#PR-4", "http://a.b/1", "4 times"]
)
_text = st.lists(_pieces, max_size=20).map("".join)
_items = st.builds(
    EvidenceItem,
    evidence_id=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,8}", fullmatch=True),
    kind=st.sampled_from(["merged_change", "incident", "design_doc", "feedback", "accomplishment"]),
    title=_text,
    summary=_text,
    occurred_at=st.none() | st.dates(),
    metrics=st.dictionaries(
        st.text(alphabet="ab_9p", min_size=1, max_size=6),
        st.integers(-(10**9), 10**9) | st.floats(allow_nan=False, allow_infinity=False, width=32),
        max_size=3,
    ),
)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(_items, max_size=6), name=st.none() | st.text(max_size=12), limit=st.integers(1, 6))
def test_every_drafted_sentence_passes_the_validator(items: list[EvidenceItem], name: str | None, limit: int) -> None:
    draft = draft_impact_statements(items, person_name=name, max_sentences=limit)
    evidence = {item.evidence_id: render_evidence_text(item) for item in items}
    # Later duplicates win in the drafter; mirror that in the evidence map.
    for item in items:
        evidence[item.evidence_id] = render_evidence_text(item)
    result = validate_draft(draft, evidence=evidence)
    assert result.rejected == ()
    assert len(draft) <= limit
