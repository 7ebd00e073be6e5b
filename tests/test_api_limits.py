"""Limits: metrics windows and period counts, page sizes on API lists, request and upload sizes."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from brightline.evidence.metrics import MAX_PERIODS, count_periods
from brightline.evidence.models import Deployment, EvidenceItem, Service

pytestmark = pytest.mark.django_db

DORA = "/api/evidence/services/payments-api/dora"


@pytest.fixture
def service(personas):
    service = Service.objects.create(name="payments-api", team=personas.erin.team, criticality="critical",
                                     workload_class="product")
    Deployment.objects.create(service=service, environment="production", version="v1", sha="a" * 40,
                              deployed_at=datetime(2024, 3, 5, tzinfo=UTC), source="git", external_id="p@v1")
    return service


@pytest.mark.parametrize(("query", "message"), [
    ("since=0001-01-01&until=9999-12-31&period=week", "between 1970-01-01 and 2100-01-01"),
    ("since=1900-01-01&until=2100-01-01&period=week", "between 1970-01-01 and 2100-01-01"),
    ("since=2000-01-01&until=2026-01-01&period=week", "at most 260 weeks"),
    ("since=2000-01-01&until=2026-01-01&period=month", "at most 120 months"),
    ("since=1990-01-01&until=2026-01-01&period=quarter", "at most 40 quarters"),
    ("since=2026-02-01&until=2026-01-01", "must be before until"),
    ("since=yesterday", "ISO date"),
    ("until=9999-12-31", "between 1970-01-01 and 2100-01-01"),
])
def test_an_unreasonable_metrics_window_is_a_400_with_a_reason(service, personas, client_for, query, message):
    response = client_for(personas.erin).get(f"{DORA}?{query}")
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_the_largest_allowed_windows_are_answered(service, personas, client_for):
    browser = client_for(personas.erin)
    weeks = browser.get(f"{DORA}?since=2021-01-04&until=2025-12-29&period=week")
    assert weeks.status_code == 200 and len(weeks.json()) == 260
    months = browser.get(f"{DORA}?since=2016-01-01&until=2026-01-01&period=month")
    assert months.status_code == 200 and len(months.json()) == 120
    assert browser.get(f"{DORA}?since=1970-01-01&until=2100-01-01").status_code == 200  # one figure, any span


def test_a_service_without_deployments_has_a_page_and_a_clear_api_answer(personas, client_for):
    Service.objects.create(name="new-api", team=personas.erin.team, criticality="low", workload_class="product")
    browser = client_for(personas.erin)
    page = browser.get("/evidence/services/new-api/")
    assert page.status_code == 200 and "No production deployment of new-api" in page.content.decode()
    for query in ("", "?period=month"):
        response = browser.get(f"/api/evidence/services/new-api/dora{query}")
        assert response.status_code == 400 and "No production deployment" in response.json()["detail"]


def test_periods_are_counted_as_the_calendar_periods_the_window_touches():
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    assert (count_periods(start, end, "month"), count_periods(start, end, "quarter")) == (3, 1)
    assert count_periods(start, end, "week") == 14  # 2025-12-29 … 2026-03-30
    assert set(MAX_PERIODS) == {"week", "month", "quarter"}


def test_the_dora_command_refuses_too_many_periods(service):
    with pytest.raises(CommandError, match="at most 260 weeks"):
        call_command("metrics", "dora", "--service", "payments-api", "--since", "2000-01-01", "--until",
                     "2026-01-01", "--period", "week", stdout=io.StringIO())
    with pytest.raises(CommandError, match="between 1970-01-01 and 2100-01-01"):
        call_command("metrics", "dora", "--team", "payments", "--since", "0001-01-01", stdout=io.StringIO())


def test_api_lists_are_paged_with_a_maximum_page_size(personas, client_for):
    for number in range(130):
        EvidenceItem.objects.create(kind="design_doc", title=f"Doc {number}", occurred_at=timezone.now(),
                                    person=personas.erin, source="manual", source_ref=f"d-{number}")
    browser = client_for(personas.erin)
    assert len(browser.get("/api/evidence/items").json()) == 100
    assert len(browser.get("/api/evidence/items?offset=100").json()) == 30
    assert len(browser.get("/api/evidence/items?limit=500").json()) == 130
    assert browser.get("/api/evidence/items?limit=501").status_code == 422
    assert len(browser.get("/api/teams?limit=1").json()) == 1


def test_every_api_list_takes_limit_and_offset(personas, client_for):
    schema = client_for(personas.erin).get("/api/openapi.json").json()
    lists = [(path, operation) for path, item in schema["paths"].items() for method, operation in item.items()
             if method == "get" and operation["responses"].get("200", {}).get("content", {})
             .get("application/json", {}).get("schema", {}).get("type") == "array"]
    assert len(lists) >= 15
    for path, operation in lists:
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        assert {"limit", "offset"} <= names, path


def test_a_csv_upload_over_the_limit_is_refused_with_a_message(personas, client_for, settings):
    settings.BRIGHTLINE_MAX_CSV_UPLOAD_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.csv", b"group,text\n" + b"F,the work was fine\n" * 60_000, "text/csv")
    response = client_for(personas.pia).post("/fairness/language/", {"file": big, "kind": "feedback"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "CSV uploads are limited to 1 MB" in page and "audit" not in response.context


def test_a_data_import_over_the_limit_is_refused_and_imports_nothing(personas, client_for, settings):
    from brightline.fairness.models import DemographicRecord

    settings.BRIGHTLINE_MAX_CSV_UPLOAD_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.csv", b"employee_id,attribute,value\n" + b"E-erin,age_band,30-39\n" * 60_000)
    response = client_for(personas.pia).post("/governance/data/", {"file": big, "kind": "demographics"},
                                             follow=True)
    assert "CSV uploads are limited to 1 MB" in response.content.decode()
    assert not DemographicRecord.objects.exists()


def test_a_request_over_the_size_limit_is_refused_before_it_is_read(personas, client_for, settings):
    settings.BRIGHTLINE_MAX_REQUEST_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.csv", b"x" * (2 * 1024 * 1024), "text/csv")
    response = client_for(personas.pia).post("/fairness/language/", {"file": big, "kind": "feedback"})
    assert response.status_code == 413 and "at most 1 MB" in response.content.decode()
    api = client_for(personas.erin).post("/api/feedback/requests", {"context": "x" * (2 * 1024 * 1024)},
                                         content_type="application/json")
    assert api.status_code == 413 and "at most 1 MB" in api.json()["detail"]
