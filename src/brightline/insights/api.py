"""JSON API of the AI-signals layer under ``/api/insights/``: the same services and access rules as the pages.

Every answer about a person's signals is logged in that person's access log (``record_access``) when the
caller is someone else. Refusals say which rule applies, never whose record it is. Accepting or dismissing
needs a reason and is audited by the service, exactly as on the page.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from brightline import access
from brightline.apierrors import ErrorOut
from brightline.insights import services
from brightline.insights.models import Signal
from brightline.insights.views import DENIED_SIGNALS, DENIED_TEAM
from brightline.pagination import ListPage
from brightline.people.models import Person, Team

router = Router(tags=["insights"])

DENIED_SIGNAL = "This signal is visible only to the people who may see its subject's signals."
DENIED_REVIEW = "Only the person, their management chain (or, for team signals, the team's managers) may review it."
ERR_NO_TEAM_THEMES = "No theme summary for this team yet: it appears after the next insights run."


class ConfidenceOut(Schema):
    label: str
    items: int
    authors: int
    span_days: int
    agreement: str
    reasons: list[str]


class WindowOut(Schema):
    start: date
    end: date


class ItemRefOut(Schema):
    kind: str
    id: str


class ModelOut(Schema):
    name: str
    version: str


class SignalReviewOut(Schema):
    """Who accepted or dismissed a signal, when and why (not a performance review)."""

    by_id: int | None
    by_name: str | None
    at: datetime | None
    reason: str


class SignalOut(Schema):
    id: int
    kind: str
    kind_label: str
    person_id: int | None
    team: str | None
    statement: str
    rule: str
    cannot_infer: str
    enough_data: bool
    is_finding: bool
    confidence: ConfidenceOut
    window: WindowOut
    status: str
    citable: bool
    review: SignalReviewOut | None
    item_refs: list[ItemRefOut]
    model: ModelOut
    owner_id: int | None
    detail: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ReviewIn(Schema):
    reason: str


class TeamThemeRowOut(Schema):
    theme: str
    label: str
    comments: int
    authors: int
    concern_authors: int
    trend: str
    enough_data: bool
    members: int | None = None


class TeamThemesOut(Schema):
    team: str
    aggregates_only: bool
    withheld: bool
    min_cohort: int
    statement: str
    enough_data: bool
    confidence_label: str
    comments: int
    authors: int
    window: WindowOut | None
    themes: list[TeamThemeRowOut]


class AccuracyOut(Schema):
    dataset: str
    metric: str
    value: float | None
    n: int | None
    source: str
    built: str = Field("", description="How the set was built: where its texts come from and who labelled them.")


class TransparencyOut(Schema):
    kind: str
    title: str
    data_used: str
    time_window: str
    detects: str
    cannot_infer: str
    accuracy: list[AccuracyOut]
    accuracy_note: str
    failure_modes: list[str]
    human_review: str
    model: str
    reviews: dict[str, int]


def _viewer(request: HttpRequest) -> Person:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _public_detail(signal: Signal) -> dict[str, Any]:
    """The signal's detail without which colleague wrote a quoted sentence (the pages say "named writer" too)."""
    detail = dict(signal.detail)
    if isinstance(detail.get("quotes"), list):
        detail["quotes"] = [{k: v for k, v in quote.items() if k != "author_id"} for quote in detail["quotes"]]
    return detail


def _signal_out(signal: Signal) -> dict[str, Any]:
    reviewed = signal.status != Signal.Status.PENDING
    return {
        "id": signal.pk, "kind": signal.kind, "kind_label": signal.get_kind_display(), "person_id": signal.person_id,
        "team": signal.team.slug if signal.team_id else None, "statement": signal.statement, "rule": signal.rule,
        "cannot_infer": signal.cannot_infer, "enough_data": signal.enough_data,
        "is_finding": signal.is_finding,
        "confidence": {"label": signal.confidence_label, "items": signal.confidence_items,
                       "authors": signal.confidence_authors, "span_days": signal.confidence_span_days,
                       "agreement": signal.confidence_agreement, "reasons": list(signal.confidence_reasons)},
        "window": {"start": signal.window_start, "end": signal.window_end}, "status": signal.status,
        "citable": services.is_citable(signal),
        "review": {"by_id": signal.reviewed_by_id, "by_name": signal.reviewed_by.name if signal.reviewed_by else None,
                   "at": signal.reviewed_at, "reason": signal.review_reason} if reviewed else None,
        "item_refs": list(signal.item_refs), "model": {"name": signal.model_name, "version": signal.model_version},
        "owner_id": signal.owner_id, "detail": _public_detail(signal),
        "created_at": signal.created_at, "updated_at": signal.updated_at,
    }


