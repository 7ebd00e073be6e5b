"""Vendor export shapes mapped onto Brightline's generic event records.

* PagerDuty: the REST API v2 ``GET /incidents`` response (``{"incidents": [...]}``), as saved
  by an export. ``urgency`` becomes the severity unless a ``priority.summary`` (P1…) is set;
  the assignee of each assignment is a page to that person at the incident's creation time.
* Opsgenie: the Alert API ``GET /v2/alerts`` response (``{"data": [...]}``). ``priority`` is
  the severity; ``owner`` (an email) receives the page.

Both map the service by its name (PagerDuty ``service.summary``, Opsgenie tag ``service:NAME``
or the first ``responders`` team name), which must exist in the service catalogue.
"""

from __future__ import annotations

from typing import Any


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def from_pagerduty(document: dict[str, Any]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for incident in document.get("incidents", []):
        if not isinstance(incident, dict):
            records.append({"type": "incident", "_invalid": "not an object"})
            continue
        service = (incident.get("service") or {}).get("summary", "")
        priority = (incident.get("priority") or {}).get("summary") if incident.get("priority") else None
        resolved = incident.get("resolved_at") or (
            incident.get("last_status_change_at") if incident.get("status") == "resolved" else None)
        records.append({
            "type": "incident", "id": _text(incident.get("id")), "service": service,
            "title": _text(incident.get("title")), "severity": priority or _text(incident.get("urgency")),
            "opened_at": incident.get("created_at"), "resolved_at": resolved, "url": _text(incident.get("html_url")),
        })
        for index, assignment in enumerate(incident.get("assignments") or []):
            assignee = assignment.get("assignee") or {}
            records.append({
                "type": "page", "id": f"{incident.get('id')}-{assignee.get('id', index)}", "service": service,
                "person": _text(assignee.get("email") or assignee.get("summary")),
                "paged_at": assignment.get("at") or incident.get("created_at"),
                "incident": _text(incident.get("id")), "urgency": _text(incident.get("urgency")),
            })
    return records


def _opsgenie_service(alert: dict[str, Any]) -> str:
    for tag in alert.get("tags") or []:
        if isinstance(tag, str) and tag.startswith("service:"):
            return tag.split(":", 1)[1]
    for responder in alert.get("responders") or []:
        if responder.get("type") == "team" and responder.get("name"):
            return str(responder["name"])
    return ""


def from_opsgenie(document: dict[str, Any]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for alert in document.get("data", []):
        if not isinstance(alert, dict):
            records.append({"type": "incident", "_invalid": "not an object"})
            continue
        service = _opsgenie_service(alert)
        closed = alert.get("status") == "closed"
        records.append({
            "type": "incident", "id": _text(alert.get("id")), "service": service, "title": _text(alert.get("message")),
            "severity": _text(alert.get("priority")), "opened_at": alert.get("createdAt"),
            "resolved_at": alert.get("updatedAt") if closed else None,
        })
        if alert.get("owner"):
            records.append({
                "type": "page", "id": f"{alert.get('id')}-owner", "service": service, "person": _text(alert["owner"]),
                "paged_at": alert.get("createdAt"), "incident": _text(alert.get("id")),
                "urgency": _text(alert.get("priority")),
            })
    return records


def detect_and_map(document: Any) -> tuple[str, list[Any]]:
    """``(source, records)``: generic lists pass through; vendor shapes are mapped."""
    if isinstance(document, list):
        return "events", document
    if isinstance(document, dict):
        if isinstance(document.get("incidents"), list):
            return "pagerduty", from_pagerduty(document)
        if isinstance(document.get("data"), list) and all(
                isinstance(alert, dict) and "tinyId" in alert for alert in document["data"]):
            return "opsgenie", from_opsgenie(document)
        if isinstance(document.get("events"), list):
            return "events", document["events"]
        if "type" in document:
            return "events", [document]
    raise ValueError("unrecognised event document: expected a JSON list of events, {\"events\": [...]}, "
                     "a PagerDuty incidents export or an Opsgenie alerts export")
