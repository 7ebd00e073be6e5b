"""JSON API: services and their delivery metrics, evidence items the viewer may see, and the
signed events webhook (``POST /api/evidence/events``, authenticated by HMAC, not by a session)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from brightline import access
from brightline.apierrors import ErrorOut
from brightline.evidence.metrics import MetricsError, parse_window, service_dora, service_dora_by_period
from brightline.evidence.models import EvidenceItem, Service
from brightline.evidence.webhook import receive_webhook
from brightline.pagination import ListPage
from brightline.people.models import Person

router = Router(tags=["evidence"])


class ServiceOut(Schema):
    name: str
    team: str | None
    description: str
    criticality: str
    workload_class: str
    maturity: str
    production_environments: list[str]
    release_tag_pattern: str

    @staticmethod
    def resolve_team(service: Service) -> str | None:
        return service.team.slug if service.team_id else None


class EvidenceItemOut(Schema):
    id: int
    citation: str
    kind: str
    title: str
    summary: str
    url: str
    occurred_at: datetime
    person_id: int | None
    team: str | None
    service: str
    source: str
    source_ref: str

    @staticmethod
    def resolve_team(item: EvidenceItem) -> str | None:
        return item.team.slug if item.team_id else None


@router.get("/services", response=list[ServiceOut])
@paginate(ListPage)
def list_services(request: HttpRequest) -> list[Service]:
    return list(Service.objects.select_related("team"))


@router.get("/services/{name}/dora")
def service_metrics(request: HttpRequest, name: str, since: str | None = None, until: str | None = None,
                    period: Literal["week", "month", "quarter"] | None = None) -> object:
    """The ``brightline metrics dora --json`` document for one service (a list with ``period``)."""
    service = get_object_or_404(Service.objects.select_related("team"), name=name)
    try:
        start, end = parse_window(since, until, now=timezone.now(), period=period)
        if period:
            return [metrics.to_period_json() for metrics in service_dora_by_period(service, start=start, end=end,
                                                                                   period=period)]
        return service_dora(service, start=start, end=end).to_json()
    except MetricsError as error:
        raise HttpError(400, str(error)) from None


@router.get("/items", response=list[EvidenceItemOut])
@paginate(ListPage)
def list_items(request: HttpRequest, person_id: int | None = None) -> list[EvidenceItem]:
    """Evidence items about ``person_id`` (default: yourself), if you may see that person's record."""
    viewer: Person = request.auth
    subject = viewer if person_id is None else get_object_or_404(Person, pk=person_id)
    access.open_person_record(viewer, subject, what="evidence.items", via="api",
                              denied="You can see evidence about a person only if you may see their record.")
    return EvidenceItem.objects.filter(person=subject).select_related("team")  # type: ignore[return-value]


@router.get("/items/{item_id}", response=EvidenceItemOut)
def get_item(request: HttpRequest, item_id: int) -> EvidenceItem:
    viewer: Person = request.auth
    item = get_object_or_404(EvidenceItem.objects.select_related("person", "team"), pk=item_id)
    if not access.can_view_evidence_item(viewer, item):
        raise HttpError(403, "You may not see this evidence item.")
    if item.person is not None:
        access.open_person_record(viewer, item.person, what="evidence.item", via="api", allowed=True)
    return item


class WrittenEvidenceIn(Schema):
    kind: str
    title: str
    summary: str
    occurred_on: str
    url: str = ""
    service: str = ""


@router.post("/items", response={201: EvidenceItemOut, 400: ErrorOut},
             summary="Record an incident debrief or design-review notes about your own work")
def record_written_evidence(request: HttpRequest, payload: WrittenEvidenceIn) -> Status:
    from brightline.evidence.services import EvidenceError
    from brightline.evidence.services import record_written_evidence as record

    try:
        item = record(actor=request.auth, **payload.dict())  # type: ignore[attr-defined]
    except EvidenceError as error:
        raise HttpError(400, str(error)) from None
    return Status(201, item)


@router.post("/events", auth=None, include_in_schema=True,
             response={202: dict[str, Any], 400: ErrorOut, 401: ErrorOut, 409: ErrorOut, 413: ErrorOut,
                       503: ErrorOut},
             summary="Signed delivery events; 401 for a bad signature, 409 for a replayed delivery")
def events_webhook(request: HttpRequest) -> JsonResponse:
    """Deployments, incidents, pages and tickets from CI/CD and incident tools, HMAC-signed (see docs)."""
    headers = {name: request.headers.get(name, "") for name in
               ("X-Brightline-Signature", "X-Brightline-Timestamp", "X-Brightline-Delivery")}
    outcome = receive_webhook(request.body, headers, now=timezone.now(), remote=request.META.get("REMOTE_ADDR", ""))
    return JsonResponse(outcome.body, status=outcome.status, headers=outcome.headers)
