"""Promotion cases stuck past a deadline go to the next person who can move them on, who is told in
"Needs you now"; and `brightline promotions list|show|export|escalate`. The demo's promotion case is checked in
tests/test_demo_coherence.py, which loads the demo once for all its read-only checks."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from brightline.audit.models import AccessLog, AuditEntry
from brightline.dashboards.inbox import inbox_for
from brightline.promotions import escalation, services
from brightline.promotions.models import CaseEscalation, CasePanelist, PromotionCase
from tests.test_promotions import at_panel, decided

pytestmark = pytest.mark.django_db


def nominated(personas) -> PromotionCase:
    return services.nominate_for_promotion(personas.erin, actor=personas.mo, rationale="Leads the refunds redesign.")


def days_later(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def test_a_case_gathering_evidence_past_its_deadline_goes_up_the_chain_once(personas):
    case = nominated(personas)
    assert escalation.escalate_overdue_cases(today=days_later(escalation.GATHERING_DAYS)).escalated == []
    run = escalation.escalate_overdue_cases(today=days_later(escalation.GATHERING_DAYS + 1))
    [row] = run.escalated
    assert (row.case, row.stage, row.escalated_to) == (case, "gathering", personas.lee)  # Mo's manager
    assert row.due_on == timezone.localdate() + dt.timedelta(days=escalation.GATHERING_DAYS)
    entry = AuditEntry.objects.get(action="promotions.case.escalated")
    assert entry.data["escalated_to"] == personas.lee.pk and entry.data["stage"] == "gathering"
    # Within the week the escalation gives Lee, the run writes nothing more (the step further is tested below).
    assert escalation.escalate_overdue_cases(
        today=days_later(escalation.GATHERING_DAYS + escalation.FURTHER_DAYS)).escalated == []
    assert CaseEscalation.objects.count() == 1

    later = days_later(escalation.GATHERING_DAYS + 2)
    [item] = [i for i in inbox_for(personas.lee, today=later) if i.kind == "promotion_escalation"]
    assert "Erin Employee" in item.title and item.overdue and item.url == f"/promotions/{case.pk}/"
    assert not [i for i in inbox_for(personas.mo, today=later) if i.kind == "promotion_escalation"]
    services.withdraw_promotion_case(case, actor=personas.mo, reason="Not this year.")
    assert not [i for i in inbox_for(personas.lee, today=later) if i.kind == "promotion_escalation"]


def test_with_no_one_above_the_manager_the_case_goes_to_a_people_partner(personas):
    personas.mo.manager = None
    personas.mo.save()
    nominated(personas)
    [row] = escalation.escalate_overdue_cases(today=days_later(escalation.GATHERING_DAYS + 1)).escalated
    assert row.escalated_to == personas.pia


def test_a_panel_or_an_appeal_past_its_deadline_goes_to_the_people_partner(personas):
    case, _ = at_panel(personas)
    CasePanelist.objects.filter(case=case).update(added_at=timezone.now() - dt.timedelta(days=30))
    [row] = escalation.escalate_overdue_cases().escalated
    assert (row.stage, row.escalated_to) == ("panel", personas.pia)
    assert [i.kind for i in inbox_for(personas.pia) if i.kind == "promotion_escalation"] == ["promotion_escalation"]


def test_an_appeal_past_its_due_day_is_escalated(personas):
    case, _ = decided(personas)
    appeal = services.file_promotion_appeal(case, actor=personas.erin, context="The panel missed the EU work.")
    [row] = escalation.escalate_overdue_cases(
        today=appeal.due_on + dt.timedelta(days=1)).escalated
    assert (row.stage, row.appeal, row.escalated_to) == ("appeal", appeal, personas.pia)


def test_the_command_lists_shows_with_a_logged_read_exports_and_escalates(personas):
    case, items = decided(personas)
    out = io.StringIO()
    call_command("promotions", "list", stdout=out)
    assert f"{case.pk} Erin Employee: IC2 → IC3, decided: not yet" in out.getvalue()
    out = io.StringIO()
    call_command("promotions", "show", str(case.pk), "--json", stdout=out)
    shown = json.loads(out.getvalue())
    assert shown["memo"]["accountable"] == "Pia Partner" and shown["pre_votes"]["complete"] is True
    assert AccessLog.objects.filter(subject=personas.erin, record="promotions.case", via="cli").count() == 1
    out = io.StringIO()
    call_command("promotions", "export", "--year", str(timezone.localdate().year), stdout=out)
    header, row = out.getvalue().splitlines()
    assert header.startswith("case_id,employee_id,from_level,to_level")
    assert row.startswith(f"{case.pk},E-erin,IC2,IC3,") and ",not_yet," in row
    assert AuditEntry.objects.filter(action="promotions.cases.exported").exists()
    out = io.StringIO()
    call_command("promotions", "escalate", "--json", stdout=out)
    assert json.loads(out.getvalue())["escalated"] == 0
    with pytest.raises(Exception, match="no promotion case with id 999"):
        call_command("promotions", "show", "999")


def _at(day: dt.date):
    import time_machine

    return time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC), tick=False)


def test_a_case_still_stuck_after_escalation_goes_one_step_further_once_then_stops_at_a_people_partner(personas):
    case = nominated(personas)
    first = days_later(escalation.GATHERING_DAYS + 1)
    with _at(first):
        [row] = escalation.escalate_overdue_cases().escalated
    assert row.escalated_to == personas.lee
    with _at(first + dt.timedelta(days=escalation.FURTHER_DAYS)):  # Lee still has the week
        assert escalation.escalate_overdue_cases().escalated == []
    second = first + dt.timedelta(days=escalation.FURTHER_DAYS + 1)
    with _at(second):
        [row] = escalation.escalate_overdue_cases().escalated  # no one above Lee: a people partner
        assert escalation.escalate_overdue_cases().escalated == []  # once per step
    assert (row.case, row.stage, row.escalated_to) == (case, "gathering", personas.pia)
    assert "Lee Leader" in row.reason and row.due_on == first + dt.timedelta(days=escalation.FURTHER_DAYS)
    steps = AuditEntry.objects.filter(action="promotions.case.escalated").order_by("pk")
    assert [(e.data["step"], e.data["escalated_to"]) for e in steps] == [(1, personas.lee.pk), (2, personas.pia.pk)]
    [item] = [i for i in inbox_for(personas.pia, today=second) if i.kind == "promotion_escalation"]
    assert item.url == f"/promotions/{case.pk}/"
    with _at(second + dt.timedelta(days=5 * escalation.FURTHER_DAYS)):  # the top of the chain has it
        assert escalation.escalate_overdue_cases().escalated == []
    assert CaseEscalation.objects.filter(case=case).count() == 2



def test_an_appeal_decided_after_its_due_day_without_an_escalation_is_escalated_once_on_the_record(personas):
    case, _ = decided(personas)
    appeal = services.file_promotion_appeal(case, actor=personas.erin, context="The panel missed the EU work.")
    services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.pat)
    late = appeal.due_on + dt.timedelta(days=2)
    with _at(late):  # no run passed between the due day and the decision
        services.decide_promotion_appeal(appeal, reviewer=personas.pat, decision="upheld",
                                         reason="The EU work was weighed; the scope is still narrow.")
        [row] = escalation.escalate_overdue_cases().escalated
        assert escalation.escalate_overdue_cases().escalated == []
    assert (row.stage, row.appeal, row.escalated_to, row.due_on) == ("appeal", appeal, personas.pia, appeal.due_on)
    assert row.decided_on == late and row.reason_with(dt.date.isoformat).endswith(
        f"decided on {late.isoformat()} without an escalation in between; recorded so that the delay is on the "
        "case's record.")
    assert f"decided on {late:%-d %b %Y}" in row.reason_in_words and late.isoformat() not in row.reason_in_words
    entry = AuditEntry.objects.get(action="promotions.case.escalated")
    assert entry.data["appeal"] == appeal.pk and entry.data["stage"] == "appeal"
    assert not [i for i in inbox_for(personas.pia, today=late) if i.kind == "promotion_escalation"]  # decided


def test_an_appeal_decided_on_time_or_escalated_while_open_gets_no_late_record(personas):
    case, _ = decided(personas)
    appeal = services.file_promotion_appeal(case, actor=personas.erin, context="The panel missed the EU work.")
    services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.pat)
    with _at(appeal.due_on + dt.timedelta(days=1)):
        [row] = escalation.escalate_overdue_cases().escalated  # overdue while open
    with _at(appeal.due_on + dt.timedelta(days=2)):
        services.decide_promotion_appeal(appeal, reviewer=personas.pat, decision="upheld", reason="Weighed again.")
        assert escalation.escalate_overdue_cases().escalated == []
    assert CaseEscalation.objects.count() == 1 and "decided on" not in row.reason_in_words


def test_the_case_page_gives_an_escalation_s_days_in_words_for_new_rows_and_rows_stored_with_iso_days(
        personas, client_for):
    """The days of a reason are stored as data and written at display time; a row stored before that (its days
    ISO text inside the reason) reads the same way."""
    case = nominated(personas)
    overdue = days_later(escalation.GATHERING_DAYS + 1)
    [row] = escalation.escalate_overdue_cases(today=overdue).escalated
    nominated_on, due = row.since_on, row.due_on
    assert "{since}" in row.reason and nominated_on.isoformat() not in row.reason  # a placeholder, not a day
    CaseEscalation.objects.create(key="older-row", case=case, stage="panel", due_on=due, escalated_to=personas.pia,
                                  reason=f"The panel was seated on {nominated_on.isoformat()} and passed its "
                                         f"deadline on {due.isoformat()} without a decision.")
    page = client_for(personas.pia).get(f"/promotions/{case.pk}/").content.decode()
    said = (f"The case has gathered evidence since {nominated_on:%-d %b %Y} and passed its deadline on "
            f"{due:%-d %b %Y}")
    assert said in page
    assert f"The panel was seated on {nominated_on:%-d %b %Y} and passed its deadline on {due:%-d %b %Y}" in page
    assert nominated_on.isoformat() not in page and due.isoformat() not in page
    out = io.StringIO()
    call_command("promotions", "show", str(case.pk), "--json", stdout=out)
    shown = json.loads(out.getvalue())  # the CLI's JSON keeps ISO days
    assert f"since {nominated_on.isoformat()} and passed its deadline on {due.isoformat()}" in \
        shown["escalations"][0]["reason"]
