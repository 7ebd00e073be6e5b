"""Validate and apply deployment, incident, page and support-ticket events.

All records of one batch (a file, a webhook delivery) are checked first; if any is malformed
or refused, nothing is written and every problem is reported with its record number. A valid
batch is applied in one transaction, so no event is ever half-applied. Records are upserted
by ``(source, id)``, so sending the same events again (an incident now resolved) updates them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import Any, Final

from django.db import transaction

from brightline.audit.services import log_action
from brightline.core.csvsafe import CsvCellError, read_records
from brightline.csvio import ERR_NOT_UTF8, CsvSource, NotUtf8Error, bulk_upsert, text_lines
from brightline.evidence.identities import IdentityResolver
from brightline.evidence.models import (
    Deployment,
    EvidenceItem,
    Incident,
    Page,
    Remediation,
    Service,
    SupportTicket,
)
from brightline.evidence.sources.events.mappers import detect_and_map
from brightline.people.models import Person
from brightline.policy.services import is_source_allowed

TYPES: Final = {"deployment": "deployments", "incident": "incidents", "page": "incidents",
                "support_ticket": "incidents"}
TYPE_ALIASES: Final = {"ticket": "support_ticket", "deploy": "deployment", "release": "deployment"}
STATUS_ALIASES: Final = {"success": "success", "succeeded": "success", "successful": "success", "ok": "success",
                         "failure": "failure", "failed": "failure", "error": "failure",
                         "in_progress": "in_progress", "running": "in_progress", "pending": "in_progress",
                         "cancelled": "cancelled", "canceled": "cancelled"}
KINDS: Final = {"deployment", "rollback", "hotfix"}

ERR_NOT_OBJECT: Final = "a record must be an object with a 'type'"
ERR_TYPE: Final = "unknown type {value!r}; expected deployment, incident, page or support_ticket"
ERR_REQUIRED: Final = "{field} is required"
ERR_TIME: Final = "{field} must be an ISO 8601 time with a UTC offset (e.g. 2026-03-01T14:05:00Z), not {value!r}"
ERR_NAIVE: Final = "{field} has no time zone: {value!r}; add Z or an offset such as +01:00"
ERR_SERVICE: Final = "unknown service {value!r}; add it to the service catalogue first"
ERR_STATUS: Final = "status {value!r} is not one of success, failure, in_progress, cancelled"
ERR_KIND: Final = "kind {value!r} is not one of deployment, rollback, hotfix"
ERR_ORDER: Final = "{later} ({later_value}) is before {earlier} ({earlier_value})"
ERR_NOT_ALLOWED: Final = "the policy does not allow ingesting {key!r} data; this {type} was refused"
ERR_LINK: Final = "linked deployment {value!r} is not known (send the deployment first, or in the same batch)"
ERR_DUPLICATE: Final = "id {value!r} appears twice in this batch"
ERR_FORMAT: Final = "the file is neither JSON nor CSV with a header row: {error}"


@dataclass(frozen=True)
class EventError:
    record: int
    """1-based record number (for CSV, the data row number; the header is row 0)."""
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"record": self.record, "reason": self.reason}


class EventImportError(ValueError):
    def __init__(self, errors: list[EventError]):
        super().__init__(f"{len(errors)} event(s) refused; nothing was written")
        self.errors = errors


@dataclass
class EventImportResult:
    source: str
    deployments: int = 0
    incidents: int = 0
    pages: int = 0
    support_tickets: int = 0
    remediations: int = 0
    created: int = 0
    updated: int = 0
    services: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "deployments": self.deployments, "incidents": self.incidents,
                "pages": self.pages, "support_tickets": self.support_tickets, "remediations": self.remediations,
                "created": self.created, "updated": self.updated, "services": sorted(self.services)}


def parse_event_file(raw: CsvSource) -> tuple[str, list[Any]]:
    """``(source, records)`` from a JSON document (generic, PagerDuty or Opsgenie) or a CSV file.

    ``raw`` is the file's bytes or a binary handle; a CSV is read record by record (a JSON document is
    one value and is read whole)."""
    lines = text_lines(raw)
    leading: list[str] = []
    try:
        for text in lines:
            leading.append(text)
            if text.strip():
                break
        if "".join(leading).lstrip()[:1] in {"[", "{"}:
            try:
                return detect_and_map(json.loads("".join(chain(leading, lines))))
            except (json.JSONDecodeError, ValueError) as error:
                raise EventImportError([EventError(0, ERR_FORMAT.format(error=error))]) from None
        records = (fields for _line, fields in read_records(chain(leading, lines)) if fields)
        header = next(records, [])
        if "type" not in header:
            raise EventImportError([EventError(0, ERR_FORMAT.format(error="no 'type' column"))])
        # As csv.DictReader reads them: a missing trailing value is None, surplus values are dropped.
        rows = [{key: (values[index] if index < len(values) and values[index] != "" else None)
                 for index, key in enumerate(header) if key} for values in records]
    except CsvCellError as error:
        raise EventImportError([EventError(0, ERR_FORMAT.format(error=error))]) from None
    except NotUtf8Error as error:
        raise EventImportError([EventError(0, ERR_NOT_UTF8.format(offset=error.offset))]) from None
    if not rows:
        raise EventImportError([EventError(0, ERR_FORMAT.format(error="no 'type' column"))])
    return "events", rows


def _time(record: dict[str, Any], name: str, errors: list[str], *, required: bool) -> datetime | None:
    value = record.get(name)
    if value is None or value == "":
        if required:
            errors.append(ERR_REQUIRED.format(field=name))
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        errors.append(ERR_TIME.format(field=name, value=value))
        return None
    if moment.tzinfo is None:
        errors.append(ERR_NAIVE.format(field=name, value=value))
        return None
    return moment


def _text(record: dict[str, Any], name: str, limit: int = 300) -> str:
    value = record.get(name)
    return "" if value is None else str(value).strip()[:limit]


@dataclass
class _Checked:
    number: int
    type: str
    record: dict[str, Any]
    service: Service
    times: dict[str, datetime | None]


def _check(number: int, raw: Any, services: dict[str, Service], allowed: dict[str, bool], seen: set[tuple[str, str]],
           deployment_ids: set[str], source: str) -> tuple[_Checked | None, list[str]]:
    errors: list[str] = []
    if not isinstance(raw, dict) or raw.get("_invalid"):
        return None, [ERR_NOT_OBJECT]
    kind = TYPE_ALIASES.get(str(raw.get("type", "")).strip().lower(), str(raw.get("type", "")).strip().lower())
    if kind not in TYPES:
        return None, [ERR_TYPE.format(value=raw.get("type"))]
    if not allowed[TYPES[kind]]:
        return None, [ERR_NOT_ALLOWED.format(key=TYPES[kind], type=kind)]
    external_id = _text(raw, "id")
    if not external_id:
        errors.append(ERR_REQUIRED.format(field="id"))
    elif (kind, external_id) in seen:
        errors.append(ERR_DUPLICATE.format(value=external_id))
    seen.add((kind, external_id))
    service = services.get(_text(raw, "service"))
    if service is None:
        errors.append(ERR_SERVICE.format(value=raw.get("service")) if raw.get("service")
                      else ERR_REQUIRED.format(field="service"))
    times: dict[str, datetime | None] = {}
    if kind == "deployment":
        times["deployed_at"] = _time(raw, "deployed_at" if raw.get("deployed_at") else "time", errors, required=True)
        status = STATUS_ALIASES.get(_text(raw, "status").lower() or "success")
        if status is None:
            errors.append(ERR_STATUS.format(value=raw.get("status")))
        deploy_kind = _text(raw, "kind").lower() or "deployment"
        if deploy_kind not in KINDS:
            errors.append(ERR_KIND.format(value=raw.get("kind")))
        if not _text(raw, "version") and not _text(raw, "sha"):
            errors.append(ERR_REQUIRED.format(field="version or sha"))
        raw = {**raw, "status": status, "kind": deploy_kind}
        deployment_ids.add(external_id)
    elif kind == "incident":
        times["opened_at"] = _time(raw, "opened_at", errors, required=True)
        times["resolved_at"] = _time(raw, "resolved_at", errors, required=False)
        link = _text(raw, "linked_deployment")
        if link and link not in deployment_ids:  # the batch's deployments and the stored ones it links to
            errors.append(ERR_LINK.format(value=link))
    elif kind == "page":
        times["paged_at"] = _time(raw, "paged_at" if raw.get("paged_at") else "time", errors, required=True)
        times["acknowledged_at"] = _time(raw, "acknowledged_at", errors, required=False)
        times["resolved_at"] = _time(raw, "resolved_at", errors, required=False)
    else:
        times["opened_at"] = _time(raw, "opened_at", errors, required=True)
        times["resolved_at"] = _time(raw, "resolved_at", errors, required=False)
    opened = times.get("opened_at") or times.get("paged_at")
    resolved = times.get("resolved_at")
    if opened and resolved and resolved < opened:
        errors.append(ERR_ORDER.format(later="resolved_at", later_value=raw.get("resolved_at"),
                                       earlier="opened_at", earlier_value=raw.get("opened_at") or raw.get("paged_at")))
    if errors or service is None:
        return None, errors
    return _Checked(number=number, type=kind, record=raw, service=service, times=times), []


def _deployments_by_external_id(external_ids: set[str], source: str) -> dict[str, int]:
    """Deployment ids by external id: this source's deployment, else the first stored from any source."""
    own: dict[str, int] = {}
    first: dict[str, int] = {}
    wanted = sorted(external_ids)
    for start in range(0, len(wanted), 500):
        for external_id, deployment_source, pk in Deployment.objects.filter(
                external_id__in=wanted[start:start + 500]).order_by("id").values_list("external_id", "source", "pk"):
            first.setdefault(external_id, pk)
            if deployment_source == source:
                own.setdefault(external_id, pk)
    return {**first, **own}


