"""JSON API for cycles, assessments, packets, pre-votes, calibration changes, memos and appeals.

Same rules as the pages: ``brightline.access`` decides, reads of others' reviews are logged,
state changes go through ``brightline.reviews.services``. A quota anywhere in a request is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from brightline import access
from brightline.apierrors import ErrorOut
from brightline.pagination import ListPage
from brightline.people.models import Person, Team
from brightline.reviews import services
from brightline.reviews.models import Appeal, CalibrationChange, PacketAnnotation, Review, ReviewCycle
from brightline.reviews.packet import build_packet
from brightline.reviews.services import preview as packet_notes

router = Router(tags=["reviews"])

ERR_FORBIDDEN_REVIEW = "You can see this review only as the person, their management chain, a people partner, " \
                       "an eligible panelist or the appeal reviewer."
ERR_FORBIDDEN_OUTCOME = "Outcomes are shown to the employee from release on."
ERR_FORBIDDEN_CYCLE = "Only people partners can manage review cycles."


@contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except services.ConcurrentEditError as error:
        raise HttpError(409, str(error)) from error
    except services.ReviewError as error:
        raise HttpError(400, str(error)) from error


def _viewer(request: HttpRequest) -> Person:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _review(request: HttpRequest, review_id: int, *, outcome: bool = False, pre_review: bool = False) -> Review:
    """The review, read and logged; ``outcome`` asks for the right to see outcomes, which ``pre_review`` waives
    for the person herself (her packet before release, as on the page)."""
    viewer = _viewer(request)
    review = get_object_or_404(Review.objects.select_related("cycle", "person", "manager", "level", "team"),
                               pk=review_id)
    allowed = access.can_view_review(viewer, review)
    if allowed and outcome and not access.can_view_review_outcome(viewer, review) \
            and not (pre_review and access.is_self(viewer, review.person)):
        raise HttpError(403, ERR_FORBIDDEN_OUTCOME)  # refused before anything is read
    denied = ERR_FORBIDDEN_REVIEW if allowed else services.panel_refusal(review, viewer) or ERR_FORBIDDEN_REVIEW
    access.open_person_record(viewer, review.person, what="reviews.review", via="api", denied=denied,
                              allowed=allowed)
    return review


class CycleIn(Schema):
    name: str
    schedule: dict[str, date]
    teams: list[str] = []
    self_review_required: bool = False
    min_evidence_per_dimension: int = 1


CYCLE_FIELDS = frozenset(CycleIn.model_fields)


class CycleOut(Schema):
    id: int
    name: str
    phase: str
    schedule: dict[str, Any]
    people: int
    next_phase: str | None
    self_review_required: bool
    min_evidence_per_dimension: int

    @staticmethod
    def resolve_people(cycle: ReviewCycle) -> int:
        return cycle.reviews.count()

    @staticmethod
    def resolve_next_phase(cycle: ReviewCycle) -> str | None:
        return services.next_phase(cycle)


class AdvanceIn(Schema):
    to_phase: str | None = None


class DistributionOut(Schema):
    note: str
    distribution: dict[str, dict[str, int | str]]  # "fewer than 3" for a small cell the caller has no role in
    flags: list[dict[str, Any]]


class AssessmentOut(Schema):
    dimension: str
    proposed_outcome: str
    outcome: str
    rationale: str
    citations: list[str]
    version: int


class ReviewOut(Schema):
    id: int
    cycle_id: int
    phase: str
    person_id: int
    manager_id: int | None
    self_review_submitted: bool
    assessment_submitted: bool
    promotion_readiness: str | None
    assessments: list[AssessmentOut] | None
    acknowledged_at: datetime | None
    # What the caller may do on this review now (``access.ReviewActions``); on one review's answer only.
    actions: dict[str, bool] | None = None


class AssessmentIn(Schema):
    outcome: str
    rationale: str
    citations: list[str] = []


class PreVoteIn(Schema):
    dimension: str
    outcome: str
    note: str = ""


class ChangeIn(Schema):
    dimension: str
    to_outcome: str
    reason: str
    seen_version: int
    citations: list[str] = []


class ChangeOut(Schema):
    id: int
    dimension: str
    actor: str
    changed_at: datetime
    from_outcome: str
    to_outcome: str
    reason: str
    citations: list[str]
    status: str
    source: str
    approved_by: str | None

    @staticmethod
    def resolve_dimension(change: CalibrationChange) -> str:
        return change.assessment.dimension

    @staticmethod
    def resolve_actor(change: CalibrationChange) -> str:
        return change.actor.name

    @staticmethod
    def resolve_approved_by(change: CalibrationChange) -> str | None:
        return change.approved_by.name if change.approved_by else None


class MemoOut(Schema):
    review_id: int
    accountable: str
    generated_at: datetime
    sections: dict[str, Any]


class AppealIn(Schema):
    context: str


class AppealOut(Schema):
    id: int
    review_id: int
    status: str
    context: str
    filed_at: datetime
    due_on: date
    reviewer: str | None
    decision: str
    decision_reason: str
    overdue: bool

    @staticmethod
    def resolve_reviewer(appeal: Appeal) -> str | None:
        return appeal.reviewer.name if appeal.reviewer else None

    @staticmethod
    def resolve_overdue(appeal: Appeal) -> bool:
        return services.appeal_is_overdue(appeal)


class DecisionIn(Schema):
    decision: str
    reason: str
    new_outcomes: dict[str, str] = {}
    citations: list[str] = []


def _review_out(viewer: Person, review: Review) -> dict[str, Any]:
    # As on the page: a draft's outcomes and promotion readiness are its assessor's until the assessment is
    # submitted; whoever else may read the review reads null for them.
    show = access.can_view_review_outcome(viewer, review) and (
        review.assessment_submitted_at is not None or access.can_assess(viewer, review))
    return {
        "id": review.pk, "cycle_id": review.cycle_id, "phase": review.cycle.phase, "person_id": review.person_id,
        "manager_id": review.manager_id, "self_review_submitted": review.self_review_submitted_at is not None,
        "assessment_submitted": review.assessment_submitted_at is not None,
        "promotion_readiness": review.promotion_readiness if show else None,
        "assessments": list(review.assessments.all()) if show else None,
        "acknowledged_at": review.acknowledged_at,
    }


@router.get("/cycles", response=list[CycleOut], summary="Review cycles (people partners: all; others: their own)")
@paginate(ListPage)
def list_cycles(request: HttpRequest) -> Any:
    viewer = _viewer(request)
    if access.can_run_cycles(viewer):
        return list(ReviewCycle.objects.all())
    return list(ReviewCycle.objects.filter(reviews__person=viewer).distinct())


@router.post("/cycles", response={201: CycleOut}, summary="Open a cycle; any quota, target share or curve is refused")
def open_cycle(request: HttpRequest, payload: CycleIn) -> Any:
    viewer = _viewer(request)
    if not access.can_run_cycles(viewer):
        raise HttpError(403, ERR_FORBIDDEN_CYCLE)
    with domain_errors():
        # Fields beside the schema are refused, not ignored: a quota first, with its reason, then any other.
        sent = json.loads(request.body or b"{}")
        extra = {key: value for key, value in sent.items() if key not in CYCLE_FIELDS}
        settings = {key: sent[key] for key in services.CYCLE_SETTINGS if key in sent}
        services.refuse_quota(sent)
        services.parse_cycle_settings({**extra, **settings})
        teams = [get_object_or_404(Team, slug=slug) for slug in payload.teams]
        cycle = services.open_cycle(actor=viewer, name=payload.name, schedule=payload.schedule, teams=teams,
                                    settings=settings)
    return Status(201, cycle)


@router.get("/cycles/{cycle_id}", response=CycleOut)
def cycle_detail(request: HttpRequest, cycle_id: int) -> Any:
    viewer = _viewer(request)
    cycle = get_object_or_404(ReviewCycle, pk=cycle_id)
    if not (access.can_run_cycles(viewer) or cycle.reviews.filter(person=viewer).exists()
            or access.is_panelist(viewer, cycle)):
        raise HttpError(403, ERR_FORBIDDEN_CYCLE)
    return cycle


@router.post("/cycles/{cycle_id}/advance", response=CycleOut, summary="Move to the next phase (never skips)")
def advance_cycle(request: HttpRequest, cycle_id: int, payload: AdvanceIn) -> Any:
    viewer = _viewer(request)
    if not access.can_run_cycles(viewer):
        raise HttpError(403, ERR_FORBIDDEN_CYCLE)
    with domain_errors():
        return services.advance_cycle(get_object_or_404(ReviewCycle, pk=cycle_id), actor=viewer,
                                      to_phase=payload.to_phase)


@router.get("/cycles/{cycle_id}/distribution", response=DistributionOut,
            summary="Outcome counts for information only (never a target) and calibration flags")
def cycle_distribution(request: HttpRequest, cycle_id: int) -> Any:
    viewer = _viewer(request)
    if not access.can_run_cycles(viewer):
        raise HttpError(403, ERR_FORBIDDEN_CYCLE)
    cycle = get_object_or_404(ReviewCycle, pk=cycle_id)
    overview = services.cycle_overview(cycle, viewer)  # names and drafts only for reviews the caller has a role in
    return {"note": "For information only. Outcomes follow the written standards; there is no target distribution.",
            "distribution": overview.distribution,
            "flags": [flag.to_json() for flag in overview.flags]}


@router.get("/reviews", response=list[ReviewOut], summary="Reviews the caller may see")
@paginate(ListPage)
def list_reviews(request: HttpRequest) -> Any:
    viewer = _viewer(request)
    reviews = Review.objects.select_related("cycle", "person").prefetch_related("assessments")
    return [_review_out(viewer, r) for r in reviews if access.can_view_review(viewer, r)]


@router.get("/reviews/{review_id}", response=ReviewOut)
def review_detail(request: HttpRequest, review_id: int) -> Any:
    viewer, review = _viewer(request), _review(request, review_id)
    return {**_review_out(viewer, review), "actions": access.review_actions(viewer, review).as_dict()}


@router.put("/reviews/{review_id}/assessments/{dimension}", response=AssessmentOut,
            summary="The manager's proposed outcome on one dimension, with cited evidence")
def save_assessment(request: HttpRequest, review_id: int, dimension: str, payload: AssessmentIn) -> Any:
    review = _review(request, review_id)
    with domain_errors():
        return services.save_assessment(review, actor=_viewer(request), dimension=dimension,
                                        outcome=payload.outcome, rationale=payload.rationale,
                                        citations=payload.citations)


@router.post("/reviews/{review_id}/submit", response=ReviewOut, summary="Submit the manager assessment")
def submit_assessment(request: HttpRequest, review_id: int) -> Any:
    review = _review(request, review_id)
    with domain_errors():
        services.submit_assessment(review, actor=_viewer(request))
    return _review_out(_viewer(request), review)


@router.get("/reviews/{review_id}/packet",
            summary="The calibration packet in its standard shape; the person reads it before release without "
                    "outcomes (pre_review: true), with what her manager cites once the assessment is submitted")
def packet(request: HttpRequest, review_id: int) -> dict[str, Any]:
    review = _review(request, review_id, outcome=True, pre_review=True)
    if access.can_view_review_outcome(_viewer(request), review):
        return packet_notes.packet_for_reader(build_packet(review),
                                              is_assessor=access.can_assess(_viewer(request), review))
    return packet_notes.pre_review_packet(build_packet(review),
                                          manager_submitted=review.assessment_submitted_at is not None)


class PacketNoteVersionOut(Schema):
    id: int
    body: str
    created_at: datetime


class PacketNoteOut(Schema):
    id: int
    section: str
    label: str
    body: str
    author: str | None
    created_at: datetime
    replaces_id: int | None
    earlier_versions: list[PacketNoteVersionOut]


class PacketNoteIn(Schema):
    section: str = "packet"
    body: str
    replaces: int | None = None


def _note_out(note: PacketAnnotation, label: str, history: list[PacketAnnotation]) -> dict[str, Any]:
    return {"id": note.pk, "section": note.section, "label": label, "body": note.body,
            "author": note.author.name if note.author else None, "created_at": note.created_at,
            "replaces_id": note.replaces_id,
            "earlier_versions": [{"id": old.pk, "body": old.body, "created_at": old.created_at} for old in history]}


@router.get("/reviews/{review_id}/packet/notes", response=list[PacketNoteOut],
            summary="The person's notes on her packet, each with its earlier versions (oldest first)")
@paginate(ListPage)
def list_packet_notes(request: HttpRequest, review_id: int) -> list[dict[str, Any]]:
    review = _review(request, review_id, outcome=True, pre_review=True)
    return [_note_out(row["note"], str(row["label"]), list(row["history"]))  # type: ignore[arg-type]
            for row in packet_notes.packet_annotations(review)]


@router.post("/reviews/{review_id}/packet/notes", response={201: PacketNoteOut, 400: ErrorOut, 403: ErrorOut},
             summary="Add a note to your packet before release, or a new version of one (replaces: its id); "
                     "until calibration ends")
def add_packet_note(request: HttpRequest, review_id: int, payload: PacketNoteIn) -> Any:
    viewer = _viewer(request)
    review = _review(request, review_id, outcome=True, pre_review=True)
    if not access.is_self(viewer, review.person):
        raise HttpError(403, services.ERR_NOT_SELF)
    replaces = None
    if payload.replaces is not None:
        replaces = get_object_or_404(PacketAnnotation, pk=payload.replaces, review=review)
    with domain_errors():
        note = packet_notes.annotate_packet(review, actor=viewer, section=payload.section, body=payload.body,
                                            replaces=replaces)
    current = next(row for row in packet_notes.packet_annotations(review) if row["note"].pk == note.pk)  # type: ignore[attr-defined]
    return Status(201, _note_out(note, str(current["label"]), list(current["history"])))  # type: ignore[arg-type]


@router.get("/reviews/{review_id}/prevotes",
            summary="Pre-votes: your own, and the spread only once every eligible panelist has voted")
def pre_votes(request: HttpRequest, review_id: int) -> dict[str, Any]:
    review = _review(request, review_id, outcome=True)
    return services.pre_vote_spread(review, viewer=_viewer(request)).to_json()


@router.post("/reviews/{review_id}/prevotes", summary="Record an independent pre-vote")
def record_pre_vote(request: HttpRequest, review_id: int, payload: PreVoteIn) -> dict[str, Any]:
    review = _review(request, review_id)
    with domain_errors():
        services.record_pre_vote(review, panelist=_viewer(request), dimension=payload.dimension,
                                 outcome=payload.outcome, note=payload.note)
    return services.pre_vote_spread(review, viewer=_viewer(request)).to_json()


@router.get("/reviews/{review_id}/calibration-changes", response=list[ChangeOut])
@paginate(ListPage)
def list_changes(request: HttpRequest, review_id: int) -> Any:
    review = _review(request, review_id, outcome=True)
    return list(CalibrationChange.objects.filter(assessment__review=review).select_related(
        "assessment", "actor", "approved_by"))


@router.post("/reviews/{review_id}/calibration-changes", response={201: ChangeOut, 409: dict},
             summary="Change an outcome with a reason and evidence; 409 when someone changed it first")
def record_change(request: HttpRequest, review_id: int, payload: ChangeIn) -> Any:
    review = _review(request, review_id)
    assessment = get_object_or_404(review.assessments, dimension=payload.dimension)
    with domain_errors():
        change = services.record_calibration_change(
            assessment, actor=_viewer(request), to_outcome=payload.to_outcome, reason=payload.reason,
            seen_version=payload.seen_version, citations=payload.citations)
    return Status(201, change)


@router.get("/reviews/{review_id}/memo", response=MemoOut)
def memo(request: HttpRequest, review_id: int) -> Any:
    review = _review(request, review_id, outcome=True)
    found = getattr(review, "memo", None)
    if found is None:
        raise HttpError(404, "No decision memo yet.")
    return {"review_id": review.pk, "accountable": found.accountable.name, "generated_at": found.generated_at,
            "sections": services.memo_sections_for(review, found.sections or {}, _viewer(request))}


@router.get("/reviews/{review_id}/appeals", response=list[AppealOut])
@paginate(ListPage)
def list_appeals(request: HttpRequest, review_id: int) -> Any:
    review = _review(request, review_id, outcome=True)
    return [a for a in review.appeals.select_related("reviewer") if access.can_view_appeal(_viewer(request), a)]


@router.post("/reviews/{review_id}/appeals", response={201: AppealOut}, summary="Request a second review")
def file_appeal(request: HttpRequest, review_id: int, payload: AppealIn) -> Any:
    review = _review(request, review_id, outcome=True)
    with domain_errors():
        return Status(201, services.file_appeal(review, actor=_viewer(request), context=payload.context))


@router.post("/appeals/{appeal_id}/decision", response=AppealOut, summary="The assigned reviewer decides")
def decide_appeal(request: HttpRequest, appeal_id: int, payload: DecisionIn) -> Any:
    appeal = get_object_or_404(Appeal.objects.select_related("review__person"), pk=appeal_id)
    if not access.can_view_appeal(_viewer(request), appeal):
        raise HttpError(403, services.ERR_CANNOT_SEE_APPEAL)
    with domain_errors():
        return services.decide_appeal(appeal, reviewer=_viewer(request), decision=payload.decision,
                                      reason=payload.reason, new_outcomes=payload.new_outcomes,
                                      citations=payload.citations)
