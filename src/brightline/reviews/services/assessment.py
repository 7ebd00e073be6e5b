"""Self review and the manager's assessment (D4, E10, C10)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from brightline import access
from brightline.audit.services import log_action
from brightline.people.models import Dimension, Person
from brightline.reviews.models import (
    STEP_PHASES,
    DimensionAssessment,
    Outcome,
    PacketItem,
    PromotionReadiness,
    Review,
)
from brightline.reviews.packet_items import CitationError, references_in
from brightline.reviews.services.common import (
    DIMENSIONS,
    ERR_NOT_SECOND_APPROVER,
    ERR_NOT_SELF,
    ERR_REASON_REQUIRED,
    OUTCOMES,
    ActionRefused,
    ReviewError,
    _allow,
    _check_packet_evidence,
    _include,
    _include_all,
    _references,
    _require,
    _require_phase,
    adverse_basis_count,
    manager_training_complete,
)

ERR_NOT_MANAGER = "only the manager recorded on this review ({manager}) can write its assessment"


ERR_ACCOMPLISHMENT_COUNT = "choose between 3 and 5 accomplishments; {count} chosen"


ERR_ALREADY_SUBMITTED = "the assessment was submitted on {at}; it now changes only in calibration"


ERR_UNKNOWN_DIMENSION = "{dimension!r} is not an evaluation dimension; the dimensions are {dimensions}"


ERR_UNKNOWN_OUTCOME = "{outcome!r} is not an outcome; the outcomes are Needs support, Meets, Exceeds"


ERR_OUTCOME_REQUIRED = "Choose an outcome for {dimension}."


ERR_SUBMIT_BLOCKED = "The assessment cannot be submitted yet: {problems}"


ERR_TRAINING_INCOMPLETE = ("{manager} has not completed the manager readiness training (strong and weak narrative "
                           "examples, bias awareness); assessments can be submitted after it")


ERR_DIMENSION_INCOMPLETE = ("every dimension needs an outcome with at least {minimum} cited {pieces} of evidence "
                            "(this cycle's minimum); missing: {dims}")


ERR_READINESS_MISSING = "state promotion readiness against the next level before submitting"


ERR_READINESS_EVIDENCE = ("'ready for promotion' means next-level behaviours shown consistently, with enough "
                          "evidence: cite at least {minimum} items; {count} cited")


ERR_ADVERSE_EVIDENCE = ("'needs support' on {dimension} needs at least 2 cited evidence items that are not AI "
                        "signals; {count} cited (AI assists, humans decide)")


ERR_ADVERSE_APPROVAL = ("'needs support' on {dims} needs a second approver (a people partner or someone above the "
                        "manager) before submission")


ERR_NO_ADVERSE = "there is no 'needs support' outcome to approve"


MIN_ADVERSE_EVIDENCE = 2


MIN_READINESS_EVIDENCE = 2


SELF_REVIEW_ACCOMPLISHMENTS = (3, 5)


def annotate_evidence(review: Review, *, actor: Person, reference: str, note: str) -> PacketItem:
    """The employee includes one of their items and says what it shows (B6)."""
    _allow(access.is_self(actor, review.person), ERR_NOT_SELF)
    _require_phase(review.cycle, *STEP_PHASES["annotate"])
    parsed = _references([reference])[0]
    with transaction.atomic():
        item = _include(review, parsed, actor=actor, via="annotation")
        item.note = note.strip()
        item.save(update_fields=["note"])
        log_action("reviews.packet.item_annotated", actor, item, {"review": review.pk, "reference": item.reference})
    return item


def select_accomplishments(review: Review, *, actor: Person, accomplishment_ids: Iterable[str | int]) -> list[str]:
    """The employee chooses the 3–5 accomplishments their packet shows (B4)."""
    _allow(access.is_self(actor, review.person), ERR_NOT_SELF)
    _require_phase(review.cycle, *STEP_PHASES["self_review"])
    references = _references([f"accomplishment:{value}" for value in accomplishment_ids])
    low, high = SELF_REVIEW_ACCOMPLISHMENTS
    _require(low <= len(references) <= high, ERR_ACCOMPLISHMENT_COUNT.format(count=len(references)))
    with transaction.atomic():
        chosen = _include_all(review, references, actor=actor, via="self_review")
        review.packet_items.filter(kind=PacketItem.Kind.ACCOMPLISHMENT).update(selected_accomplishment=False)
        review.packet_items.filter(kind=PacketItem.Kind.ACCOMPLISHMENT,
                                   object_id__in=[r.object_id for r in references]).update(selected_accomplishment=True)
        log_action("reviews.self_review.accomplishments_selected", actor, review, {"accomplishments": chosen})
        _check_packet_evidence(review, actor=actor)
    return chosen


def submit_self_review(review: Review, *, actor: Person, context: str) -> Review:
    _allow(access.is_self(actor, review.person), ERR_NOT_SELF)
    _require_phase(review.cycle, *STEP_PHASES["self_review"])
    selected = review.packet_items.filter(kind=PacketItem.Kind.ACCOMPLISHMENT, selected_accomplishment=True).count()
    low, high = SELF_REVIEW_ACCOMPLISHMENTS
    _require(low <= selected <= high, ERR_ACCOMPLISHMENT_COUNT.format(count=selected))
    with transaction.atomic():
        review.self_review_context = context.strip()
        review.self_review_submitted_at = timezone.now()
        review.save(update_fields=["self_review_context", "self_review_submitted_at"])
        log_action("reviews.self_review.submitted", actor, review, {"accomplishments": selected})
        _check_packet_evidence(review, actor=actor)
    return review


def _check_manager_can_edit(review: Review, actor: Person) -> None:
    manager_name = review.manager.name if review.manager else "nobody"
    _allow(access.can_assess(actor, review), ERR_NOT_MANAGER.format(manager=manager_name))
    _require_phase(review.cycle, *STEP_PHASES["assess"])
    if review.assessment_submitted_at is not None:
        raise ActionRefused(ERR_ALREADY_SUBMITTED.format(at=review.assessment_submitted_at.date()))


def dimension_label(dimension: str) -> str:
    """The human label of a dimension key; messages never show the stored key."""
    return dict(Dimension.choices).get(dimension, dimension)


def _check_dimension(dimension: str) -> None:
    _require(dimension in DIMENSIONS, ERR_UNKNOWN_DIMENSION.format(
        dimension=dimension, dimensions=", ".join(dimension_label(d) for d in DIMENSIONS)))


def _check_outcome(outcome: str, dimension: str = "") -> None:
    if not outcome and dimension:
        raise ReviewError(ERR_OUTCOME_REQUIRED.format(dimension=dimension_label(dimension)))
    _require(outcome in OUTCOMES, ERR_UNKNOWN_OUTCOME.format(outcome=outcome))


def save_assessment(review: Review, *, actor: Person, dimension: str, outcome: str, rationale: str,
                    citations: Iterable[str] = ()) -> DimensionAssessment:
    """The manager's proposed outcome on one dimension, with its cited evidence (D4).

    Citing an item is its explicit inclusion into the packet (principle 7): each is logged.
    """
    _check_manager_can_edit(review, actor)
    _check_dimension(dimension)
    _check_outcome(outcome, dimension)
    try:
        references = references_in(rationale, list(citations))
    except CitationError as error:
        raise ReviewError(str(error)) from error
    with transaction.atomic():
        cited = _include_all(review, references, actor=actor, via="assessment")
        assessment = DimensionAssessment.objects.select_for_update().get(review=review, dimension=dimension)
        previous = assessment.proposed_outcome
        assessment.proposed_outcome = outcome
        assessment.outcome = outcome
        assessment.rationale = rationale.strip()
        assessment.citations = cited
        assessment.version += 1
        assessment.save()
        log_action("reviews.assessment.saved", actor, assessment, {
            "dimension": dimension, "outcome": {"from": previous, "to": outcome}, "citations": cited})
        _check_packet_evidence(review, actor=actor)
    return assessment


@dataclass(frozen=True)
class ManagerNarrative:
    """The manager's interpretation beside the per-dimension outcomes."""

    summary: str = ""
    cross_functional_impact: str = ""
    scope_growth: str = ""
    promotion_readiness: str = PromotionReadiness.NOT_ASSESSED
    promotion_rationale: str = ""
    promotion_citations: tuple[str, ...] = field(default_factory=tuple)


