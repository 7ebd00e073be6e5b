"""JSON API of the growth space under ``/api/feedback/``: the same services and access rules as the pages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from brightline import access
from brightline.apierrors import ErrorOut
from brightline.feedback import draft_review, services
from brightline.feedback.models import (
    Accomplishment,
    DraftSentenceDecision,
    FeedbackInvitation,
    FeedbackRequest,
    ImpactDraft,
)
from brightline.pagination import ListPage
from brightline.people.models import Person

router = Router(tags=["feedback"])

DENIED_GROWTH = "Growth records are visible to the person and their management chain only."


class FlagOut(Schema):
    flag_id: str
    words: list[str]
    reason: str
    suggestion: str


class AccomplishmentOut(Schema):
    id: int
    person_id: int
    period: str
    title: str
    situation: str
    action: str
    result: str
    impact: str
    impact_level: str
    teams_affected: int | None
    people_affected: int | None
    adoption: str
    measure: str
    measure_unit: str
    measure_before: Decimal | None
    measure_after: Decimal | None
    risk_not_worked_out: bool
    principles: list[str]
    evidence_ids: list[int]
    flags: list[FlagOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_principles(item: Accomplishment) -> list[str]:
        return [principle.key for principle in item.principles.all()]

    @staticmethod
    def resolve_evidence_ids(item: Accomplishment) -> list[int]:
        return sorted(item.evidence.values_list("pk", flat=True))

    @staticmethod
    def resolve_flags(item: Accomplishment) -> list[dict[str, Any]]:
        return [{"flag_id": flag.flag_id, "words": [span.text for span in flag.spans], "reason": flag.reason,
                 "suggestion": flag.suggestion} for flag in services.accomplishment_flags(item)]


class AccomplishmentIn(Schema):
    period: str
    title: str
    situation: str
    action: str
    result: str
    impact: str
    impact_level: str
    teams_affected: int | None = None
    people_affected: int | None = None
    adoption: str = ""
    measure: str = ""
    measure_unit: str = ""
    measure_before: Decimal | None = None
    measure_after: Decimal | None = None
    risk_not_worked_out: bool = False
    principle_ids: list[int] = []
    evidence_ids: list[int] = []


class ResponseOut(Schema):
    what_they_did: str
    impact: str
    one_thing_to_grow: str
    respondent: str | None = None
    relationship: str | None = None
    submitted_at: datetime | None = None


class ThemeOut(Schema):
    name: str
    responses: int


class FeedbackRequestOut(Schema):
    id: int
    subject_id: int
    requested_by_id: int | None
    context: str
    anonymous: bool
    given: bool  # written unasked by requested_by ("Give feedback"), closed when written
    created_at: datetime
    closed_at: datetime | None
    invited: int
    answered: int
    shown: int
    held_back: int
    themes: list[ThemeOut] | None
    responses: list[ResponseOut]


class RespondentIn(Schema):
    person_id: int
    relationship: str


class FeedbackRequestIn(Schema):
    subject_id: int
    respondents: list[RespondentIn]
    context: str = ""
    anonymous: bool = False


class InvitationOut(Schema):
    id: int
    request_id: int
    subject_id: int
    subject_name: str
    requested_by: str
    context: str
    anonymous: bool
    relationship: str
    status: str
    request_open: bool

    @staticmethod
    def resolve_subject_id(item: FeedbackInvitation) -> int:
        return item.request.subject_id

    @staticmethod
    def resolve_subject_name(item: FeedbackInvitation) -> str:
        return item.request.subject.name

    @staticmethod
    def resolve_requested_by(item: FeedbackInvitation) -> str:
        requester = item.request.requested_by
        return requester.name if requester is not None else ""

    @staticmethod
    def resolve_context(item: FeedbackInvitation) -> str:
        return item.request.context

    @staticmethod
    def resolve_anonymous(item: FeedbackInvitation) -> bool:
        return item.request.anonymous

    @staticmethod
    def resolve_request_open(item: FeedbackInvitation) -> bool:
        return item.request.is_open


class ResponseIn(Schema):
    what_they_did: str
    impact: str
    one_thing_to_grow: str
    send_despite_tone: bool = False


class SubmittedOut(Schema):
    request_id: int
    tone_label: str
    tone_confidence: float | None


class GivenIn(ResponseIn):
    recipient_id: int
    context: str = ""


class ToneFlagOut(Schema):
    detail: str
    tone_label: str
    tone_confidence: float
    flagged_fields: list[str]
    trigger_words: dict[str, list[str]]


def _viewable_person(viewer: Person, person_id: int, record: str) -> Person:
    subject = get_object_or_404(Person, pk=person_id)
    access.open_person_record(viewer, subject, what=record, via="api", denied=DENIED_GROWTH,
                              allowed=access.can_view_growth_page(viewer, subject))
    return subject


def _request_out(feedback_request: FeedbackRequest) -> dict[str, Any]:
    view = services.visible_feedback(feedback_request)
    return {
        "id": feedback_request.pk, "subject_id": feedback_request.subject_id,
        "requested_by_id": feedback_request.requested_by_id, "context": feedback_request.context,
        "anonymous": feedback_request.anonymous, "given": feedback_request.given,
        "created_at": feedback_request.created_at,
        "closed_at": feedback_request.closed_at, "invited": view.invited, "answered": view.total,
        "shown": len(view.responses), "held_back": view.held_back,
        "themes": [{"name": t.name, "responses": t.responses} for t in view.themes] if view.themes is not None
        else None,
        "responses": [{"what_they_did": r.what_they_did, "impact": r.impact, "one_thing_to_grow": r.one_thing_to_grow,
                       "respondent": r.respondent or None, "relationship": r.relationship or None,
                       "submitted_at": r.submitted_at} for r in view.responses],
    }


@router.get("/accomplishments", response=list[AccomplishmentOut],
            summary="A person's accomplishments (yours when person_id is omitted), with narrative flags")
@paginate(ListPage)
def list_accomplishments(request: HttpRequest, person_id: int | None = None,
                         period: str | None = None) -> list[Accomplishment]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    subject = _viewable_person(viewer, person_id or viewer.pk, "feedback.accomplishments")
    items = Accomplishment.objects.filter(person=subject).prefetch_related("principles")
    if period:
        items = items.filter(period=period)
    return list(items)


@router.get("/accomplishments/{accomplishment_id}", response=AccomplishmentOut, summary="One accomplishment")
def get_accomplishment(request: HttpRequest, accomplishment_id: int) -> Accomplishment:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    item = get_object_or_404(Accomplishment, pk=accomplishment_id)
    _viewable_person(viewer, item.person_id, "feedback.accomplishments")
    return item


@router.post("/accomplishments", response={201: AccomplishmentOut, 400: ErrorOut, 403: ErrorOut},
             summary="Add one of your own accomplishments (at most 5 per period)")
def create_accomplishment(request: HttpRequest, payload: AccomplishmentIn) -> Status[Any]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    data = payload.dict()
    data["principle_ids"] = tuple(data["principle_ids"])
    data["evidence_ids"] = tuple(data["evidence_ids"])
    try:
        item = services.create_accomplishment(actor=viewer, person=viewer, data=services.AccomplishmentInput(**data))
    except services.NotAllowed as error:
        return Status(403, {"detail": str(error)})
    except services.FeedbackError as error:
        return Status(400, {"detail": str(error)})
    return Status(201, item)


@router.get("/requests", response=list[FeedbackRequestOut],
            summary="Feedback requests about a person (you when person_id is omitted); anonymity rules applied")
@paginate(ListPage)
def list_requests(request: HttpRequest, person_id: int | None = None) -> list[dict[str, Any]]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    subject = _viewable_person(viewer, person_id or viewer.pk, "feedback.request")
    return [_request_out(item) for item in services.requests_about(subject)]


@router.get("/requests/{request_id}", response=FeedbackRequestOut, summary="One feedback request and what it shows")
def get_request(request: HttpRequest, request_id: int) -> dict[str, Any]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    feedback_request = get_object_or_404(FeedbackRequest, pk=request_id)
    _viewable_person(viewer, feedback_request.subject_id, "feedback.request")
    return _request_out(feedback_request)


@router.post("/requests", response={201: FeedbackRequestOut, 400: ErrorOut, 403: ErrorOut},
             summary="Request feedback about yourself or someone in your reporting line")
def create_request(request: HttpRequest, payload: FeedbackRequestIn) -> Status[Any]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    subject = get_object_or_404(Person, pk=payload.subject_id)
    people = {p.pk: p for p in Person.objects.filter(pk__in=[r.person_id for r in payload.respondents])}
    missing = [r.person_id for r in payload.respondents if r.person_id not in people]
    if missing:
        return Status(400, {"detail": f"unknown person id(s): {', '.join(map(str, missing))}"})
    try:
        respondents = [(people[r.person_id], r.relationship) for r in payload.respondents]
        created = services.request_feedback(actor=viewer, subject=subject, respondents=respondents,
                                            context=payload.context, anonymous=payload.anonymous)
    except services.NotAllowed as error:
        return Status(403, {"detail": str(error)})
    except services.FeedbackError as error:
        return Status(400, {"detail": str(error)})
    return Status(201, _request_out(created))


@router.get("/invitations", response=list[InvitationOut], summary="Feedback requests addressed to you")
@paginate(ListPage)
def list_invitations(request: HttpRequest) -> list[FeedbackInvitation]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    return list(services.invitations_for(viewer))


@router.post("/invitations/{invitation_id}/response",
             response={201: SubmittedOut, 400: ErrorOut, 404: ErrorOut, 409: ToneFlagOut},
             summary="Answer a request addressed to you. A tone flag answers 409; resend with send_despite_tone")
def answer_invitation(request: HttpRequest, invitation_id: int, payload: ResponseIn) -> Status[Any]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    # Someone else's invitation is "not found": its existence is not theirs to learn.
    invitation = (FeedbackInvitation.objects.filter(pk=invitation_id, respondent=viewer)
                  .select_related("request").first())
    if invitation is None:
        return Status(404, {"detail": "Not Found"})
    data = services.ResponseInput(payload.what_they_did, payload.impact, payload.one_thing_to_grow)
    try:
        response = services.submit_feedback_response(actor=viewer, invitation=invitation, data=data,
                                                      send_despite_tone=payload.send_despite_tone)
    except services.ToneFlagged as flagged:
        return Status(409, _tone_flag_out(flagged))
    except services.FeedbackError as error:
        return Status(400, {"detail": str(error)})
    return Status(201, {"request_id": response.request_id, "tone_label": response.tone_label,
                        "tone_confidence": response.tone_confidence})


@router.post("/given", response={201: SubmittedOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ToneFlagOut},
             summary="Give a colleague feedback without a request: the same prompts, tone check and readers as an "
                     "answer. A tone flag answers 409; resend with send_despite_tone")
def give_feedback(request: HttpRequest, payload: GivenIn) -> Status[Any]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    recipient = get_object_or_404(Person, pk=payload.recipient_id)
    data = services.ResponseInput(payload.what_they_did, payload.impact, payload.one_thing_to_grow)
    try:
        response = services.give_feedback(actor=viewer, recipient=recipient, data=data, context=payload.context,
                                          send_despite_tone=payload.send_despite_tone)
    except services.ToneFlagged as flagged:
        return Status(409, _tone_flag_out(flagged))
    except services.NotAllowed as error:
        return Status(403, {"detail": str(error)})
    except services.FeedbackError as error:
        return Status(400, {"detail": str(error)})
    return Status(201, {"request_id": response.request_id, "tone_label": response.tone_label,
                        "tone_confidence": response.tone_confidence})


def _tone_flag_out(flagged: services.ToneFlagged) -> dict[str, Any]:
    return {"detail": str(flagged), "tone_label": flagged.tone.label, "tone_confidence": flagged.tone.confidence,
            "flagged_fields": list(flagged.tone.flagged_fields),
            "trigger_words": {field: list(words) for field, words in flagged.tone.triggers}}





# --- impact drafts reviewed together by the person and their manager ------------------------------


class DraftDecisionOut(Schema):
    id: int
    sentence: int
    side: str
    action: str
    text_before: str
    text_after: str
    cited_ids: list[str]
    reason: str
    decided_by_id: int | None
    decided_by: str | None
    decided_at: datetime


class DraftSentenceOut(Schema):
    sentence: int
    generated_text: str
    text: str
    cited_ids: list[str]
    issues: list[str]
    status: str
    waiting_for: list[str]
    person_decision: DraftDecisionOut | None
    manager_decision: DraftDecisionOut | None


class ImpactDraftSummaryOut(Schema):
    id: int
    person_id: int
    window_start: date
    window_end: date
    generator: str
    status: str
    created_at: datetime


class ImpactDraftOut(ImpactDraftSummaryOut):
    sentences: list[DraftSentenceOut]
    agreed_text: str


class DraftDecisionIn(Schema):
    action: str = Field(description="accept, edit or reject")
    text: str = Field("", description="the new wording, for an edit; it must cite its evidence as [E:id]")
    reason: str = Field("", max_length=500)


def _decision_out(decision: Any) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {"id": decision.pk, "sentence": decision.sentence_index + 1, "side": decision.side,
            "action": decision.action, "text_before": decision.text_before, "text_after": decision.text_after,
            "cited_ids": [str(c) for c in decision.cited_ids], "reason": decision.reason,
            "decided_by_id": decision.decided_by_id,
            "decided_by": decision.decided_by.name if decision.decided_by else None,
            "decided_at": decision.decided_at}


def _draft_out(draft: ImpactDraft) -> dict[str, Any]:
    reviews = draft_review.sentence_reviews(draft)
    return {"id": draft.pk, "person_id": draft.person_id, "window_start": draft.window_start,
            "window_end": draft.window_end, "generator": draft.generator, "status": draft.status,
            "created_at": draft.created_at, "agreed_text": draft_review.agreed_text(reviews),
            "sentences": [{"sentence": r.number, "generated_text": r.generated_text, "text": r.text,
                           "cited_ids": r.cited_ids, "issues": [i["message"] for i in r.issues],
                           "status": r.status, "waiting_for": r.waiting_for,
                           "person_decision": _decision_out(r.person_decision),
                           "manager_decision": _decision_out(r.manager_decision)} for r in reviews]}


def _viewable_draft(viewer: Person, draft_id: int) -> ImpactDraft:
    draft = get_object_or_404(ImpactDraft.objects.select_related("person"), pk=draft_id)
    access.open_person_record(viewer, draft.person, what="feedback.draft", via="api", denied=DENIED_GROWTH)
    return draft


@router.get("/drafts", response=list[ImpactDraftSummaryOut],
            summary="Impact statements drafted from a person's evidence (yours when person_id is omitted)")
@paginate(ListPage)
def list_drafts(request: HttpRequest, person_id: int | None = None) -> Any:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    subject = get_object_or_404(Person, pk=person_id or viewer.pk)
    access.open_person_record(viewer, subject, what="feedback.draft", via="api", denied=DENIED_GROWTH)
    return ImpactDraft.objects.filter(person=subject).order_by("-created_at", "-id")


@router.get("/drafts/{draft_id}", response=ImpactDraftOut,
            summary="One draft, each sentence with its text now and the person's and the manager's decisions")
def get_draft(request: HttpRequest, draft_id: int) -> dict[str, Any]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    return _draft_out(_viewable_draft(viewer, draft_id))


@router.get("/drafts/{draft_id}/decisions", response=list[DraftDecisionOut],
            summary="Every decision taken on the draft's sentences, oldest first: who, when, the text before and after")
@paginate(ListPage)
def list_draft_decisions(request: HttpRequest, draft_id: int) -> list[dict[str, Any] | None]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    draft = _viewable_draft(viewer, draft_id)
    return [_decision_out(d) for d in DraftSentenceDecision.objects.filter(draft=draft)
            .select_related("decided_by").order_by("id")]


@router.post("/drafts/{draft_id}/sentences/{sentence}/decision",
             response={201: DraftDecisionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Accept, edit or reject one sentence (numbered from 1) on your side of the review")
def decide_draft_sentence(request: HttpRequest, draft_id: int, sentence: int, payload: DraftDecisionIn) -> Status[Any]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    draft = _viewable_draft(viewer, draft_id)
    try:
        decision = draft_review.decide_sentence(actor=viewer, draft=draft, index=sentence - 1,
                                                action=payload.action, text=payload.text, reason=payload.reason)
    except services.NotAllowed as error:
        return Status(403, {"detail": str(error)})
    except services.FeedbackError as error:
        return Status(400, {"detail": str(error)})
    return Status(201, _decision_out(decision))
