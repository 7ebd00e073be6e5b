"""Retention periods are enforced (G1, A6): expired rows are deleted in one transaction, held ones are kept."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db.models.signals import pre_delete
from django.utils import timezone

from brightline.audit.models import AccessLog, AuditEntry
from brightline.audit.services import verify_chain
from brightline.evidence.models import Deployment, EvidenceItem, Service
from brightline.feedback.models import Checkpoint, FeedbackInvitation, FeedbackRequest, FeedbackResponse
from brightline.governance.models import HrisEvent, SurveyResponse
from brightline.jobs.models import JobRun
from brightline.operations import retention
from brightline.policy.inventory import DEFAULT_RETENTION_DAYS
from brightline.reviews.models import Appeal, PacketItem, Phase, Review, ReviewCycle
from brightline.support.models import SupportPlan

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
# Defaults: delivery and feedback 1095 days, surveys 730, reviews and people 2555, access log 730.
FOUR_YEARS_AGO = NOW - dt.timedelta(days=4 * 365)
EIGHT_YEARS_AGO = NOW - dt.timedelta(days=8 * 365)
RECENT = NOW - dt.timedelta(days=40)


class SurveyDeleteFailed(RuntimeError):
    pass


@dataclass
class Rows:
    old_item: EvidenceItem
    new_item: EvidenceItem
    old_deployment: Deployment
    new_deployment: Deployment
    old_checkpoint: Checkpoint
    new_checkpoint: Checkpoint
    old_request: FeedbackRequest
    old_survey: SurveyResponse
    new_survey: SurveyResponse
    old_event: HrisEvent
    new_event: HrisEvent
    old_read: AccessLog
    new_read: AccessLog
    old_cycle: ReviewCycle


def backdate(row, **fields) -> None:
    """Set ``auto_now_add`` dates, which ``create`` always overwrites with the current time."""
    type(row).objects.filter(pk=row.pk).update(**fields)


def evidence_item(person, ref: str, occurred_at: dt.datetime) -> EvidenceItem:
    return EvidenceItem.objects.create(kind=EvidenceItem.Kind.MERGED_CHANGE, title=f"change {ref}", person=person,
                                       occurred_at=occurred_at, source="manual", source_ref=ref)


def checkpoint(person, held_on: dt.date) -> Checkpoint:
    return Checkpoint.objects.create(person=person, manager=person.manager, author=person.manager,
                                     cadence=Checkpoint.Cadence.QUARTERLY, label=str(held_on), held_on=held_on,
                                     wins="shipped the ledger")


def closed_cycle(personas, closed_at: dt.datetime) -> ReviewCycle:
    cycle = ReviewCycle.objects.create(name=f"closed {closed_at.year}", phase=Phase.CLOSED, closed_at=closed_at)
    Review.objects.create(cycle=cycle, person=personas.erin, manager=personas.mo)
    return cycle


@pytest.fixture
def rows(personas) -> Rows:
    erin, mo = personas.erin, personas.mo
    service = Service.objects.create(name="payments-api", team=erin.team)

    def deployment(external_id: str, deployed_at: dt.datetime) -> Deployment:
        return Deployment.objects.create(service=service, deployed_at=deployed_at, source="events",
                                         external_id=external_id)

    request = FeedbackRequest.objects.create(subject=erin, requested_by=erin, context="the ledger migration")
    invitation = FeedbackInvitation.objects.create(request=request, respondent=personas.pat, relationship="peer")
    FeedbackResponse.objects.create(request=request, invitation=invitation, relationship="peer", sequence=1,
                                    what_they_did="led it", impact="no downtime", one_thing_to_grow="delegate")
    backdate(request, created_at=FOUR_YEARS_AGO)

    def survey(day: dt.datetime) -> SurveyResponse:
        return SurveyResponse.objects.create(survey_date=day.date(), question="clear_expectations", manager=mo,
                                             answer=4)

    def hris(day: dt.datetime) -> HrisEvent:
        return HrisEvent.objects.create(employee_id="E-gone", event=HrisEvent.Kind.LEFT, date=day.date())

    def read(at: dt.datetime) -> AccessLog:
        # Created with its time rather than backdated: the access log is a hash chain and the time is hashed.
        return AccessLog.objects.create(viewer=mo, viewer_label="Mo", subject=erin, record="people.profile",
                                        via="web", at=at)

    return Rows(
        old_item=evidence_item(erin, "old", FOUR_YEARS_AGO), new_item=evidence_item(erin, "new", RECENT),
        old_deployment=deployment("d-old", FOUR_YEARS_AGO), new_deployment=deployment("d-new", RECENT),
        old_checkpoint=checkpoint(erin, FOUR_YEARS_AGO.date()), new_checkpoint=checkpoint(erin, RECENT.date()),
        old_request=request,
        old_survey=survey(NOW - dt.timedelta(days=800)), new_survey=survey(RECENT),
        old_event=hris(EIGHT_YEARS_AGO), new_event=hris(RECENT),
        old_read=read(NOW - dt.timedelta(days=800)), new_read=read(RECENT),
        old_cycle=closed_cycle(personas, EIGHT_YEARS_AGO),
    )


def exists(row) -> bool:
    return type(row).objects.filter(pk=row.pk).exists()


def by_category(result: retention.PurgeResult) -> dict[str, retention.CategoryResult]:
    return {category.category: category for category in result.categories}


def all_rows_present(rows: Rows) -> bool:
    return all(exists(row) for row in rows.__dict__.values())


def test_it_deletes_expired_rows_of_every_category_and_keeps_recent_ones(rows):
    result = by_category(retention.purge_expired_data(now=NOW))

    for old in (rows.old_item, rows.old_deployment, rows.old_checkpoint, rows.old_request, rows.old_survey,
                rows.old_event, rows.old_read, rows.old_cycle):
        assert not exists(old), old
    for new in (rows.new_item, rows.new_deployment, rows.new_checkpoint, rows.new_survey, rows.new_event,
                rows.new_read):
        assert exists(new), new
    assert (result["delivery"].found, result["delivery"].deleted, result["delivery"].held) == (2, 2, 0)
    assert (result["feedback"].found, result["feedback"].deleted) == (2, 2)
    assert result["feedback"].cascaded == {"feedback.FeedbackInvitation": 1, "feedback.FeedbackResponse": 1}
    assert not FeedbackResponse.objects.exists()
    assert (result["surveys"].deleted, result["people"].deleted, result["access_logs"].deleted) == (1, 1, 1)
    assert result["reviews"].deleted == 1 and result["reviews"].cascaded == {"reviews.Review": 1}
    assert result["surveys"].period_days == 730
    assert result["surveys"].cutoff == NOW - dt.timedelta(days=730)


def test_it_follows_the_policy_not_the_defaults(rows, personas):
    from brightline.policy.services import update_policy

    update_policy(actor=personas.pia, reason="shorter survey retention", retention_days={"surveys": 30,
                                                                                         "delivery": 3650})
    result = by_category(retention.purge_expired_data(now=NOW))

    assert not exists(rows.new_survey)  # 40 days old
    assert exists(rows.old_item) and exists(rows.old_deployment)
    assert (result["surveys"].period_days, result["surveys"].deleted) == (30, 2)
    assert (result["delivery"].period_days, result["delivery"].found) == (3650, 0)


def test_a_row_exactly_at_the_cut_off_is_kept(personas):
    on_the_day = SurveyResponse.objects.create(survey_date=(NOW - dt.timedelta(days=730)).date(),
                                               question="clear_expectations", manager=personas.mo, answer=3)
    at_the_instant = evidence_item(personas.erin, "boundary", NOW - dt.timedelta(days=1095))

    result = by_category(retention.purge_expired_data(now=NOW))

    assert exists(on_the_day) and exists(at_the_instant)
    assert result["surveys"].found == result["delivery"].found == 0


def test_a_dry_run_counts_and_deletes_nothing(rows):
    entries_before = AuditEntry.objects.count()

    result = by_category(retention.purge_expired_data(dry_run=True, now=NOW))

    assert all_rows_present(rows)
    assert (result["delivery"].found, result["delivery"].deleted) == (2, 0)
    assert (result["surveys"].found, result["surveys"].deleted) == (1, 0)
    assert AuditEntry.objects.count() == entries_before
    assert retention.last_purge() is None


def test_a_failure_mid_run_leaves_everything_in_place(rows):
    # Surveys are purged after delivery, feedback, people and reviews: those deletions must be undone too.
    def refuse(sender, **kwargs):
        raise SurveyDeleteFailed("the database refused")

    pre_delete.connect(refuse, sender=SurveyResponse)
    try:
        with pytest.raises(SurveyDeleteFailed):
            retention.purge_expired_data(now=NOW)
    finally:
        pre_delete.disconnect(refuse, sender=SurveyResponse)

    assert all_rows_present(rows)
    assert FeedbackResponse.objects.count() == 1
    assert not AuditEntry.objects.filter(action=retention.PURGE_ACTION).exists()


def test_rows_cited_by_open_processes_are_held_with_the_reason(rows, personas):
    erin, mo = personas.erin, personas.mo
    cited_in_cycle = evidence_item(erin, "in-open-cycle", FOUR_YEARS_AGO)
    cited_by_plan = evidence_item(erin, "in-plan", FOUR_YEARS_AGO)
    open_cycle = ReviewCycle.objects.create(name="2026 H2", phase=Phase.CALIBRATION)
    review = Review.objects.create(cycle=open_cycle, person=erin, manager=mo)
    PacketItem.objects.create(review=review, kind="evidence_item", object_id=str(cited_in_cycle.pk),
                              included_by=mo, via="assessment")
    SupportPlan.objects.create(person=erin, opened_by=mo, status=SupportPlan.Status.ACTIVE, diagnosis="skill",
                               diagnosis_notes="x", citations=[f"evidence_item:{cited_by_plan.pk}"],
                               support_offered="pairing", starts_on=NOW.date(), ends_on=NOW.date())
    appealed_cycle = closed_cycle(personas, EIGHT_YEARS_AGO)
    Appeal.objects.create(review=appealed_cycle.reviews.get(), context="the memo missed the migration",
                          status=Appeal.Status.ESCALATED, due_on=NOW.date())

    result = by_category(retention.purge_expired_data(now=NOW))

    assert exists(cited_in_cycle) and exists(cited_by_plan) and exists(appealed_cycle)
    assert not exists(rows.old_item) and not exists(rows.old_cycle)
    assert (result["delivery"].found, result["delivery"].held, result["delivery"].deleted) == (4, 2, 2)
    assert result["delivery"].held_reasons == {retention.HOLD_OPEN_CYCLE: 1, retention.HOLD_OPEN_PLAN: 1}
    assert (result["reviews"].found, result["reviews"].held, result["reviews"].deleted) == (2, 1, 1)
    assert result["reviews"].held_reasons == {retention.HOLD_CYCLE_APPEAL: 1}


def test_a_cited_feedback_response_holds_its_request(rows, personas):
    open_cycle = ReviewCycle.objects.create(name="2026 H2", phase=Phase.MANAGER_ASSESSMENT)
    review = Review.objects.create(cycle=open_cycle, person=personas.erin, manager=personas.mo)
    response = FeedbackResponse.objects.get()
    PacketItem.objects.create(review=review, kind="feedback_response", object_id=str(response.pk),
                              included_by=personas.erin, via="self_review")

    result = by_category(retention.purge_expired_data(now=NOW))

    assert exists(rows.old_request) and exists(response)
    assert result["feedback"].held_reasons == {retention.HOLD_OPEN_CYCLE: 1}


def test_one_audit_entry_per_run_and_the_chain_still_verifies(rows, personas):
    result = retention.purge_expired_data(now=NOW)

    entry = AuditEntry.objects.get(action=retention.PURGE_ACTION)
    assert entry.data == result.to_json()
    assert {c["category"]: c["deleted"] for c in entry.data["categories"]}["delivery"] == 2
    assert verify_chain().ok
    out = io.StringIO()
    call_command("audit", "verify", "--json", stdout=out)
    assert json.loads(out.getvalue())["ok"] is True


def test_audit_entries_are_counted_and_held_never_deleted(rows):
    entries_before = AuditEntry.objects.count()
    assert entries_before > 0  # the personas fixture installs a ladder, which is audited
    ten_years_on = timezone.now() + dt.timedelta(days=3650)

    result = by_category(retention.purge_expired_data(now=ten_years_on))

    audit = result["audit"]
    assert (audit.found, audit.held, audit.deleted) == (entries_before, entries_before, 0)
    assert audit.held_reasons == {retention.HOLD_AUDIT_CHAIN: entries_before}
    assert AuditEntry.objects.count() == entries_before + 1
    assert verify_chain().ok


def run_cli(*args: str) -> str:
    out = io.StringIO()
    call_command("retention", "purge", *args, stdout=out)
    return out.getvalue()


def test_the_command_runs_the_job_and_prints_the_counts(rows, settings, time_machine):
    settings.BRIGHTLINE_JOBS = "inline"
    time_machine.move_to(NOW)
    output = run_cli()

    lines = {line.split()[0]: line.split()[1:] for line in output.splitlines()[2:2 + len(DEFAULT_RETENTION_DAYS)]}
    # days, cut-off, found, deleted, held
    assert lines["delivery"] == ["1095", "2023-11-21", "2", "2", "0"]
    assert lines["audit"][0] == "2555"
    assert not exists(rows.old_item) and exists(rows.new_item)
    run = JobRun.objects.get()
    assert (run.name, run.status) == ("policy.purge_expired_data", JobRun.Status.SUCCEEDED)
    assert AuditEntry.objects.get(action=retention.PURGE_ACTION).actor_label == "job:policy.purge_expired_data"


def test_the_command_dry_run_prints_json(rows, settings, time_machine):
    settings.BRIGHTLINE_JOBS = "inline"
    time_machine.move_to(NOW)
    payload = json.loads(run_cli("--dry-run", "--json"))

    assert payload["status"] == JobRun.Status.SUCCEEDED and payload["result"]["dry_run"] is True
    delivery = next(c for c in payload["result"]["categories"] if c["category"] == "delivery")
    assert (delivery["found"], delivery["deleted"], delivery["held"]) == (2, 0, 0)
    assert all_rows_present(rows)


def test_the_data_inventory_page_shows_the_last_purge(rows, personas, client_for):
    browser = client_for(personas.erin)
    assert "No purge has run yet" in browser.get("/data-use/").content.decode()

    retention.purge_expired_data(now=NOW)
    page = browser.get("/data-use/").content.decode()

    ran_at = AuditEntry.objects.get(action=retention.PURGE_ACTION).created_at
    assert f"The last purge ran on {ran_at.day} {ran_at:%b %Y %H:%M} UTC" in page
    cutoff = (NOW - dt.timedelta(days=730)).date().isoformat()
    assert f"<td>Survey answers</td><td>730 days</td><td>{cutoff}</td><td>1</td><td>0</td>" in page
    assert "No purge has run yet" not in page


def test_a_leaver_past_the_people_period_is_reported_and_kept(personas):
    from brightline.people.models import Person

    today = timezone.localdate()
    Person.objects.filter(pk=personas.oscar.pk).update(is_active=False, left_on=today - dt.timedelta(days=3000))
    Person.objects.filter(pk=personas.pat.pk).update(is_active=False, left_on=today - dt.timedelta(days=10))

    people = by_category(retention.purge_expired_data())["people"]

    assert people.held_reasons == {retention.HOLD_LEAVER: 1}
    assert Person.objects.filter(pk=personas.oscar.pk).exists()
