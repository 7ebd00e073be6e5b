"""What the draft review packets claim and cite, for the insights app's missing-evidence checks (C5).

The insights app sits below reviews and never imports it: it asks through its
``draft_packet_claims`` signal, which ``ReviewsConfig.ready()`` connects to :func:`answer_draft_packet_claims`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.db.models import Prefetch

from brightline.core.insights import ItemRef, PacketClaim
from brightline.core.narrative import find_citations
from brightline.evidence.references import resolve_named_evidence
from brightline.feedback.models import Accomplishment
from brightline.insights.adapters import accomplishment_evidence_ids, accomplishments_named_evidence
from brightline.people.models import Dimension
from brightline.reviews.models import DRAFT_PACKET_PHASES, STEP_PHASES, PacketItem, Review, phase_index

# The manager's narrative fields and how a reader calls them.
NARRATIVE_FIELDS = (("manager_summary", "summary"), ("cross_functional_impact", "cross-functional impact"),
                    ("scope_growth", "scope growth"))
AI_REFERENCE_KINDS = frozenset({"signal"})
# The step in which each author writes their part of the packet: once it has closed, they cannot change it.
AUTHOR_STEPS = {"person": "self_review", "manager": "assess"}


def _step_closed(review: Review, written_by: str) -> bool:
    """Whether the cycle has moved past the last phase of the step in which ``written_by`` edits their part."""
    last = max(phase_index(phase) for phase in STEP_PHASES[AUTHOR_STEPS[written_by]])
    return phase_index(review.cycle.phase) > last


def _packet_citations(text: str, references: Iterable[str] = ()) -> tuple[tuple[ItemRef, ...], tuple[ItemRef, ...]]:
    """What a packet claim cites — ``[E:id]`` in its text and stored ``kind:id`` references — as
    (human evidence, AI signals)."""
    found = [ItemRef("evidence_item", c.evidence_id) for c in find_citations(text or "")
             if c.syntax in {"canonical", "evidence"} and c.evidence_id.isdigit()]
    for reference in references:
        kind, _, object_id = str(reference).partition(":")
        if kind and object_id:
            found.append(ItemRef(kind.strip(), object_id.strip()))
    unique = list(dict.fromkeys(found))
    return (tuple(ref for ref in unique if ref.kind not in AI_REFERENCE_KINDS),
            tuple(ref for ref in unique if ref.kind in AI_REFERENCE_KINDS))


def draft_packet_claims(*, person_id: int | None = None, review_id: int | None = None,
                        accomplishment_id: int | None = None,
                        person_ids: Iterable[int] | None = None) -> dict[int, tuple[int, list[PacketClaim]]]:
    """``{review id: (person id, claims)}`` of the draft packets (before calibration) in scope, by review id:
    the person's, the one review's, those that chose the accomplishment (its packet item outlives a
    deleted accomplishment, so this answers right after a deletion too), or those of many people
    (``person_ids``, in a fixed number of queries).

    The self review and the chosen accomplishments are the person's; the assessment of each dimension
    (once it has an outcome or a rationale) and the narrative fields (once written) are the manager's. A
    claim whose author's step has closed (the person's after the self-review step) is marked ``closed``.
    """
    reviews = Review.objects.filter(cycle__phase__in=DRAFT_PACKET_PHASES)
    if person_id is not None:
        reviews = reviews.filter(person_id=person_id)
    if person_ids is not None:
        reviews = reviews.filter(person_id__in=list(person_ids))
    if review_id is not None:
        reviews = reviews.filter(pk=review_id)
    if accomplishment_id is not None:
        reviews = reviews.filter(packet_items__kind="accomplishment", packet_items__selected_accomplishment=True,
                                 packet_items__object_id=str(accomplishment_id))
    chosen_items = Prefetch("packet_items", to_attr="chosen_accomplishments", queryset=PacketItem.objects.filter(
        kind="accomplishment", selected_accomplishment=True).only("review_id", "object_id"))
    found = list(reviews.distinct().select_related("cycle").prefetch_related("assessments", chosen_items)
                 .order_by("pk"))
    wanted = {int(item.object_id) for review in found for item in review.chosen_accomplishments}
    accomplishments = {accomplishment.pk: accomplishment for accomplishment in Accomplishment.objects.filter(
        pk__in=sorted(wanted)).prefetch_related("evidence").order_by("pk")}
    drafted: dict[int, tuple[int, list[tuple[PacketClaim, str]]]] = {}
    for review in found:
        chosen = sorted({int(item.object_id) for item in review.chosen_accomplishments} & accomplishments.keys())
        claims = _claims_of(review, [accomplishments[pk] for pk in chosen])
        drafted[review.pk] = (review.person_id, [(replace(claim, closed=_step_closed(review, claim.written_by)), text)
                                                 for claim, text in claims])
    return _with_named_evidence(drafted, accomplishments)


def _with_named_evidence(drafted: dict[int, tuple[int, list[tuple[PacketClaim, str]]]],
                         accomplishments: dict[int, Accomplishment]) -> dict[int, tuple[int, list[PacketClaim]]]:
    """The claims with the evidence their texts name in words added to what they cite when it is found, and
    the references not found kept as ``unfound`` (one lookup for all the packets)."""
    named = resolve_named_evidence({(review, index): (person_id, text)
                                    for review, (person_id, claims) in drafted.items()
                                    for index, (_claim, text) in enumerate(claims) if text})
    by_accomplishment = accomplishments_named_evidence(accomplishments.values())
    packets: dict[int, tuple[int, list[PacketClaim]]] = {}
    for review, (person_id, claims) in drafted.items():
        done = []
        for index, (claim, _text) in enumerate(claims):
            answer = (by_accomplishment.get(int(claim.slot)) if claim.part == "accomplishment"
                      else named.get((review, index)))
            if answer is not None and (answer.found or answer.missing):
                found = tuple(ItemRef("evidence_item", str(pk)) for pk in answer.found)
                claim = replace(claim, cited=tuple(dict.fromkeys((*claim.cited, *found))), unfound=answer.missing)
            done.append(claim)
        packets[review] = (person_id, done)
    return packets


def answer_draft_packet_claims(sender: Any, **scope: Any) -> dict[int, tuple[int, list[PacketClaim]]]:
    """The receiver of insights' ``draft_packet_claims`` signal."""
    return draft_packet_claims(person_id=scope.get("person_id"), review_id=scope.get("review_id"),
                               accomplishment_id=scope.get("accomplishment_id"), person_ids=scope.get("person_ids"))