def _visible_signal(viewer: Person, signal_id: int) -> Signal:
    signal = get_object_or_404(Signal.objects.select_related("person", "team", "reviewed_by"), pk=signal_id)
    if not access.can_view_signal(viewer, signal):
        raise HttpError(403, DENIED_SIGNAL)
    if signal.person is not None:
        access.open_person_record(viewer, signal.person, what="insights.signals", via="api", allowed=True)
    return signal


@router.get("/people/{person_id}/signals", response=list[SignalOut],
            summary="A person's current AI signals (the person and their management chain; reads are logged)")
@paginate(ListPage)
def person_signals(request: HttpRequest, person_id: int) -> list[dict[str, Any]]:
    viewer = _viewer(request)
    person = get_object_or_404(Person, pk=person_id)
    access.open_person_record(viewer, person, what="insights.signals", via="api", denied=DENIED_SIGNALS)
    return [_signal_out(signal) for signal in services.signals_for_person(person)
            if access.can_view_signal(viewer, signal)]


@router.get("/teams/{slug}/signals", response=list[SignalOut],
            summary="A team's current AI signals: themes, tone, trend breaks (the team's managers, people partners)")
@paginate(ListPage)
def team_signals(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    viewer = _viewer(request)
    team = get_object_or_404(Team, slug=slug)
    if not access.can_view_team_signals(viewer, team):
        raise HttpError(403, DENIED_TEAM)
    return [_signal_out(signal) for signal in services.signals_for_team(team)]


@router.get("/teams/{slug}/themes", response={200: TeamThemesOut, 404: ErrorOut},
            summary="A team's theme summary as counts; leaders outside the team's line get aggregates only")
def team_themes(request: HttpRequest, slug: str) -> Status[Any]:
    viewer = _viewer(request)
    team = get_object_or_404(Team, slug=slug)
    if not access.can_view_team_theme_aggregates(viewer, team):
        raise HttpError(403, DENIED_TEAM)
    aggregates_only = not access.can_view_team_signals(viewer, team)
    found = services.team_themes(team, aggregates_only=aggregates_only)
    if found is None:
        return Status(404, {"detail": ERR_NO_TEAM_THEMES})
    data = found.to_json()
    data["window"] = {"start": found.window[0], "end": found.window[1]} if found.window else None
    return Status(200, {**data, "aggregates_only": aggregates_only})


@router.get("/signals/{signal_id}", response=SignalOut, summary="One AI signal with its provenance")
def get_signal(request: HttpRequest, signal_id: int) -> dict[str, Any]:
    return _signal_out(_visible_signal(_viewer(request), signal_id))


def _review(request: HttpRequest, signal_id: int, payload: ReviewIn, *, accept: bool) -> Status[Any]:
    viewer = _viewer(request)
    signal = _visible_signal(viewer, signal_id)
    if not access.can_review_signal(viewer, signal):
        return Status(403, {"detail": DENIED_REVIEW})
    review = services.accept_signal if accept else services.dismiss_signal
    try:
        reviewed = review(actor=viewer, signal=signal, reason=payload.reason)
    except services.InsightsError as refused:
        return Status(400, {"detail": str(refused)})
    return Status(200, _signal_out(reviewed))


@router.post("/signals/{signal_id}/accept", response={200: SignalOut, 400: ErrorOut, 403: ErrorOut},
             summary="Accept a pending signal with a reason; only accepted signals can be cited in a review")
def accept_signal(request: HttpRequest, signal_id: int, payload: ReviewIn) -> Status[Any]:
    return _review(request, signal_id, payload, accept=True)


@router.post("/signals/{signal_id}/dismiss", response={200: SignalOut, 400: ErrorOut, 403: ErrorOut},
             summary="Dismiss a pending signal with a reason; it is kept and counted, never citable")
def dismiss_signal(request: HttpRequest, signal_id: int, payload: ReviewIn) -> Status[Any]:
    return _review(request, signal_id, payload, accept=False)


@router.get("/transparency", response=list[TransparencyOut],
            summary="For each signal type: data used, window, what it detects and cannot infer, measured accuracy")
@paginate(ListPage)
def transparency(request: HttpRequest) -> list[dict[str, Any]]:
    return [entry.to_json() for entry in services.transparency_report()]
