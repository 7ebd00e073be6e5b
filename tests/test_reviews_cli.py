"""``brightline cycle …``: open, advance, status and the export contract (one row per person)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from brightline.audit.models import AuditEntry
from brightline.reviews import services
from brightline.reviews.cli import render_export
from brightline.reviews.models import ReviewCycle
from tests.reviews_helpers import SCHEDULE, cycle_in_calibration

SCHEDULE_ARG = ",".join(f"{phase}={day}" for phase, day in SCHEDULE.items())


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("cycle", *args, stdout=out)
    return out.getvalue()


def test_open_advance_and_status_from_the_command_line(personas):
    output = run("open", "--as", "pia@example.org", "--name", "2026 H2", "--team", "payments",
                 "--schedule", SCHEDULE_ARG)
    cycle = ReviewCycle.objects.get()
    assert output.startswith(f"Opened cycle {cycle.pk} '2026 H2' for 3 people")
    assert "evidence → self_review" in run("advance", "--as", "pia@example.org", "--cycle", str(cycle.pk))
    status = json.loads(run("status", "--cycle", str(cycle.pk), "--json"))
    assert status["phase"] == "self_review" and status["next_phase"] == "manager_assessment"
    assert status["people"] == 3


def test_the_command_line_takes_the_typed_settings_and_has_no_free_settings(personas):
    with pytest.raises(CommandError, match="unrecognized arguments"):
        run("open", "--as", "pia@example.org", "--name", "x", "--schedule", SCHEDULE_ARG,
            "--config", '{"forced_distribution": {"exceeds": 0.1}}')
    with pytest.raises(CommandError, match="a whole number from 1 to 5"):
        run("open", "--as", "pia@example.org", "--name", "x", "--schedule", SCHEDULE_ARG, "--min-evidence", "9")
    assert not ReviewCycle.objects.exists()
    run("open", "--as", "pia@example.org", "--name", "x", "--schedule", SCHEDULE_ARG, "--self-review-required",
        "--min-evidence", "2")
    cycle = ReviewCycle.objects.get()
    assert cycle.self_review_required and cycle.min_evidence_per_dimension == 2


def test_the_command_line_refuses_to_skip_a_phase(personas):
    run("open", "--as", "pia@example.org", "--name", "x", "--schedule", SCHEDULE_ARG)
    cycle = ReviewCycle.objects.get()
    with pytest.raises(CommandError, match="one phase at a time"):
        run("advance", "--as", "pia@example.org", "--cycle", str(cycle.pk), "--to", "calibration")


def test_a_non_people_partner_cannot_open_from_the_command_line(personas):
    with pytest.raises(CommandError, match="only people partners"):
        run("open", "--as", "mo@example.org", "--name", "x", "--schedule", SCHEDULE_ARG)


def test_export_has_one_row_per_person_with_the_contract_columns(personas):
    cycle = cycle_in_calibration(personas)
    rows = list(csv.DictReader(io.StringIO(run("export", "--cycle", str(cycle.pk), "--format", "csv"))))
    assert [row["employee_id"] for row in rows] == ["E-erin", "E-mo", "E-pat"]
    assert list(rows[0]) == list(services.EXPORT_COLUMNS)
    erin = rows[0]
    assert erin["team"] == "payments" and erin["level"] == "IC2" and erin["workload_class"] == "product"
    assert erin["manager_employee_id"] == "E-mo" and erin["outcome_leadership"] == "meets"
    assert erin["promotion_readiness"] == "not_yet" and erin["calibration_changed"] == "false"
    assert erin["support_plan_opened"] == "false"
    document = json.loads(render_export(cycle, "json"))
    assert document["columns"] == list(services.EXPORT_COLUMNS) and len(document["records"]) == 3
    assert document["records"][0]["calibration_changed"] is False
    assert AuditEntry.objects.filter(action="reviews.cycle.exported").exists()


def test_decision_records_take_the_same_few_queries_whatever_the_cycle_size(personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cycle = cycle_in_calibration(personas)
    with CaptureQueriesContext(connection) as queries:
        records = services.decision_records(cycle)
    assert len(records) == 3
    assert len(queries) == 2  # the reviews with their flags, then their assessments (was 2 + 3 per review)
