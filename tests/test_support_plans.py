"""Support plans (F1–F3, C10): diagnosis first, human evidence and a second approver, dignity in wording."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from brightline.audit.models import AccessLog, AuditEntry
from brightline.support import services
from brightline.support.models import SupportPlan
from brightline.support.services import GoalDraft, PlanDraft, SupportPlanError
from tests.reviews_helpers import make_evidence

START = dt.date(2026, 11, 2)


def draft(person, *, evidence=2, **overrides):
    items = make_evidence(person, evidence)
    options = {
        "diagnosis": "skill", "starts_on": START, "ends_on": START + dt.timedelta(days=70),
        "diagnosis_notes": "Two design reviews missed the failure modes of the payout queue.",
        "support_offered": "Fortnightly pairing with a senior engineer on design reviews; two training days.",
        "goals": (GoalDraft("Write design docs that cover failure modes.",
                            "The next two design docs list failure modes and rollbacks.",
                            "A reviewer no longer needs to ask about rollback in the review."),),
        "citations": tuple(item.citation.replace("[E:", "evidence_item:").rstrip("]") for item in items),
    }
    options.update(overrides)
    return PlanDraft(**options)


def proposal(items, **overrides):
    """The plan form as a manager fills it in, citing ``items``."""
    return {"diagnosis": "temporary_overload", "diagnosis_notes": "On call for six of eight weeks.",
            "support_offered": "Take Erin off the rota for a month.", "goal": "Recover focus time.",
            "success_criteria": "No more than one on-call week per month.",
            "acceptable_improvement": "Two uninterrupted focus days a week.", "cadence": "weekly",
            "starts_on": "2026-11-02", "ends_on": "2027-01-04", "evidence": [str(i.pk) for i in items], **overrides}


def active_plan(personas, **overrides):
    plan = services.open_support_plan(personas.erin, actor=personas.mo, draft=draft(personas.erin, **overrides))
    return services.approve_support_plan(plan, approver=personas.pia, reason="Read both items and the goals.")


def test_a_manager_proposes_and_a_second_person_approves(personas):
    plan = services.open_support_plan(personas.erin, actor=personas.mo, draft=draft(personas.erin))
    assert plan.status == SupportPlan.Status.PROPOSED and plan.goals.count() == 1
    with pytest.raises(SupportPlanError, match="Mo Manager cannot approve"):
        services.approve_support_plan(plan, approver=personas.mo, reason="Me again.")
    with pytest.raises(SupportPlanError, match="Pat Peer cannot approve"):
        services.approve_support_plan(plan, approver=personas.pat, reason="Peer.")
    services.approve_support_plan(plan, approver=personas.lee, reason="Goals are specific and fair.")
    assert plan.status == SupportPlan.Status.ACTIVE
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="support.")] == [
        "support.plan.opened", "support.plan.approved"]


def test_a_plan_on_one_evidence_item_is_refused(personas):
    with pytest.raises(SupportPlanError, match="at least 2 cited evidence items that are not AI signals; 1 cited"):
        services.open_support_plan(personas.erin, actor=personas.mo, draft=draft(personas.erin, evidence=1))


def test_ai_signals_do_not_count_as_the_evidence_for_a_plan(personas):
    base = draft(personas.erin, evidence=1)
    with pytest.raises(SupportPlanError):
        services.open_support_plan(personas.erin, actor=personas.mo,
                                   draft=PlanDraft(**{**base.__dict__, "citations": (*base.citations, "signal:1")}))
    assert not SupportPlan.objects.exists()


def test_personality_language_is_refused(personas):
    with pytest.raises(SupportPlanError, match="describes the person rather than the work"):
        services.open_support_plan(personas.erin, actor=personas.mo, draft=draft(
            personas.erin, diagnosis_notes="She is lazy and has a bad attitude."))


def test_a_plan_shorter_than_six_weeks_is_refused(personas):
    with pytest.raises(SupportPlanError, match="a realistic timeline runs at least 42 days; this one runs 14"):
        services.open_support_plan(personas.erin, actor=personas.mo,
                                   draft=draft(personas.erin, ends_on=START + dt.timedelta(days=14)))


@pytest.mark.parametrize("persona", ["erin", "pat", "oscar"])
def test_only_the_chain_or_people_partners_open_plans(personas, persona):
    with pytest.raises(SupportPlanError, match="only the person's management chain or a people partner"):
        services.open_support_plan(personas.erin, actor=getattr(personas, persona), draft=draft(personas.erin))


def test_check_ins_and_the_employee_comments(personas):
    plan = active_plan(personas)
    services.record_check_in(plan, actor=personas.mo, held_on=START + dt.timedelta(days=14),
                             progress="some_progress", notes="The queue design doc now lists rollbacks [E:1].")
    services.comment_on_plan(plan, actor=personas.erin, body="I would like the pairing on Tuesdays.")
    with pytest.raises(SupportPlanError, match=services.ERR_CANNOT_MANAGE):
        services.record_check_in(plan, actor=personas.erin, held_on=START, progress="on_track", notes="x")
    with pytest.raises(SupportPlanError, match=services.ERR_CANNOT_SEE):
        services.comment_on_plan(plan, actor=personas.pat, body="x")
    assert plan.check_ins.count() == 1 and plan.comments.get().author == personas.erin
    next_week = timezone.localdate() + dt.timedelta(days=7)
    with pytest.raises(SupportPlanError, match="a check-in is recorded once it has been held"):
        services.record_check_in(plan, actor=personas.mo, held_on=next_week, progress="on_track", notes="Planned.")
    assert plan.check_ins.count() == 1


def test_role_mismatch_cannot_end_before_redeployment_is_offered(personas):
    plan = active_plan(personas, diagnosis="role_mismatch")
    with pytest.raises(SupportPlanError, match="offer a redeployment"):
        services.record_plan_outcome(plan, actor=personas.mo, outcome="ended", reason="No fit found.")
    services.offer_redeployment(plan, actor=personas.mo, offer="A platform role on the developer-experience team.")
    services.record_plan_outcome(plan, actor=personas.mo, outcome="ended", reason="Declined the offered role.")
    assert plan.status == SupportPlan.Status.CLOSED and plan.outcome == "ended"
    assert AuditEntry.objects.filter(action="support.plan.redeployment_offered").exists()


def test_a_closed_plan_takes_comments_only_from_the_employee(personas):
    plan = active_plan(personas)
    services.record_plan_outcome(plan, actor=personas.mo, outcome="succeeded", reason="All goals met.")
    for other in (personas.mo, personas.pia):
        with pytest.raises(SupportPlanError, match=services.ERR_CLOSED_COMMENT):
            services.comment_on_plan(plan, actor=other, body="One more note.")
    services.comment_on_plan(plan, actor=personas.erin, body="Thank you for the pairing.")
    assert list(plan.comments.values_list("author", flat=True)) == [personas.erin.pk]


def test_extension_moves_the_end_date_and_keeps_the_plan_active(personas):
    plan = active_plan(personas)
    new_end = plan.ends_on + dt.timedelta(days=28)
    services.record_plan_outcome(plan, actor=personas.mo, outcome="extended", reason="Good progress; more time.",
                                 new_end=new_end)
    assert plan.status == SupportPlan.Status.ACTIVE and plan.ends_on == new_end and plan.extensions == 1
    services.record_plan_outcome(plan, actor=personas.mo, outcome="succeeded", reason="Both goals met.")
    assert plan.outcome == "succeeded"


@pytest.mark.parametrize("persona,status", [("erin", 200), ("mo", 200), ("lee", 200), ("pia", 200),
                                            ("pat", 403), ("oscar", 403)])
def test_who_sees_a_plan(personas, client_for, persona, status):
    plan = active_plan(personas)
    assert client_for(getattr(personas, persona)).get(f"/support/{plan.pk}/").status_code == status
    assert client_for(getattr(personas, persona)).get(f"/api/support/plans/{plan.pk}").status_code == status


def test_the_employee_comments_through_the_api_and_reads_by_others_are_logged(personas, client_for):
    plan = active_plan(personas)
    response = client_for(personas.erin).post(f"/api/support/plans/{plan.pk}/comments",
                                              data=json.dumps({"body": "Thanks for the pairing."}),
                                              content_type="application/json")
    assert response.status_code == 201
    client_for(personas.pia).get(f"/support/{plan.pk}/")
    assert AccessLog.objects.filter(viewer=personas.pia, subject=personas.erin, record="support.plan").exists()


def test_a_manager_proposes_a_plan_in_the_browser(personas, client_for):
    items = make_evidence(personas.erin, 2)
    form = proposal(items)
    response = client_for(personas.mo).post(f"/support/new/{personas.erin.pk}/", form)
    plan = SupportPlan.objects.get()
    assert response.status_code == 302 and plan.diagnosis == "temporary_overload"
    assert client_for(personas.pat).get(f"/support/new/{personas.erin.pk}/").status_code == 403


def test_the_plan_form_offers_the_shortest_fair_timeline_and_keeps_what_was_typed_on_an_error(personas, client_for):
    items = make_evidence(personas.erin, 2)
    mo = client_for(personas.mo)
    page = mo.get(f"/support/new/{personas.erin.pk}/").content.decode()
    today = dt.date.today()
    ends = today + dt.timedelta(days=services.MIN_PLAN_DAYS)
    assert f'name="starts_on" value="{today.isoformat()}"' in page
    assert f'name="ends_on" value="{ends.isoformat()}"' in page
    form = {"diagnosis": "temporary_overload", "diagnosis_notes": "On call for six of eight weeks.",
            "support_offered": "Take Erin off the rota for a month.", "goal": "Recover focus time.",
            "success_criteria": "No more than one on-call week per month.",
            "acceptable_improvement": "Two uninterrupted focus days a week.", "cadence": "weekly",
            "starts_on": "02/11/2026", "ends_on": "2027-01-04", "evidence": [str(items[1].pk)]}
    refused = mo.post(f"/support/new/{personas.erin.pk}/", form)
    body = refused.content.decode()
    # A date the server cannot read is named, not replaced by today; nothing is saved.
    assert refused.status_code == 400 and "Starts: “02/11/2026” is not a date" in body
    assert not SupportPlan.objects.exists()
    # The manager's choices survive the error.
    assert '<option value="temporary_overload" selected>' in body and '<option value="weekly" selected>' in body
    assert f'value="{items[1].pk}" checked' in body and f'value="{items[0].pk}" checked' not in body


def test_a_check_in_with_an_unreadable_date_is_refused_by_name(personas, client_for):
    plan = active_plan(personas)
    response = client_for(personas.mo).post(f"/support/{plan.pk}/check-in/",
                                             {"held_on": "yesterday", "progress": "on_track", "notes": "Fine."},
                                             follow=True)
    assert "Held on: “yesterday” is not a date" in response.content.decode()
    assert not plan.check_ins.exists()


def test_the_form_chooses_no_diagnosis_and_a_missing_one_is_named_in_words(personas, client_for):
    mo = client_for(personas.mo)
    form = mo.get(f"/support/new/{personas.erin.pk}/").content.decode()
    assert '<select id="diagnosis" name="diagnosis" required><option value="" selected>' in form
    refused = mo.post(f"/support/new/{personas.erin.pk}/", {"diagnosis": "", "diagnosis_notes": "Observed."})
    alert = refused.content.decode().split('role="alert">', 1)[1].split("</p>", 1)[0]
    assert refused.status_code == 400 and "A skill to build" in alert and "role_mismatch" not in alert


def test_a_proposed_plan_names_who_may_approve_it_and_waits_in_their_inbox(personas, client_for):
    from brightline.dashboards.inbox import inbox_for

    items = make_evidence(personas.erin, 2)
    form = proposal(items)
    page = client_for(personas.mo).post(f"/support/new/{personas.erin.pk}/", form, follow=True).content.decode()
    plan = SupportPlan.objects.get()
    # The manager who proposed it is not named; the people partner and the manager's manager are.
    named = "Lee Leader (Erin&#x27;s manager&#x27;s manager) or Pia Partner (a people partner)"
    assert page.count(named) == 2  # in the message and on the plan
    for approver in (personas.pia, personas.lee):
        [item] = [item for item in inbox_for(approver) if item.kind == "plan_approval"]
        assert item.title == "A support plan for Erin Employee waits for your approval"
        assert item.url == f"/support/{plan.pk}/"
    for other in (personas.mo, personas.erin, personas.pat):
        assert not [item for item in inbox_for(other) if item.kind == "plan_approval"]
    assert "waits for your approval" in client_for(personas.pia).get("/").content.decode()
    services.approve_support_plan(plan, approver=personas.pia, reason="Read both items.")
    assert not [item for item in inbox_for(personas.pia) if item.kind == "plan_approval"]
    assert "It starts once" not in client_for(personas.mo).get(f"/support/{plan.pk}/").content.decode()


def test_the_plans_list_says_what_each_link_does_and_a_report_links_to_it(personas, client_for):
    active_plan(personas)
    mo = client_for(personas.mo)
    page = mo.get("/support/").content.decode()
    assert ">Open the plan for Erin Employee</a>" in page and ">Propose a plan for Erin Employee</a>" in page
    assert ">Erin Employee</a>" not in page
    assert 'href="/support/">Support plans</a>' in mo.get(f"/people/{personas.erin.pk}/").content.decode()
    assert 'href="/support/">Support plans</a>' in mo.get("/team/").content.decode()
    assert 'href="/support/"' not in client_for(personas.pat).get(f"/people/{personas.erin.pk}/").content.decode()


def test_named_feedback_counts_as_evidence_on_the_form_and_the_form_says_what_counts(personas, client_for):
    """Two work items left a manager no choice; an answer that names its writer counts as human evidence too."""
    from brightline.feedback import services as feedback_services
    from tests.test_inbox import ask

    [item] = make_evidence(personas.erin, 1)
    invitation = ask(personas.erin, [personas.pat]).invitations.get(respondent=personas.pat)
    answer = feedback_services.submit_feedback_response(
        actor=personas.pat, invitation=invitation, send_despite_tone=True, data=feedback_services.ResponseInput(
            "Reviewed the payout design twice without naming a failure mode.", "Two rollbacks in October.",
            "List failure modes before the review."))
    mo = client_for(personas.mo)
    page = mo.get(f"/support/new/{personas.erin.pk}/").content.decode()
    assert "feedback answers that name their writer both count" in page and "AI signals never count" in page
    assert f'name="feedback" value="{answer.pk}"' in page and "Feedback from Pat Peer" in page
    form = proposal([item], diagnosis="skill", diagnosis_notes="Two design reviews missed the failure modes.")
    refused = mo.post(f"/support/new/{personas.erin.pk}/", form)
    assert refused.status_code == 400 and "feedback answers that name their writer count" in refused.content.decode()
    assert mo.post(f"/support/new/{personas.erin.pk}/", {**form, "feedback": [str(answer.pk)]}).status_code == 302
    assert SupportPlan.objects.get().citations == [f"evidence_item:{item.pk}", f"feedback_response:{answer.pk}"]
    # A peer's form is refused, and no one outside the chain is offered the answers.
    assert client_for(personas.pat).get(f"/support/new/{personas.erin.pk}/").status_code == 403
