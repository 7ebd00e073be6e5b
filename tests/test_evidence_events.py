"""Deployment and incident events: files (JSON, CSV, PagerDuty, Opsgenie) and the signed webhook."""

from __future__ import annotations

import json
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from brightline.audit.models import AuditEntry
from brightline.evidence.models import (
    Deployment,
    EvidenceItem,
    Incident,
    Page,
    Remediation,
    Service,
    SupportTicket,
    UnmatchedIdentity,
    WebhookDelivery,
)
from brightline.evidence.sources.events import EventImportError, import_events, parse_event_file
from brightline.evidence.sources.events.importer import ERR_LINK, ERR_NAIVE, ERR_NOT_ALLOWED, ERR_SERVICE
from brightline.evidence.webhook import ERR_BAD_SIGNATURE, ERR_BAD_TIMESTAMP, ERR_REPLAY, sign
from brightline.policy.services import get_policy

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "events"
SECRET = "a-shared-webhook-secret"


@pytest.fixture
def payments(personas) -> Service:
    return Service.objects.create(name="payments-api", team=personas.erin.team, criticality="critical")


def run_import(path: Path) -> tuple[int, dict]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import", "events", str(path), "--json", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code)
    return code, json.loads(out.getvalue())


@pytest.mark.django_db
def test_a_csv_file_imports_deployments_incidents_pages_and_tickets(payments, personas):
    code, result = run_import(FIXTURES / "events.csv")
    assert code == 0
    assert (result["deployments"], result["incidents"], result["pages"], result["support_tickets"]) == (3, 1, 1, 1)
    incident = Incident.objects.get()
    assert incident.linked_deployment.external_id == "deploy-101" and incident.attribution == "declared"
    assert incident.opened_at.isoformat() == "2026-03-02T11:00:00+00:00"
    assert incident.handled_by == personas.erin
    rollback = Remediation.objects.get()
    assert (rollback.kind, rollback.failed_deployment.external_id) == ("rollback", "deploy-101")
    assert Page.objects.get().person == personas.erin
    assert SupportTicket.objects.get().handled_by == personas.pat
    assert EvidenceItem.objects.get(kind="incident_handled").person == personas.erin
    assert AuditEntry.objects.filter(action="evidence.events.imported").count() == 1


@pytest.mark.django_db
def test_importing_the_same_file_again_updates_instead_of_duplicating(payments):
    run_import(FIXTURES / "events.csv")
    code, result = run_import(FIXTURES / "events.csv")
    assert code == 0 and result["created"] == 0 and result["updated"] == 6
    assert Deployment.objects.count() == 3 and Incident.objects.count() == 1


@pytest.mark.django_db
def test_a_pagerduty_export_maps_onto_incidents_and_pages(payments, personas):
    code, result = run_import(FIXTURES / "pagerduty-incidents.json")
    assert code == 0 and result["source"] == "pagerduty"
    resolved = Incident.objects.get(external_id="Q2L8XNBTK1RF3A")
    assert (resolved.severity, resolved.resolved_at.isoformat()) == ("P1", "2026-03-04T23:05:00+00:00")
    assert Incident.objects.get(external_id="Q0ZB7N8M4VXPLT").resolved_at is None
    assert Page.objects.get(external_id__startswith="Q2L8").person == personas.erin
    # the contractor is not guessed: queued for a people partner
    assert UnmatchedIdentity.objects.filter(value="oncall@contractor.example").exists()


@pytest.mark.django_db
def test_an_opsgenie_export_maps_onto_incidents_and_pages(payments, personas):
    code, result = run_import(FIXTURES / "opsgenie-alerts.json")
    assert code == 0 and result["source"] == "opsgenie"
    alert = Incident.objects.get()
    assert (alert.service, alert.severity) == (payments, "P2")
    assert alert.resolved_at.isoformat() == "2026-03-08T03:40:00+00:00"
    assert Page.objects.get().person == personas.pat


@pytest.mark.django_db
def test_a_batch_with_a_bad_record_reports_each_problem_and_writes_nothing(payments):
    records = [
        {"type": "deployment", "id": "d1", "service": "payments-api", "version": "1",
         "deployed_at": "2026-03-01T10:00:00Z"},
        {"type": "deployment", "id": "d2", "service": "nope", "version": "2", "deployed_at": "2026-03-01T11:00:00Z"},
        {"type": "incident", "id": "i1", "service": "payments-api", "opened_at": "2026-03-01 12:00"},
        {"type": "incident", "id": "i2", "service": "payments-api", "opened_at": "2026-03-01T12:00:00Z",
         "linked_deployment": "d9"},
        "not an object",
    ]
    with pytest.raises(EventImportError) as error:
        import_events(records)
    assert [(problem.record, problem.reason) for problem in error.value.errors] == [
        (2, ERR_SERVICE.format(value="nope")),
        (3, ERR_NAIVE.format(field="opened_at", value="2026-03-01 12:00")),
        (4, ERR_LINK.format(value="d9")),
        (5, "a record must be an object with a 'type'"),
    ]
    assert not Deployment.objects.exists() and not Incident.objects.exists()
    assert not AuditEntry.objects.filter(action="evidence.events.imported").exists()


@pytest.mark.django_db
def test_events_of_a_source_the_policy_does_not_allow_are_refused(payments):
    policy = get_policy()
    policy.allowed_sources = [key for key in policy.allowed_sources if key != "incidents"]
    policy.save()
    source, records = parse_event_file((FIXTURES / "events.csv").read_bytes())
    with pytest.raises(EventImportError) as error:
        import_events(records, source=source)
    assert {problem.reason for problem in error.value.errors} == {
        ERR_NOT_ALLOWED.format(key="incidents", type=kind) for kind in ("incident", "page", "support_ticket")}
    assert not Deployment.objects.exists()


