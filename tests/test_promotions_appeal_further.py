"""A promotion appeal taken one step further (E7's escalation path): once, after an upheld appeal, to a different
reviewer outside the chain whose decision is final; in "Needs you now", on the case page, in the API, and escalated
by the daily run when it waits past its due day."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from brightline.audit.models import AuditEntry
from brightline.dashboards.inbox import inbox_for
from brightline.people.models import Person
from brightline.promotions import escalation, services
from brightline.promotions.models import CaseAppeal, CaseEscalation
from tests.test_promotions import decided

pytestmark = pytest.mark.django_db


def upheld(personas) -> CaseAppeal:
    """Erin's 'not yet' appealed and upheld by Pat."""
    case, _ = decided(personas, "not_yet")
    appeal = services.file_promotion_appeal(case, actor=personas.erin, context="My on-call work was left out.")
    services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.pat)
    return services.decide_promotion_appeal(appeal, reviewer=personas.pat, decision="upheld",
                                            reason="The on-call work was weighed; the scope is still narrow.")


def outsider(personas) -> Person:
    """Someone outside Erin's chain, off the panel, who wrote none of her feedback: may not open her case."""
    user = get_user_model().objects.create(username="quinn")
    return Person.objects.create(organisation=personas.erin.organisation, user=user, employee_id="E-quinn",
                                 name="Quinn Elsewhere", email="quinn@example.org", team=personas.oscar.team,
                                 manager=personas.oscar.manager, level=personas.erin.level)


def kinds(person, kind: str) -> list[str]:
    return [item.title for item in inbox_for(person) if item.kind == kind]


def test_an_upheld_appeal_goes_one_step_further_to_a_different_reviewer_whose_decision_is_final(personas):
    appeal = upheld(personas)
    with pytest.raises(services.PromotionError, match=services.ERR_NOT_SELF):
        services.escalate_promotion_appeal(appeal, actor=personas.mo, reason="She deserves it.")
    with pytest.raises(services.PromotionError, match=services.ERR_ESCALATION_REASON):
        services.escalate_promotion_appeal(appeal, actor=personas.erin, reason="  ")
    appeal = services.escalate_promotion_appeal(appeal, actor=personas.erin,
                                                reason="The incident reviews I led were not read.")
    assert appeal.status == CaseAppeal.Status.ESCALATED
    assert appeal.escalation_due_on == timezone.localdate() + dt.timedelta(days=services.APPEAL_DECISION_DAYS)

    # Not the first reviewer, and never the chain or the panel.
    with pytest.raises(services.PromotionError, match="reviewed this appeal already"):
        services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.pat)
    for refused in (personas.mo, personas.lee, personas.oscar):
        with pytest.raises(services.PromotionError, match="cannot review this appeal"):
            services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=refused)
    services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.pia)
    with pytest.raises(services.PromotionError, match=services.ERR_NOT_APPEAL_REVIEWER):
        services.decide_promotion_appeal(appeal, reviewer=personas.pat, decision="changed", reason="x")
    services.decide_promotion_appeal(appeal, reviewer=personas.pia, decision="changed",
                                     reason="The incident reviews show next-level scope in both quarters.")

    appeal.refresh_from_db()
    case = appeal.case
    case.refresh_from_db()
    personas.erin.refresh_from_db()
    assert (appeal.status, appeal.decision, appeal.escalation_decision) == ("closed", "upheld", "changed")
    assert case.decision == "promoted" and case.memo["appeal"]["stage"] == "escalation"
    assert personas.erin.level.code == "IC3"
    stages = [entry.data["stage"] for entry in AuditEntry.objects.filter(action="promotions.appeal.decided")
              .order_by("pk")]
    assert stages == ["second_review", "escalation"]
    assert AuditEntry.objects.get(action="promotions.appeal.escalated").actor_id == personas.erin.pk
    # Final: no further step, and no new appeal of the same decision.
    with pytest.raises(services.PromotionError, match="closed: final"):
        services.escalate_promotion_appeal(appeal, actor=personas.erin, reason="Again.")
    with pytest.raises(services.PromotionError, match="appealed already"):
        services.file_promotion_appeal(case, actor=personas.erin, context="Once more.")


def test_only_an_upheld_appeal_within_its_window_can_go_further_and_a_decided_one_is_not_appealed_again(personas):
    appeal = upheld(personas)
    with pytest.raises(services.PromotionError, match="appealed already"):
        services.file_promotion_appeal(appeal.case, actor=personas.erin, context="A fresh appeal instead.")
    late = timezone.localdate() + dt.timedelta(days=services.APPEAL_WINDOW_DAYS + 1)
    with pytest.raises(services.PromotionError, match="one step further until"):
        services.escalate_promotion_appeal(appeal, actor=personas.erin, reason="Late.", today=late)
    assert not services.can_escalate_promotion_appeal(appeal, today=late)
    assert services.can_escalate_promotion_appeal(appeal)



def test_an_appeal_that_changed_the_decision_cannot_go_further(personas):
    case, _ = decided(personas, "not_yet")
    appeal = services.file_promotion_appeal(case, actor=personas.erin, context="My on-call work was left out.")
    services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.pat)
    services.decide_promotion_appeal(appeal, reviewer=personas.pat, decision="changed", reason="It is there.")
    with pytest.raises(services.PromotionError, match="nothing left to contest"):
        services.escalate_promotion_appeal(appeal, actor=personas.erin, reason="More.")
    assert not services.can_escalate_promotion_appeal(appeal)