def _claims_of(review: Review, chosen: list[Accomplishment]) -> list[tuple[PacketClaim, str]]:
    """The claims of one packet, each with the text its named evidence is read from (empty for a chosen
    accomplishment, read on its own); ``chosen``: its chosen accomplishments that still exist, in id order."""
    dimensions = dict(Dimension.choices)
    claims: list[tuple[PacketClaim, str]] = []
    common: dict[str, Any] = {"packet": str(review.pk), "packet_name": review.cycle.name}
    review_ref = ItemRef("review", str(review.pk))
    if review.self_review_context.strip():
        human, ai = _packet_citations(review.self_review_context)
        claims.append((PacketClaim(ref=review_ref, part="self_review", slot="context", label="the self review",
                                   written_by="person", cited=human, ai_cited=ai, **common),
                       review.self_review_context))
    for accomplishment in chosen:
        cited = tuple(ItemRef("evidence_item", str(pk)) for pk in sorted(accomplishment_evidence_ids(accomplishment)))
        claims.append((PacketClaim(
            ref=ItemRef("accomplishment", str(accomplishment.pk)), part="accomplishment",
            slot=str(accomplishment.pk), label=f"“{accomplishment.title}”, one of the chosen accomplishments,",
            written_by="person", cited=cited, **common), ""))
    for assessment in sorted(review.assessments.all(), key=lambda a: a.dimension):
        if not (assessment.proposed_outcome or assessment.rationale.strip()):
            continue
        human, ai = _packet_citations(assessment.rationale, assessment.citations)
        label = dimensions.get(assessment.dimension, assessment.dimension).lower()
        claims.append((PacketClaim(
            ref=ItemRef("dimension_assessment", str(assessment.pk)), part="assessment", slot=assessment.dimension,
            label=f"the manager's assessment of {label}", written_by="manager", cited=human, ai_cited=ai,
            detail={"dimension": assessment.dimension}, **common), assessment.rationale))
    for field_name, label in NARRATIVE_FIELDS:
        text = getattr(review, field_name).strip()
        if text:
            human, ai = _packet_citations(text)
            claims.append((PacketClaim(ref=review_ref, part="narrative", slot=field_name,
                                       label=f"the manager's {label}", written_by="manager", cited=human,
                                       ai_cited=ai, **common), text))
    if review.promotion_readiness != "not_assessed" or review.promotion_rationale.strip():
        human, ai = _packet_citations(review.promotion_rationale, review.promotion_citations)
        claims.append((PacketClaim(ref=review_ref, part="narrative", slot="promotion_readiness",
                                   label="the manager's promotion readiness", written_by="manager", cited=human,
                                   ai_cited=ai, **common), review.promotion_rationale))
    return claims


def answer_review_managers(sender: Any, **scope: Any) -> dict[int, int | None]:
    """The receiver of insights' ``review_managers`` signal: the manager of each review asked about."""
    return dict(Review.objects.filter(pk__in=list(scope.get("review_ids") or ())).values_list("pk", "manager_id"))
