"""JSON API for promotion cases, open roles and the promotion rates report. Reads of another person's
case are logged in their access log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from brightline import access
from brightline.pagination import ListPageParams
from brightline.people.models import Level, Person
from brightline.promotions import services
from brightline.promotions.models import CaseAppeal, PromotionCase

router = Router(tags=["promotions"])

ERR_FORBIDDEN = "A promotion case is visible to the person, their management chain, people partners and its panel."
ERR_NOT_FOUND = "No such {what}."


class PromotionCaseOut(Schema):
    id: int
    person_id: int
    person: str
    from_level: str
    to_level: str
    status: str
    nominated_by: str
    nominated_at: datetime
    rationale: str
    readiness: dict[str, Any]
    decision: str | None
    decision_reason: str | None
    accountable: str | None
    memo: dict[str, Any] | None


class NominationIn(Schema):
    person_id: int
    rationale: str


class CitationIn(Schema):
    dimension: str
    reference: str
    note: str = ""


class PanelIn(Schema):
    member_ids: list[int]


class PromotionPreVoteIn(Schema):
    vote: str
    note: str = ""


class PromotionPreVotesOut(Schema):
    eligible: int
    voted: int
    complete: bool
    own: str
    votes: list[dict[str, str]]


class PromotionDecisionIn(Schema):
    decision: str
    reason: str
    accountable_id: int
    citations: list[str] = []


class PromotionAppealIn(Schema):
    context: str


class PromotionAppealOut(Schema):
    id: int
    case_id: int
    status: str
    due_on: str
    reviewer_id: int | None
    decision: str
    decision_reason: str
    escalated_at: str | None = None
    escalation_due_on: str | None = None
    escalation_reviewer_id: int | None = None
    escalation_decision: str = ""
    escalation_decision_reason: str = ""


class PromotionAppealEscalationIn(Schema):
    reason: str


class PromotionAppealReviewerIn(Schema):
    reviewer_id: int


class PromotionAppealDecisionIn(Schema):
    decision: str
    reason: str


class OpenRolesIn(Schema):
    level: str
    period: str
    count: int
    note: str = ""


class OpenRolesOut(Schema):
    level: str
    period: str
    count: int
    note: str


class PromotionRatesOut(Schema):
    period: str
    min_cohort: int
    levels: list[dict[str, Any]]


def _viewer(request: HttpRequest) -> Person:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _case_out(case: PromotionCase, viewer: Person) -> dict[str, Any]:
    decided = access.can_view_promotion_decision(viewer, case) and case.is_decided
    return {"id": case.pk, "person_id": case.person_id, "person": case.person.name,
            "from_level": case.from_level.code, "to_level": case.to_level.code, "status": case.status,
            "nominated_by": case.nominated_by.name, "nominated_at": case.nominated_at, "rationale": case.rationale,
            "readiness": services.readiness(case).to_json(),
            "decision": case.decision if decided else None,
            "decision_reason": case.decision_reason if decided else None,
            "accountable": case.accountable.name if decided and case.accountable else None,
            "memo": services.memo_for(case, viewer) if decided else None}


def _case(request: HttpRequest, case_id: int) -> tuple[Person, PromotionCase]:
    viewer = _viewer(request)
    case = PromotionCase.objects.select_related("person", "from_level", "to_level", "nominated_by",
                                                "accountable").filter(pk=case_id).first()
    if case is None:
        raise HttpError(404, ERR_NOT_FOUND.format(what="promotion case"))
    access.open_person_record(viewer, case.person, what="promotions.case", via="api", denied=ERR_FORBIDDEN,
                              allowed=access.can_view_promotion_case(viewer, case))
    return viewer, case


def _refused(error: services.PromotionError) -> HttpError:
    return HttpError(400, str(error))


@router.get("/cases", response=list[PromotionCaseOut], summary="Promotion cases the caller may see")
def list_cases(request: HttpRequest, page: Query[ListPageParams]) -> Any:
    """Newest first, ``limit``/``offset`` paged like every list; only the cases on the page count as read."""
    viewer = _viewer(request)
    cases = services.cases_visible_to(viewer)[page.offset:page.offset + page.limit]
    for case in cases:  # each is visible to the caller (cases_visible_to); reads of others' cases are logged
        access.open_person_record(viewer, case.person, what="promotions.case", via="api", allowed=True)
    return [_case_out(case, viewer) for case in cases]


@router.post("/cases", response={201: PromotionCaseOut}, summary="Nominate a person (or yourself) for the next level")
def nominate(request: HttpRequest, payload: NominationIn) -> Any:
    viewer = _viewer(request)
    person = Person.objects.filter(pk=payload.person_id).first()
    if person is None:
        raise HttpError(404, ERR_NOT_FOUND.format(what="person"))
    if not access.can_nominate_for_promotion(viewer, person):
        raise HttpError(403, services.ERR_CANNOT_NOMINATE)
    try:
        case = services.nominate_for_promotion(person, actor=viewer, rationale=payload.rationale)
    except services.PromotionError as error:
        raise _refused(error) from error
    return Status(201, _case_out(case, viewer))


@router.get("/cases/{case_id}", response=PromotionCaseOut, summary="One case with its readiness evidence")
def case_detail(request: HttpRequest, case_id: int) -> Any:
    viewer, case = _case(request, case_id)
    return _case_out(case, viewer)


@router.post("/cases/{case_id}/citations", response={201: PromotionCaseOut},
             summary="Cite evidence against one expectation of the next level")
def cite(request: HttpRequest, case_id: int, payload: CitationIn) -> Any:
    viewer, case = _case(request, case_id)
    try:
        services.cite_for_promotion(case, actor=viewer, dimension=payload.dimension, reference=payload.reference,
                                    note=payload.note)
    except services.PromotionError as error:
        raise _refused(error) from error
    return Status(201, _case_out(case, viewer))


@router.post("/cases/{case_id}/panel", response=PromotionCaseOut,
             summary="Seat the panel (conflicts excluded) and send the case to it")
def seat_panel(request: HttpRequest, case_id: int, payload: PanelIn) -> Any:
    viewer, case = _case(request, case_id)
    try:
        services.seat_promotion_panel(case, actor=viewer, members=Person.objects.filter(pk__in=payload.member_ids))
    except services.PromotionError as error:
        raise _refused(error) from error
    case.refresh_from_db()
    return _case_out(case, viewer)


@router.get("/cases/{case_id}/prevotes", response=PromotionPreVotesOut,
            summary="Pre-votes: your own, and everyone's only once every panelist has voted")
def case_pre_votes(request: HttpRequest, case_id: int) -> Any:
    viewer, case = _case(request, case_id)
    if not access.can_view_promotion_decision(viewer, case):
        raise HttpError(403, ERR_FORBIDDEN)
    return services.pre_votes(case, viewer=viewer).to_json()


@router.post("/cases/{case_id}/prevotes", response=PromotionPreVotesOut, summary="Record your independent pre-vote")
def record_pre_vote(request: HttpRequest, case_id: int, payload: PromotionPreVoteIn) -> Any:
    viewer, case = _case(request, case_id)
    try:
        services.record_promotion_pre_vote(case, panelist=viewer, vote=payload.vote, note=payload.note)
    except services.PromotionError as error:
        raise _refused(error) from error
    return services.pre_votes(case, viewer=viewer).to_json()


@router.post("/cases/{case_id}/decision", response=PromotionCaseOut,
             summary="Record the decision: reasons citing the case's evidence, and who is accountable")
def decide(request: HttpRequest, case_id: int, payload: PromotionDecisionIn) -> Any:
    viewer, case = _case(request, case_id)
    accountable = Person.objects.filter(pk=payload.accountable_id).first()
    if accountable is None:
        raise HttpError(400, services.ERR_ACCOUNTABLE.format(name=case.person.name))
    try:
        case = services.decide_promotion_case(case, actor=viewer, decision=payload.decision, reason=payload.reason,
                                              accountable=accountable, citations=payload.citations)
    except services.PromotionError as error:
        raise _refused(error) from error
    return _case_out(case, viewer)


def _appeal_out(appeal: CaseAppeal) -> dict[str, Any]:
    return {"id": appeal.pk, "case_id": appeal.case_id, "status": appeal.status, "due_on": appeal.due_on.isoformat(),
            "reviewer_id": appeal.reviewer_id, "decision": appeal.decision, "decision_reason": appeal.decision_reason,
            "escalated_at": appeal.escalated_at.isoformat() if appeal.escalated_at else None,
            "escalation_due_on": appeal.escalation_due_on.isoformat() if appeal.escalation_due_on else None,
            "escalation_reviewer_id": appeal.escalation_reviewer_id,
            "escalation_decision": appeal.escalation_decision,
            "escalation_decision_reason": appeal.escalation_decision_reason}


@router.post("/cases/{case_id}/appeals", response={201: PromotionAppealOut}, summary="Appeal a decided case")
def file_appeal(request: HttpRequest, case_id: int, payload: PromotionAppealIn) -> Any:
    viewer, case = _case(request, case_id)
    try:
        appeal = services.file_promotion_appeal(case, actor=viewer, context=payload.context)
    except services.PromotionError as error:
        raise _refused(error) from error
    return Status(201, _appeal_out(appeal))


def _appeal(request: HttpRequest, appeal_id: int) -> tuple[Person, CaseAppeal]:
    appeal = CaseAppeal.objects.select_related("case__person").filter(pk=appeal_id).first()
    if appeal is None:
        raise HttpError(404, ERR_NOT_FOUND.format(what="appeal"))
    viewer, _ = _case(request, appeal.case_id)
    return viewer, appeal


@router.post("/appeals/{appeal_id}/escalation", response=PromotionAppealOut,
             summary="Take an upheld appeal one step further (once; that decision is final)")
def escalate_appeal(request: HttpRequest, appeal_id: int, payload: PromotionAppealEscalationIn) -> Any:
    viewer, appeal = _appeal(request, appeal_id)
    try:
        appeal = services.escalate_promotion_appeal(appeal, actor=viewer, reason=payload.reason)
    except services.PromotionError as error:
        raise _refused(error) from error
    return _appeal_out(appeal)


@router.post("/appeals/{appeal_id}/reviewer", response=PromotionAppealOut,
             summary="Assign the second reviewer, or after an escalation a different one (outside the chain, "
                     "off the panel)")
def assign_reviewer(request: HttpRequest, appeal_id: int, payload: PromotionAppealReviewerIn) -> Any:
    viewer, appeal = _appeal(request, appeal_id)
    reviewer = get_object_or_404(Person, pk=payload.reviewer_id)
    try:
        appeal = services.assign_promotion_appeal_reviewer(appeal, actor=viewer, reviewer=reviewer)
    except services.PromotionError as error:
        raise _refused(error) from error
    return _appeal_out(appeal)


@router.post("/appeals/{appeal_id}/decision", response=PromotionAppealOut, summary="Decide an appeal")
def decide_appeal(request: HttpRequest, appeal_id: int, payload: PromotionAppealDecisionIn) -> Any:
    viewer, appeal = _appeal(request, appeal_id)
    try:
        appeal = services.decide_promotion_appeal(appeal, reviewer=viewer, decision=payload.decision,
                                                  reason=payload.reason)
    except services.PromotionError as error:
        raise _refused(error) from error
    return _appeal_out(appeal)


@router.put("/open-roles", response=OpenRolesOut, summary="Enter the open roles at a level for a year")
def put_open_roles(request: HttpRequest, payload: OpenRolesIn) -> Any:
    viewer = _viewer(request)
    if not access.can_run_promotions(viewer):
        raise HttpError(403, services.ERR_NOT_PEOPLE_PARTNER.format(action="enter open roles"))
    level = Level.objects.filter(code=payload.level).first()
    if level is None:
        raise HttpError(400, f"{payload.level!r} is not a level")
    try:
        roles = services.set_open_roles(level, actor=viewer, period=payload.period, count=payload.count,
                                        note=payload.note)
    except services.PromotionError as error:
        raise _refused(error) from error
    return {"level": level.code, "period": roles.period, "count": roles.count, "note": roles.note}


@router.get("/rates", response=PromotionRatesOut,
            summary="Nominated, ready and promoted per level against open roles; small levels withheld")
def rates(request: HttpRequest, period: str = "") -> Any:
    if not access.can_view_promotion_report(_viewer(request)):
        raise HttpError(403, "Promotion rates are aggregates for people partners and leaders.")
    period = period or str(timezone.localdate().year)
    if not (len(period) == 4 and period.isdigit()):
        raise HttpError(400, services.ERR_PERIOD.format(period=period))
    return services.promotion_rates(period).to_json()