def import_events(records: Iterable[Any], *, source: str = "events", actor: Person | None = None,
                  actor_label: str | None = None, dry_run: bool = False) -> EventImportResult:
    """Check every record, then apply all of them in one transaction (or none: :class:`EventImportError`)."""
    records = list(records)
    services = {service.name: service for service in Service.objects.select_related("team")}
    allowed = {key: is_source_allowed(key) for key in set(TYPES.values())}  # read once, not once per record
    seen: set[tuple[str, str]] = set()
    links = sorted({_text(record, "linked_deployment") for record in records if isinstance(record, dict)} - {""})
    deployment_ids = {external_id for start in range(0, len(links), 500) for external_id in
                      Deployment.objects.filter(external_id__in=links[start:start + 500])
                      .values_list("external_id", flat=True)}
    checked: list[_Checked] = []
    errors: list[EventError] = []
    # Deployments first, so incidents in the same batch may link to them.
    order = sorted(enumerate(records, start=1),
                   key=lambda pair: 0 if isinstance(pair[1], dict) and
                   TYPE_ALIASES.get(str(pair[1].get("type")), pair[1].get("type")) == "deployment" else 1)
    for number, raw in order:
        result, problems = _check(number, raw, services, allowed, seen, deployment_ids, source)
        errors.extend(EventError(number, problem) for problem in problems)
        if result is not None:
            checked.append(result)
    if errors:
        raise EventImportError(sorted(errors, key=lambda error: error.record))
    result = EventImportResult(source=source)
    if dry_run:
        for item in checked:
            setattr(result, _counter(item.type), getattr(result, _counter(item.type)) + 1)
        return result
    resolver = IdentityResolver(source=source)
    with transaction.atomic():
        _apply_all(checked, source, resolver, result)
        for item in checked:
            result.services.add(item.service.name)
            setattr(result, _counter(item.type), getattr(result, _counter(item.type)) + 1)
        resolver.queue_unmatched()
        from brightline.evidence.metrics import update_incident_attribution

        update_incident_attribution([services[name] for name in sorted(result.services)])
        log_action("evidence.events.imported", actor, None, result.to_json(), actor_label=actor_label)
    return result