# --- the webhook ------------------------------------------------------------------------------
def signed_headers(body: bytes, *, delivery: str = "delivery-1", timestamp: int | None = None,
                   secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"HTTP_X_BRIGHTLINE_SIGNATURE": sign(secret, timestamp=stamp, delivery_id=delivery, body=body),
            "HTTP_X_BRIGHTLINE_TIMESTAMP": stamp, "HTTP_X_BRIGHTLINE_DELIVERY": delivery}


DEPLOY = json.dumps([{"type": "deployment", "id": "ci-991", "service": "payments-api", "sha": "a" * 40,
                      "environment": "production", "status": "success",
                      "deployed_at": "2026-03-05T09:00:00Z"}]).encode()


@pytest.fixture
def webhook_secret(monkeypatch):
    from django.core.cache import cache

    monkeypatch.setenv("BRIGHTLINE_WEBHOOK_SECRET", SECRET)
    cache.clear()  # refusals are counted per address in the cache
    yield
    cache.clear()


@pytest.mark.django_db
def test_a_signed_delivery_is_accepted_without_a_session_or_csrf_token(client, payments, webhook_secret):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/api/evidence/events", DEPLOY, content_type="application/json",
                            **signed_headers(DEPLOY))
    assert response.status_code == 202, response.content
    assert response.json()["deployments"] == 1
    assert Deployment.objects.get().external_id == "ci-991"
    assert WebhookDelivery.objects.filter(delivery_id="delivery-1").exists()


@pytest.mark.django_db
def test_a_bad_signature_is_refused_and_logged_to_the_server_log_not_the_audit_trail(client, payments,
                                                                                       webhook_secret, caplog):
    entries = AuditEntry.objects.count()
    response = client.post("/api/evidence/events", DEPLOY, content_type="application/json",
                           **signed_headers(DEPLOY, secret="wrong-secret"))
    assert response.status_code == 401 and response.json()["detail"] == ERR_BAD_SIGNATURE
    assert not Deployment.objects.exists()
    assert AuditEntry.objects.count() == entries
    assert ERR_BAD_SIGNATURE in caplog.text and "delivery-1" in caplog.text


@pytest.mark.django_db
def test_unsigned_deliveries_do_not_grow_the_audit_chain_and_an_address_is_throttled(client, payments,
                                                                                    webhook_secret):
    from brightline.evidence.webhook import ERR_TOO_MANY_REFUSALS, REFUSAL_LIMIT

    entries = AuditEntry.objects.count()
    statuses = [client.post("/api/evidence/events", DEPLOY, content_type="application/json",
                            HTTP_X_BRIGHTLINE_DELIVERY=f"{number:0200d}").status_code for number in range(100)]
    assert statuses == [401] * REFUSAL_LIMIT + [429] * (100 - REFUSAL_LIMIT)
    assert AuditEntry.objects.count() == entries
    throttled = client.post("/api/evidence/events", DEPLOY, content_type="application/json", **signed_headers(DEPLOY))
    assert throttled.status_code == 429 and throttled.json()["detail"] == ERR_TOO_MANY_REFUSALS
    assert throttled.headers["Retry-After"] == "60"
    # Another address is not affected.
    other = client.post("/api/evidence/events", DEPLOY, content_type="application/json", REMOTE_ADDR="10.0.0.7",
                        **signed_headers(DEPLOY))
    assert other.status_code == 202


@pytest.mark.django_db
def test_a_changed_body_breaks_the_signature(client, payments, webhook_secret):
    headers = signed_headers(DEPLOY)
    tampered = DEPLOY.replace(b"success", b"failure")
    response = client.post("/api/evidence/events", tampered, content_type="application/json", **headers)
    assert response.status_code == 401


@pytest.mark.django_db
def test_an_old_timestamp_is_refused(client, payments, webhook_secret):
    response = client.post("/api/evidence/events", DEPLOY, content_type="application/json",
                           **signed_headers(DEPLOY, timestamp=int(time.time()) - 301))
    assert response.status_code == 401 and response.json()["detail"] == ERR_BAD_TIMESTAMP


@pytest.mark.django_db
def test_a_replayed_delivery_is_refused(client, payments, webhook_secret):
    headers = signed_headers(DEPLOY)
    assert client.post("/api/evidence/events", DEPLOY, content_type="application/json", **headers).status_code == 202
    again = client.post("/api/evidence/events", DEPLOY, content_type="application/json", **headers)
    assert again.status_code == 409 and again.json()["detail"] == ERR_REPLAY
    assert Deployment.objects.count() == 1


@pytest.mark.django_db
def test_a_malformed_delivery_gets_per_record_errors_and_can_be_resent(client, payments, webhook_secret):
    body = json.dumps([{"type": "deployment", "id": "x", "service": "payments-api"}]).encode()
    response = client.post("/api/evidence/events", body, content_type="application/json", **signed_headers(body))
    assert response.status_code == 400
    assert response.json()["errors"][0]["record"] == 1
    assert not WebhookDelivery.objects.exists()  # nothing applied, so the id is not burnt


@pytest.mark.django_db
def test_without_a_configured_secret_the_webhook_is_unavailable(client, payments, monkeypatch):
    monkeypatch.delenv("BRIGHTLINE_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("BRIGHTLINE_WEBHOOK_SECRET_FILE", raising=False)
    response = client.post("/api/evidence/events", DEPLOY, content_type="application/json", **signed_headers(DEPLOY))
    assert response.status_code == 503
