"""The calibration packet in one standard shape (E2), as data and as PDF.

Every section is built from the review record and its explicit inclusions; nothing is pulled in
from the coaching space (principle 7): an AI theme the person (or their manager) accepted stays in the
growth space and enters the packet only when someone cites it, which includes it with a logged packet
item. The person's submitted self review is part of the packet (E1: self review, then the manager's
narrative); a self review never submitted is not. Claims the narrative checks find uncited are listed
so a panel sees them.
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
    # The person's own words: ``submitted`` false (and no context) when the self-review step closed without one.
    self_review: dict[str, Any]
    # Whether the manager has submitted the assessment: until then the outcomes are the manager's draft.
    assessment_submitted: bool

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _expectations(level: Any) -> list[dict[str, str]]:
    if level is None:
        return []
    return [{"dimension": c.get_dimension_display(), "expectation": c.expectation, "examples": c.examples}
            for c in level.competencies.all()]


#: How each way into the packet reads in the evidence table (the stored ``via`` is a key).
VIA_LABELS = {"self_review": "the self review", "assessment": "the manager's assessment",
              "annotation": "the person's annotation", "calibration": "calibration", "appeal": "an appeal"}


def _cited_themes(review: Review, items: list[PacketItem]) -> list[dict[str, Any]]:
    """The accepted AI themes someone cited in this packet, with their confidence and who cited them.

    Accepting a signal makes it citable; it does not put it in the packet (principle 7, E9): only a citation,
    logged as a packet item, does. A signal dismissed after it was cited is left out."""
    cited = {item.object_id: item for item in items if item.kind == PacketItem.Kind.SIGNAL}
    signals = Signal.objects.filter(person=review.person, status=Signal.Status.ACCEPTED,
                                    pk__in=[int(pk) for pk in cited if pk.isdigit()]).order_by("pk")
    return [{"reference": f"signal:{signal.pk}", "summary": str(signal.summary), "confidence": str(signal.confidence),
             "label": "AI hypothesis, human-accepted", "included_by": cited[str(signal.pk)].included_by.name,
             "via": cited[str(signal.pk)].via} for signal in signals]


def _self_review(review: Review) -> dict[str, Any]:
    submitted = review.self_review_submitted_at is not None
    return {"submitted": submitted, "context": review.self_review_context if submitted else ""}


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
        feedback_themes=_cited_themes(review, items),
        cross_functional_impact=review.cross_functional_impact, scope_growth=review.scope_growth,
        evidence=[{"reference": item.reference, "description": describe(parse_reference(item.reference)),
                   "included_by": item.included_by.name, "via": item.via,
                   "via_label": VIA_LABELS.get(item.via, item.via.replace("_", " ")), "note": item.note,
                   "included_at": item.included_at.isoformat()} for item in items],
        uncited_claims=_uncited([review.manager_summary, review.cross_functional_impact, review.scope_growth,
                                 *(a.rationale for a in assessments)]),
        self_review=_self_review(review), assessment_submitted=review.assessment_submitted_at is not None,
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
    heading("Self review")
    para(packet.self_review["context"] if packet.self_review["submitted"] else "No self review was submitted.")
    heading("Accomplishments chosen by the employee")
    for row in packet.accomplishments or [{"description": "", "note": ""}]:
        para(f"{row['description']} {row['note']}".strip())
    heading("Outcomes per dimension" + ("" if packet.assessment_submitted else
                                         " (the manager's draft: not submitted yet)"))
    for row in packet.outcomes:
        para(f"{row['label']}: proposed {row['proposed_label'] or '-'}, current {row['outcome_label'] or '-'}. "
             f"{row['rationale']} Cited: {', '.join(row['citations']) or 'nothing'}.")
    heading("Promotion readiness")
    para(f"{packet.promotion['readiness']}. {packet.promotion['rationale']}")
    heading("Feedback themes (AI hypotheses accepted by a human and cited in this packet, with confidence)")
    for row in packet.feedback_themes or [{"summary": "", "confidence": "", "included_by": ""}]:
        cited_by = f" Cited by {row['included_by']}." if row["included_by"] else ""
        para(f"{row['summary']} {row['confidence']}{cited_by}".strip())
    heading("Cross-functional impact")
    para(packet.cross_functional_impact)
    heading("Scope growth")
    para(packet.scope_growth)
    heading("Evidence included (who included it, and why)")
    for row in packet.evidence:
        para(f"{row['description']} (included by {row['included_by']} through {row['via_label']}) {row['note']}")
    if packet.uncited_claims:
        heading("Claims without cited evidence")
        for sentence in packet.uncited_claims:
            para(sentence)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=f"Calibration packet: {packet.person}").build(story)
    return buffer.getvalue()
