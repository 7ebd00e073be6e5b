"""The employee pre-reviews her packet before release and annotates it (B6).

She reads what her manager cites once the assessment is submitted (never a pre-vote, a panelist's note or a
proposed outcome before release) and adds notes that her manager and the panel read beside the packet. A note
is never edited in place: a change is a new note that replaces the old one, and both are kept.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from brightline import access
from brightline.audit.services import log_action
from brightline.people.models import Dimension, Person
from brightline.reviews.models import PacketAnnotation, Phase, Review, ReviewCycle, phase_index
from brightline.reviews.packet import Packet
from brightline.reviews.services.common import ERR_NOT_SELF, ReviewError, _require

ANNOTATION_SECTIONS: dict[str, str] = {
    "packet": "The packet as a whole",
    "self_review": "My self review",
    **dict(Dimension.choices),
    "promotion": "Promotion readiness",
}
ANNOTATION_MAX_LENGTH = 4000

ERR_ANNOTATION_EMPTY = "Write the note first: an empty note is not kept."
ERR_ANNOTATION_TOO_LONG = "A note can be at most {limit} characters; this one has {length}."
ERR_ANNOTATION_SECTION = "Choose what the note is about: the packet, your self review, a dimension or promotion."
ERR_ANNOTATION_CLOSED = ("Notes on the packet can be added until calibration ends; from the decision memo on, "
                         "add context through an appeal.")
ERR_ANNOTATION_REPLACED = "That note was already changed; change its latest version."
ERR_ANNOTATION_UNKNOWN_EVIDENCE = ("{shown} {verb} not in your evidence: cite the number shown beside an item of your "
                                   "evidence list, or leave the number out.")


def packet_notes_open(cycle: ReviewCycle) -> bool:
    """Whether the people reviewed in ``cycle`` may still add notes to their packet: until the decision memo."""
    return phase_index(cycle.phase) < phase_index(Phase.DECISION_MEMO)


def can_annotate_packet(person: Person, review: Review) -> bool:
    """The person reviewed, while the packet is still read by her manager and the panel."""
    return access.is_self(person, review.person) and packet_notes_open(review.cycle)


def annotate_packet(review: Review, *, actor: Person, section: str, body: str,
                    replaces: PacketAnnotation | None = None) -> PacketAnnotation:
    """Add the employee's note on one section of her packet, or a new version of an earlier note."""
    _require(access.is_self(actor, review.person), ERR_NOT_SELF)
    review.cycle.refresh_from_db(fields=["phase"])
    _require(phase_index(review.cycle.phase) < phase_index(Phase.DECISION_MEMO), ERR_ANNOTATION_CLOSED)
    text = body.strip()
    _require(bool(text), ERR_ANNOTATION_EMPTY)
    _require(len(text) <= ANNOTATION_MAX_LENGTH,
             ERR_ANNOTATION_TOO_LONG.format(limit=ANNOTATION_MAX_LENGTH, length=len(text)))
    if replaces is not None:
        _require(replaces.review_id == review.pk, ERR_NOT_SELF)
        section = replaces.section
    _require(section in ANNOTATION_SECTIONS, ERR_ANNOTATION_SECTION)
    _require_own_evidence(review, text)
    with transaction.atomic():
        if replaces is not None:
            locked = PacketAnnotation.objects.select_for_update().get(pk=replaces.pk)
            _require(not PacketAnnotation.objects.filter(replaces=locked).exists(), ERR_ANNOTATION_REPLACED)
        annotation = PacketAnnotation.objects.create(review=review, author=actor, section=section, body=text,
                                                     replaces=replaces)
        log_action("reviews.packet.annotated", actor, annotation, {
            "review": review.pk, "section": section, "replaces": replaces.pk if replaces else None,
            "length": len(text)})
    return annotation