def save_manager_narrative(review: Review, *, actor: Person, narrative: ManagerNarrative) -> Review:
    _check_manager_can_edit(review, actor)
    _require(narrative.promotion_readiness in PromotionReadiness.values,
             f"{narrative.promotion_readiness!r} is not a promotion readiness")
    try:
        texts = [narrative.summary, narrative.cross_functional_impact, narrative.scope_growth]
        references = references_in(" ".join(texts))
        readiness_refs = references_in(narrative.promotion_rationale, list(narrative.promotion_citations))
    except CitationError as error:
        raise ReviewError(str(error)) from error
    if narrative.promotion_readiness == PromotionReadiness.READY:
        _require(len(readiness_refs) >= MIN_READINESS_EVIDENCE, ERR_READINESS_EVIDENCE.format(
            minimum=MIN_READINESS_EVIDENCE, count=len(readiness_refs)))
    with transaction.atomic():
        _include_all(review, references, actor=actor, via="assessment")
        readiness_cited = _include_all(review, readiness_refs, actor=actor, via="assessment")
        review.manager_summary = narrative.summary.strip()
        review.cross_functional_impact = narrative.cross_functional_impact.strip()
        review.scope_growth = narrative.scope_growth.strip()
        previous = review.promotion_readiness
        review.promotion_readiness = narrative.promotion_readiness
        review.promotion_rationale = narrative.promotion_rationale.strip()
        review.promotion_citations = readiness_cited
        review.save()
        log_action("reviews.assessment.narrative_saved", actor, review, {
            "promotion_readiness": {"from": previous, "to": review.promotion_readiness},
            "promotion_citations": readiness_cited})
        _check_packet_evidence(review, actor=actor)
    return review


