"""Promotion cases stuck past a deadline go to the next person who can move them on, who is told in
"Needs you now"; `brightline promotions list|show|export|escalate`; and a promotion case in the demo."""

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
    assert escalation.escalate_overdue_cases(today=days_later(escalation.GATHERING_DAYS + 9)).escalated == []
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
    assert shown["memo"]["accountable"] == "Lee Leader" and shown["pre_votes"]["complete"] is True
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


def test_the_demo_has_a_promotion_case_with_cited_evidence_and_a_panel_outside_the_chain(demo, client):
    from brightline.people.models import Person

    case = PromotionCase.objects.select_related("person", "nominated_by").get()
    assert (case.person.name, case.nominated_by.name, case.status) == ("Pat Nguyen", "Mo Haddad", "panel")
    assert case.citations.count() >= 4
    seats = list(case.panelists.select_related("person"))
    assert len(seats) >= services.MIN_PANEL_SIZE and all(seat.conflict == "" for seat in seats)
    chain = {case.person.manager_id, case.person.manager.manager_id}
    assert not chain & {seat.person_id for seat in seats}
    pat = Person.objects.get(name="Pat Nguyen")
    client.force_login(pat.user)
    assert client.get(f"/promotions/{case.pk}/").status_code == 200
    client.force_login(Person.objects.get(name="Erin Okafor").user)
    assert client.get(f"/promotions/{case.pk}/").status_code == 403