def _counter(kind: str) -> str:
    return {"deployment": "deployments", "incident": "incidents", "page": "pages",
            "support_ticket": "support_tickets"}[kind]


def _person(resolver: IdentityResolver, value: str) -> int | None:
    if not value:
        return None
    return resolver.resolve_handle("email" if "@" in value else "name", value)


def _apply_all(checked: list[_Checked], source: str, resolver: IdentityResolver, result: EventImportResult) -> None:
    """Upsert every checked record by ``(source, id)`` in a few statements per type: deployments (and the
    remediations that rollbacks and hotfixes are), then incidents with the evidence of who handled them, pages
    and support tickets, so that links within the batch resolve."""
    items: dict[str, list[_Checked]] = {kind: [] for kind in ("deployment", "incident", "page", "support_ticket")}
    for item in checked:
        items[item.type].append(item)
    counts = [0, 0]

    def upsert(model: Any, rows: dict[str, dict[str, Any]], *, key_field: str = "external_id",
               count: bool = True) -> dict[str, Any]:
        found, created, _changed = bulk_upsert(model, match={"source": source}, key_field=key_field, rows=rows)
        if count:
            counts[0] += created
            counts[1] += len(rows) - created
        return found

    deployments = upsert(Deployment, {_text(item.record, "id"): {
        "service_id": item.service.pk, "environment": _text(item.record, "environment", 100) or "production",
        "version": _text(item.record, "version", 200), "sha": _text(item.record, "sha", 64),
        "status": item.record["status"], "deployed_at": item.times["deployed_at"],
        "url": _text(item.record, "url", 500)} for item in items["deployment"]})
    links = {_text(item.record, "fixes") for item in items["deployment"]} | {
        _text(item.record, "linked_deployment") for item in items["incident"]}
    linked = _deployments_by_external_id(links - {""}, source)
    remediations = [item for item in items["deployment"] if item.record["kind"] in {"rollback", "hotfix"}]
    upsert(Remediation, {_text(item.record, "id"): {
        "service_id": item.service.pk, "kind": item.record["kind"], "occurred_at": item.times["deployed_at"],
        "failed_deployment_id": linked.get(_text(item.record, "fixes")),
        "remediation_deployment_id": deployments[_text(item.record, "id")].pk} for item in remediations}, count=False)
    result.remediations += len(remediations)
    handlers = {_text(item.record, "id"): _person(resolver, _text(item.record, "handled_by"))
                for item in items["incident"]}
    incidents = upsert(Incident, {_text(item.record, "id"): {
        "service_id": item.service.pk, "title": _text(item.record, "title"),
        "severity": _text(item.record, "severity", 32), "opened_at": item.times["opened_at"],
        "resolved_at": item.times["resolved_at"],
        "linked_deployment_id": linked.get(_text(item.record, "linked_deployment")),
        "root_cause_sha": _text(item.record, "root_cause_sha", 64), "handled_by_id": handlers[_text(item.record, "id")],
        "url": _text(item.record, "url", 500)} for item in items["incident"]})
    evidence = {}
    for item in items["incident"]:
        external_id = _text(item.record, "id")
        incident = incidents[external_id]
        if handlers[external_id] is not None:
            evidence[f"incident:{external_id}"] = {
                "kind": EvidenceItem.Kind.INCIDENT_HANDLED,
                "title": f"Handled incident: {incident.title or external_id}"[:300],
                "summary": f"Severity {incident.severity or 'unknown'} on {item.service.name}.",
                "occurred_at": item.times["opened_at"], "person_id": handlers[external_id],
                "team_id": item.service.team_id, "service": item.service.name, "url": incident.url}
    upsert(EvidenceItem, evidence, key_field="source_ref", count=False)
    paged = {_text(item.record, "incident") for item in items["page"]} - {""}
    incident_ids = dict(Incident.objects.filter(source=source, external_id__in=paged).values_list("external_id", "pk"))
    upsert(Page, {_text(item.record, "id"): {
        "service_id": item.service.pk, "responder": _text(item.record, "person"),
        "person_id": _person(resolver, _text(item.record, "person")), "paged_at": item.times["paged_at"],
        "acknowledged_at": item.times["acknowledged_at"], "resolved_at": item.times["resolved_at"],
        "urgency": _text(item.record, "urgency", 32),
        "incident_id": incident_ids.get(_text(item.record, "incident"))} for item in items["page"]})
    upsert(SupportTicket, {_text(item.record, "id"): {
        "service_id": item.service.pk, "title": _text(item.record, "title"),
        "priority": _text(item.record, "priority", 32), "opened_at": item.times["opened_at"],
        "resolved_at": item.times["resolved_at"], "handler": _text(item.record, "handled_by"),
        "handled_by_id": _person(resolver, _text(item.record, "handled_by"))} for item in items["support_ticket"]})
    result.created += counts[0]
    result.updated += counts[1]
