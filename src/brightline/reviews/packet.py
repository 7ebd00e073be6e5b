"""The calibration packet in one standard shape (E2), as data and as PDF.

Every section is built from the review record and its explicit inclusions; nothing is pulled in
from the coaching space (principle 7). Claims the narrative checks find uncited are listed so a
panel sees them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from brightline.core.narrative import check_text
from brightline.insights.models import Signal
from brightline.reviews.models import PacketItem, Review
from brightline.reviews.packet_items import describe, parse_reference


@dataclass(frozen=True)
class Packet:
    review_id: int
    person: str
    level: str
    team: str
    workload_class: str
    expectations: list[dict[str, str]]
    next_level: str
    next_level_expectations: list[dict[str, str]]
    accomplishments: list[dict[str, Any]]
    outcomes: list[dict[str, Any]]
    promotion: dict[str, Any]
    feedback_themes: list[dict[str, Any]]
    cross_functional_impact: str
    scope_growth: str
    evidence: list[dict[str, Any]]
    uncited_claims: list[str]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _expectations(level: Any) -> list[dict[str, str]]:
    if level is None:
        return []
    return [{"dimension": c.get_dimension_display(), "expectation": c.expectation, "examples": c.examples}
            for c in level.competencies.all()]


def _accepted_themes(review: Review) -> list[dict[str, Any]]:
    """Accepted AI themes about the person with their confidence."""
    return [{"reference": f"signal:{signal.pk}", "summary": str(signal.summary), "confidence": str(signal.confidence),
             "label": "AI hypothesis, human-accepted"}
            for signal in Signal.objects.filter(person=review.person, status=Signal.Status.ACCEPTED)]


def _uncited(texts: list[str]) -> list[str]:
    sentences = []
    for text in texts:
        report = check_text(text or "", kind="manager_narrative")
        sentences.extend(s.text for s in report.sentences if any(f.flag_id == "no_evidence" for f in s.flags))
    return sentences


def build_packet(review: Review) -> Packet:
    level = review.level
    next_level = level.next_level() if level else None
    items = list(review.packet_items.select_related("included_by"))
    accomplishments = [
        {"reference": item.reference, "description": describe(parse_reference(item.reference)), "note": item.note}
        for item in items if item.kind == PacketItem.Kind.ACCOMPLISHMENT and item.selected_accomplishment]
    assessments = list(review.assessments.all())
    return Packet(
        review_id=review.pk, person=review.person.name, level=str(level) if level else "",
        team=review.team.name if review.team else "", workload_class=review.workload_class,
        expectations=_expectations(level), next_level=str(next_level) if next_level else "",
        next_level_expectations=_expectations(next_level), accomplishments=accomplishments,
        # Keys for machines, labels for the people reading the packet.
        outcomes=[{"dimension": a.dimension, "label": a.get_dimension_display(), "proposed": a.proposed_outcome,
                   "proposed_label": a.get_proposed_outcome_display() if a.proposed_outcome else "",
                   "outcome": a.outcome, "outcome_label": a.get_outcome_display() if a.outcome else "",
                   "rationale": a.rationale, "citations": a.citations, "version": a.version}
                  for a in assessments],
        promotion={"readiness": review.get_promotion_readiness_display(), "rationale": review.promotion_rationale,
                   "citations": review.promotion_citations},
        feedback_themes=_accepted_themes(review),
        cross_functional_impact=review.cross_functional_impact, scope_growth=review.scope_growth,
        evidence=[{"reference": item.reference, "description": describe(parse_reference(item.reference)),
                   "included_by": item.included_by.name, "via": item.via, "note": item.note,
                   "included_at": item.included_at.isoformat()} for item in items],
        uncited_claims=_uncited([review.manager_summary, review.cross_functional_impact, review.scope_growth,
                                 *(a.rationale for a in assessments)]),
    )


def render_packet_pdf(packet: Packet) -> bytes:
    """A printable packet (A4) with every section of the standard shape."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    story: list[Any] = []

    def heading(text: str) -> None:
        story.append(Spacer(1, 8))
        story.append(Paragraph(escape(text), styles["Heading2"]))

    def para(text: str) -> None:
        story.append(Paragraph(escape(text) if text else "<i>(none)</i>", styles["BodyText"]))

    story.append(Paragraph(escape(f"Calibration packet: {packet.person}"), styles["Title"]))
    para(f"Level {packet.level}; team {packet.team}; workload class {packet.workload_class or 'not recorded'}.")
    heading("Role and level expectations")
    for row in packet.expectations:
        para(f"{row['dimension']}: {row['expectation']}")
    heading(f"Next level ({packet.next_level or 'none'})")
    for row in packet.next_level_expectations:
        para(f"{row['dimension']}: {row['expectation']}")
    heading("Accomplishments chosen by the employee")
    for row in packet.accomplishments or [{"description": "", "note": ""}]:
        para(f"{row['description']} {row['note']}".strip())
    heading("Outcomes per dimension")
    for row in packet.outcomes:
        para(f"{row['label']}: proposed {row['proposed_label'] or '-'}, current {row['outcome_label'] or '-'}. "
             f"{row['rationale']} Cited: {', '.join(row['citations']) or 'nothing'}.")
    heading("Promotion readiness")
    para(f"{packet.promotion['readiness']}. {packet.promotion['rationale']}")
    heading("Feedback themes (AI hypotheses accepted by a human, with confidence)")
    for row in packet.feedback_themes or [{"summary": "", "confidence": ""}]:
        para(f"{row['summary']} {row['confidence']}".strip())
    heading("Cross-functional impact")
    para(packet.cross_functional_impact)
    heading("Scope growth")
    para(packet.scope_growth)
    heading("Evidence included (who included it, and why)")
    for row in packet.evidence:
        para(f"{row['description']} (included by {row['included_by']} via {row['via']}) {row['note']}")
    if packet.uncited_claims:
        heading("Claims without cited evidence")
        for sentence in packet.uncited_claims:
            para(sentence)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=f"Calibration packet: {packet.person}").build(story)
    return buffer.getvalue()