def _require_own_evidence(review: Review, text: str) -> None:
    """Every "[E:n]" in a note names an item of the person's own evidence (one query): the manager and the panel
    would otherwise look for an item that does not exist."""
    from brightline.evidence.models import EvidenceItem
    from brightline.reviews.packet_items import references_in

    cited = {int(reference.object_id) for reference in references_in(text)}
    if not cited:
        return
    known = set(EvidenceItem.objects.filter(pk__in=cited, person_id=review.person_id).values_list("pk", flat=True))
    unknown = sorted(cited - known)
    _require(not unknown, ERR_ANNOTATION_UNKNOWN_EVIDENCE.format(
        shown=", ".join(f"[E:{number}]" for number in unknown), verb="is" if len(unknown) == 1 else "are"))


#: The ways into the packet that are part of the manager's assessment, a draft until it is submitted.
MANAGER_DRAFT_VIAS = frozenset({"assessment"})


def pre_review_packet(packet: Packet, *, manager_submitted: bool) -> dict[str, Any]:
    """What the person reads of her packet before release, on the page and through the API alike.

    Never an outcome, proposed or calibrated, nor the promotion readiness; what her manager wrote and cites
    (rationale, citations, cross-functional impact, scope growth, uncited claims) only once the assessment is
    submitted; nor, until then, the items and themes the draft cites.
    """
    shown = packet.to_json()
    shown["pre_review"] = True
    shown["manager_submitted"] = manager_submitted
    shown["outcomes"] = [
        {"dimension": row["dimension"], "label": row["label"],
         "rationale": row["rationale"] if manager_submitted else "",
         "citations": list(row["citations"]) if manager_submitted else []}
        for row in packet.outcomes]
    shown["promotion"] = {"rationale": packet.promotion["rationale"] if manager_submitted else "",
                          "citations": list(packet.promotion["citations"] or []) if manager_submitted else []}
    if not manager_submitted:
        shown["cross_functional_impact"] = shown["scope_growth"] = ""
        shown["uncited_claims"] = []
        # What the manager's draft cites is the draft too: it reaches her with the submitted assessment.
        shown["evidence"] = [row for row in packet.evidence if row["via"] not in MANAGER_DRAFT_VIAS]
        shown["feedback_themes"] = [row for row in packet.feedback_themes if row["via"] not in MANAGER_DRAFT_VIAS]
    return shown


def packet_for_reader(packet: Packet, *, is_assessor: bool) -> dict[str, Any]:
    """The packet as anyone but the person reads it: a draft's outcomes and promotion readiness are the assessor's
    alone until the assessment is submitted; the others read that it is not submitted yet."""
    shown = packet.to_json()
    if packet.assessment_submitted or is_assessor:
        return shown
    shown["outcomes"] = [{**row, "proposed": "", "proposed_label": "", "outcome": "", "outcome_label": ""}
                         for row in packet.outcomes]
    shown["promotion"] = {**packet.promotion, "readiness": ""}
    return shown


def packet_annotations(review: Review) -> list[dict[str, object]]:
    """The current notes, each with its earlier versions (oldest first), in the order of the sections."""
    rows = list(review.annotations.select_related("author"))
    replaced = {row.replaces_id for row in rows if row.replaces_id}
    by_pk = {row.pk: row for row in rows}
    current = [row for row in rows if row.pk not in replaced]
    order = list(ANNOTATION_SECTIONS)
    result: list[dict[str, object]] = []
    for row in sorted(current, key=lambda r: (order.index(r.section) if r.section in order else len(order),
                                              r.created_at, r.pk)):
        history = []
        previous = by_pk.get(row.replaces_id) if row.replaces_id else None
        while previous is not None:
            history.insert(0, previous)
            previous = by_pk.get(previous.replaces_id) if previous.replaces_id else None
        result.append({"note": row, "label": ANNOTATION_SECTIONS.get(row.section, row.section), "history": history})
    return result


__all__ = [
    "ANNOTATION_SECTIONS",
    "ERR_ANNOTATION_CLOSED",
    "ERR_ANNOTATION_EMPTY",
    "ERR_ANNOTATION_REPLACED",
    "ERR_ANNOTATION_SECTION",
    "ERR_ANNOTATION_TOO_LONG",
    "ReviewError",
    "annotate_packet",
    "can_annotate_packet",
    "packet_annotations",
    "pre_review_packet",
]