def test_needs_you_now_names_who_assigns_and_who_decides_each_step(personas):
    case, _ = decided(personas, "not_yet")
    appeal = services.file_promotion_appeal(case, actor=personas.erin, context="My on-call work was left out.")
    assert kinds(personas.pia, "promotion_appeal_reviewer") == ["Assign a reviewer to the promotion appeal of "
                                                                "Erin Employee"]
    services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.pat)
    assert kinds(personas.pia, "promotion_appeal_reviewer") == []
    assert kinds(personas.pat, "promotion_appeal") == ["Decide the promotion appeal of Erin Employee"]
    services.decide_promotion_appeal(appeal, reviewer=personas.pat, decision="upheld", reason="Weighed.")
    assert kinds(personas.pat, "promotion_appeal") == []
    services.escalate_promotion_appeal(appeal, actor=personas.erin, reason="Read the incident reviews.")
    assert kinds(personas.pia, "promotion_appeal_reviewer") == [
        "Assign a reviewer to the promotion appeal of Erin Employee (taken one step further)"]
    services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.pia)
    [title] = kinds(personas.pia, "promotion_appeal")
    assert "your decision is final" in title
    assert kinds(personas.erin, "promotion_appeal") == [] and kinds(personas.erin, "promotion_appeal_reviewer") == []


def test_a_step_further_past_its_due_day_is_escalated_as_its_own_stage(personas):
    import time_machine

    appeal = services.escalate_promotion_appeal(upheld(personas), actor=personas.erin, reason="Read them again.")
    late = appeal.escalation_due_on + dt.timedelta(days=1)
    with time_machine.travel(dt.datetime.combine(late, dt.time(9), tzinfo=dt.UTC), tick=False):
        [row] = escalation.escalate_overdue_cases().escalated
        assert escalation.escalate_overdue_cases().escalated == []
        assert (row.stage, row.appeal, row.escalated_to) == ("appeal_further", appeal, personas.pia)
        assert "taken one step further" in row.reason
        assert [item.kind for item in inbox_for(personas.pia) if item.kind == "promotion_escalation"] == [
            "promotion_escalation"]
        services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=personas.pia)
        services.decide_promotion_appeal(appeal, reviewer=personas.pia, decision="upheld", reason="Final.")
        assert not [item for item in inbox_for(personas.pia) if item.kind == "promotion_escalation"]
    out = io.StringIO()
    call_command("promotions", "show", str(appeal.case_id), stdout=out)
    assert f"taken one step further on {timezone.localdate().isoformat()}" in out.getvalue()
    # The first step was decided on time: no late record for it.
    assert list(CaseEscalation.objects.values_list("stage", flat=True)) == ["appeal_further"]


def test_the_case_page_and_the_api_take_an_appeal_further_and_the_new_reviewer_may_open_the_case(
        personas, client_for):
    appeal = upheld(personas)
    case_url = f"/promotions/{appeal.case_id}/"
    page = client_for(personas.erin).get(case_url).content.decode()
    assert "Take it one step further" in page and "that decision is final" in page
    assert "Take it one step further" not in client_for(personas.mo).get(case_url).content.decode()

    response = client_for(personas.erin).post(f"{case_url}escalate-appeal/", {"reason": ""})
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == CaseAppeal.Status.DECIDED  # refused: no reason, nothing saved
    client_for(personas.erin).post(f"{case_url}escalate-appeal/", {"reason": "The incident reviews."})
    appeal.refresh_from_db()
    assert appeal.status == CaseAppeal.Status.ESCALATED

    pia_page = client_for(personas.pia).get(case_url).content.decode()
    assert "Reviewer for the step further" in pia_page
    assert f'<option value="{personas.pat.pk}">' not in pia_page.split("Reviewer for the step further")[1]
    quinn = outsider(personas)
    assert client_for(quinn).get(case_url).status_code == 403
    api = client_for(personas.pia).post(f"/api/promotions/appeals/{appeal.pk}/reviewer",
                                        {"reviewer_id": quinn.pk}, content_type="application/json")
    assert api.status_code == 200 and api.json()["escalation_reviewer_id"] == quinn.pk

    body = client_for(quinn).get(case_url).content.decode()  # the new reviewer may now open the case
    assert 'name="decision" required' in body and "Decision (final)" in body
    decided_api = client_for(quinn).post(f"/api/promotions/appeals/{appeal.pk}/decision",
                                                {"decision": "upheld", "reason": "Weighed in full."},
                                                content_type="application/json")
    assert decided_api.status_code == 200
    assert (decided_api.json()["status"], decided_api.json()["escalation_decision"]) == ("closed", "upheld")
    again = client_for(personas.erin).post(f"/api/promotions/appeals/{appeal.pk}/escalation",
                                           {"reason": "Once more."}, content_type="application/json")
    assert again.status_code in (400, 409) and "final" in again.json()["detail"]


def test_a_promotion_appeal_concerns_the_person_its_reviewers_and_the_people_partners_for_right_away_emails(
        personas):
    from brightline.notifications.signals import concerned

    appeal = services.escalate_promotion_appeal(upheld(personas), actor=personas.erin, reason="Read them again.")
    quinn = outsider(personas)
    services.assign_promotion_appeal_reviewer(appeal, actor=personas.pia, reviewer=quinn)
    people = concerned({("promotion_appeal", appeal.pk)})
    assert {personas.erin.pk, personas.pat.pk, quinn.pk} <= people
    assert personas.oscar.pk not in people and personas.mo.pk not in people