def _adverse_dimensions(review: Review) -> list[DimensionAssessment]:
    return list(review.assessments.filter(proposed_outcome=Outcome.NEEDS_SUPPORT).order_by("dimension"))


def _adverse_evidence_problem(dimension: str, citations: Iterable[str]) -> str | None:
    count = adverse_basis_count(_references(citations))
    if count >= MIN_ADVERSE_EVIDENCE:
        return None
    return ERR_ADVERSE_EVIDENCE.format(dimension=dimension_label(dimension), count=count)


def _check_adverse_evidence(dimension: str, citations: Iterable[str]) -> None:
    problem = _adverse_evidence_problem(dimension, citations)
    _require(problem is None, problem or "")


def approve_adverse_assessment(review: Review, *, approver: Person, reason: str) -> Review:
    """A second person approves a proposed *needs support* (C10) after checking its evidence."""
    _require_phase(review.cycle, *STEP_PHASES["approve_adverse"])
    _allow(access.can_approve_adverse_outcome(approver, review, review.manager),
           ERR_NOT_SECOND_APPROVER.format(name=approver.name))
    _allow(review.proposes_adverse_outcome(), ERR_NO_ADVERSE)
    _require(bool(reason.strip()), ERR_REASON_REQUIRED)
    adverse = _adverse_dimensions(review)
    for assessment in adverse:
        _check_adverse_evidence(assessment.dimension, assessment.citations)
    with transaction.atomic():
        review.adverse_approved_by = approver
        review.adverse_approved_at = timezone.now()
        review.adverse_approved_dimensions = [assessment.dimension for assessment in adverse]
        review.save(update_fields=["adverse_approved_by", "adverse_approved_at", "adverse_approved_dimensions"])
        log_action("reviews.assessment.adverse_approved", approver, review, {
            "dimensions": review.adverse_approved_dimensions, "reason": reason.strip()})
    return review


def _submission_problems(review: Review, actor: Person) -> list[str]:
    """Everything that blocks submission, all at once, in the words the manager reads."""
    problems = []
    if not manager_training_complete(actor):
        problems.append(ERR_TRAINING_INCOMPLETE.format(manager=actor.name))
    assessments = sorted(review.assessments.all(), key=lambda a: DIMENSIONS.index(a.dimension))
    minimum = review.cycle.min_evidence_per_dimension
    incomplete = [a.dimension for a in assessments if not a.proposed_outcome or len(a.citations) < minimum]
    if incomplete:
        problems.append(ERR_DIMENSION_INCOMPLETE.format(
            minimum=minimum, pieces="piece" if minimum == 1 else "pieces",
            dims=", ".join(dimension_label(d) for d in incomplete)))
    has_next_level = review.level is not None and review.level.next_level() is not None
    if has_next_level and review.promotion_readiness == PromotionReadiness.NOT_ASSESSED:
        problems.append(ERR_READINESS_MISSING)
    adverse = [a for a in assessments if a.proposed_outcome == Outcome.NEEDS_SUPPORT]
    problems += [p for a in adverse if (p := _adverse_evidence_problem(a.dimension, a.citations))]
    adverse_dims = sorted(a.dimension for a in adverse)
    if adverse_dims and not (review.adverse_approved_by_id is not None
                             and sorted(review.adverse_approved_dimensions) == adverse_dims):
        problems.append(ERR_ADVERSE_APPROVAL.format(dims=", ".join(dimension_label(d) for d in adverse_dims)))
    return problems


def submit_assessment(review: Review, *, actor: Person) -> Review:
    """Submit the assessment: trained manager (E10), every dimension cited (D4), adverse outcomes guarded (C10)."""
    _check_manager_can_edit(review, actor)
    problems = _submission_problems(review, actor)
    if problems:
        raise ReviewError(problems[0] if len(problems) == 1
                          else ERR_SUBMIT_BLOCKED.format(problems="; ".join(problems)))
    assessments = list(review.assessments.all())
    with transaction.atomic():
        review.assessment_submitted_at = timezone.now()
        review.save(update_fields=["assessment_submitted_at"])
        log_action("reviews.assessment.submitted", actor, review, {
            "outcomes": {a.dimension: a.proposed_outcome for a in assessments},
            "promotion_readiness": review.promotion_readiness,
            "adverse_approved_by": review.adverse_approved_by_id})
    return review
