"""Contradictions (C4) and missing evidence (C5)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from brightline.core.insights import (
    Claim,
    Comment,
    EvidenceRef,
    ItemRef,
    PacketClaim,
    Subject,
    assign_themes,
    build_theme_index,
    delivery_concern_contradictions,
    load_taxonomy,
    missing_evidence_signals,
    packet_missing_evidence_signals,
    unsupported_claim_signals,
)
from brightline.core.nlp import embed

ERIN = Subject("person", "1")
START, END = date(2026, 5, 1), date(2026, 10, 31)
CONCERNS = ("Her code reviews are rushed and miss obvious bugs.",
            "Reviews approve pull requests without reading them carefully.",
            "Code review thoroughness could improve; bugs slip through.")


@pytest.fixture(scope="module")
def index():
    return build_theme_index(load_taxonomy(), embedder=embed)


def delivery(count: int) -> list[EvidenceRef]:
    return [EvidenceRef(ItemRef("evidence_item", str(i)), "merged_change", date(2026, 6, 1) + timedelta(days=i))
            for i in range(count)]


def concerns(authors):
    return [Comment(id=f"c{i}", author_id=a, subject_id="1", text=CONCERNS[i % 3], prompt="growth",
                    written_at=datetime(2026, 7, 1, tzinfo=UTC), source=ItemRef("feedback_response", str(i)))
            for i, a in enumerate(authors)]


def contradictions(index, comments, evidence):
    return delivery_concern_contradictions(ERIN, comments, assign_themes(comments, index, embedder=embed),
                                           taxonomy=index.taxonomy, sentiments={}, evidence=evidence,
                                           window_start=START, window_end=END)


def test_strong_delivery_with_a_review_concern_from_three_people_is_a_contradiction(index):
    [signal] = contradictions(index, concerns(["a", "b", "c"]), delivery(6))
    assert signal.key == "contradiction:delivery_vs_code_quality"
    assert signal.confidence.agreement == "conflicts"
    assert "6 delivery evidence items" in signal.statement and "3 people" in signal.statement


def test_the_same_concern_from_two_people_is_not(index):
    assert contradictions(index, concerns(["a", "b", "a"]), delivery(6)) == []


def test_a_concern_without_strong_delivery_is_not_a_contradiction(index):
    assert contradictions(index, concerns(["a", "b", "c"]), delivery(4)) == []


def cited(text: str) -> EvidenceRef:
    return EvidenceRef(ItemRef("evidence_item", "9"), "merged_change", date(2026, 7, 1), text)


def test_a_claimed_number_no_cited_evidence_holds_is_flagged():
    claim = Claim(ItemRef("accomplishment", "3"), "Faster quotes", "p95 latency went from 420 ms to 80 ms [E:9].",
                  cited=(cited("p95 latency of the quote endpoint went from 420 ms to 95 ms"),))
    [signal] = unsupported_claim_signals(ERIN, [claim], window_start=START, window_end=END)
    assert signal.detail["numbers"] == ["80"]
    assert ItemRef("accomplishment", "3") in signal.item_refs


def test_numbers_written_differently_still_match():
    claim = Claim(ItemRef("accomplishment", "4"), "Fewer failures", "Failures fell by 12 % across 1,200 builds.",
                  cited=(cited("failures fell 12% over 1200 builds"),), claimed_numbers=("1200",))
    assert unsupported_claim_signals(ERIN, [claim], window_start=START, window_end=END) == []


def test_a_dimension_without_related_evidence_and_a_claim_citing_nothing_are_missing_evidence():
    evidence = [EvidenceRef(ItemRef("evidence_item", "1"), "merged_change", date(2026, 7, 1))]
    claim = Claim(ItemRef("accomplishment", "5"), "Mentored two hires", "Both shipped in their first month.", cited=())
    signals = missing_evidence_signals(ERIN, dimensions=[("technical_excellence", "Technical excellence"),
                                                         ("leadership", "Leadership")],
                                       evidence=evidence, claims=[claim], window_start=START, window_end=END)
    assert {s.key for s in signals} == {"missing_evidence:dimension:leadership",
                                        "missing_evidence:claim:accomplishment:5"}
    # What is missing and what would count, in words: no stored kind, no "item of a related kind".
    [gap] = [s for s in signals if s.key == "missing_evidence:dimension:leadership"]
    assert gap.statement.endswith(": nothing recorded speaks to it and no accomplishment about it cites evidence; an "
                                  "incident debrief, design review notes or pairing on a colleague's change would "
                                  "count.")
    assert "related kind" not in gap.statement and "_" not in gap.statement


def test_nobody_gets_per_dimension_gaps_when_they_have_no_evidence_at_all():
    assert missing_evidence_signals(ERIN, dimensions=[("leadership", "Leadership")], evidence=[], claims=[],
                                    window_start=START, window_end=END) == []


def packet_claim(part, slot, *, cited=(), ai_cited=(), written_by="manager", label="the leadership assessment"):
    return PacketClaim(ref=ItemRef("dimension_assessment", slot), packet="12", packet_name="2026 H2 review",
                       part=part, slot=slot, label=label, written_by=written_by, cited=tuple(cited),
                       ai_cited=tuple(ai_cited))


def test_a_packet_claim_citing_nothing_is_missing_evidence_with_its_place_in_the_packet():
    [signal] = packet_missing_evidence_signals(ERIN, [packet_claim("assessment", "leadership")],
                                               window_start=START, window_end=END)
    assert signal.kind == "missing_evidence" and signal.key == "missing_evidence:packet:12:assessment:leadership"
    assert signal.statement.startswith("In the 2026 H2 review, the leadership assessment cites no evidence.")
    assert signal.detail["packet"] == {"review": "12", "name": "2026 H2 review", "part": "assessment",
                                       "slot": "leadership", "written_by": "manager"}
    assert signal.item_refs == (ItemRef("dimension_assessment", "leadership"),)


def test_a_packet_claim_citing_evidence_is_not_reported():
    cited = [ItemRef("evidence_item", "4")]
    assert packet_missing_evidence_signals(ERIN, [packet_claim("assessment", "delivery_results", cited=cited)],
                                           window_start=START, window_end=END) == []


def test_a_packet_claim_citing_only_ai_signals_is_reported_with_the_signals_it_cites():
    ai = [ItemRef("signal", "9")]
    [signal] = packet_missing_evidence_signals(ERIN, [packet_claim("assessment", "leadership", ai_cited=ai)],
                                               window_start=START, window_end=END)
    assert "cites only AI signals" in signal.statement and signal.detail["only_ai"] is True
    assert ItemRef("signal", "9") in signal.item_refs
