"""Support-plan pages: the employee reads and comments; the chain and people partners run the plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brightline import access, webforms
from brightline.evidence.models import EvidenceItem
from brightline.feedback.models import FeedbackResponse
from brightline.people.models import Person
from brightline.support import services
from brightline.support.models import Cadence, CheckIn, Diagnosis, SupportPlan

_viewer = access.request_person  # the signed-in person (request.person), or 403


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    reports = list(access.support_plan_subjects_for(viewer).filter(is_active=True).select_related("manager")) \
        if viewer.is_manager or access.is_people_partner(viewer) else []
    return render(request, "support/index.html", {"plans": services.plans_visible_to(viewer), "reports": reports})


@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = _viewer(request)
    person = get_object_or_404(Person, pk=person_id)
    access.open_person_record(viewer, person, what="support.plan", denied=services.ERR_CANNOT_OPEN)
    error = ""
    if request.method == "POST":
        post = request.POST
        try:
            starts = webforms.optional_date(post.get("starts_on"), "Starts") or timezone.localdate()
            ends = webforms.optional_date(post.get("ends_on"), "Ends") or starts
            draft = services.PlanDraft(
                diagnosis=post.get("diagnosis", ""), diagnosis_notes=post.get("diagnosis_notes", ""),
                support_offered=post.get("support_offered", ""), cadence=post.get("cadence", Cadence.FORTNIGHTLY),
                starts_on=starts, ends_on=ends,
                citations=(*(f"evidence_item:{pk}" for pk in post.getlist("evidence")),
                           *(f"feedback_response:{pk}" for pk in post.getlist("feedback"))),
                goals=(services.GoalDraft(post.get("goal", ""), post.get("success_criteria", ""),
                                          post.get("acceptable_improvement", "")),))
            plan = services.open_support_plan(person, actor=viewer, draft=draft)
        except (services.SupportPlanError, webforms.FormValueError) as refused:
            error = str(refused)
        else:
            messages.success(request, "Plan proposed. It starts once a second approver has read and approved it: "
                             f"{services.approvers_in_words(plan)}. It waits in their list of things to do.")
            return redirect("support:plan", plan_id=plan.pk)
    today = timezone.localdate()
    posted = request.POST if request.method == "POST" else {
        "starts_on": today.isoformat(), "ends_on": (today + dt.timedelta(days=services.MIN_PLAN_DAYS)).isoformat()}
    return render(request, "support/plan_new.html", {
        "person": person, "diagnoses": Diagnosis.choices, "cadences": Cadence.choices, "error": error,
        "evidence": EvidenceItem.objects.filter(person=person)[:50], "posted": posted,
        "feedback": named_feedback(viewer, person), "chosen_evidence": set(request.POST.getlist("evidence")),
        "chosen_feedback": set(request.POST.getlist("feedback")), "minimum": services.MIN_EVIDENCE},
        status=400 if error else 200)


def named_feedback(viewer: Person, person: Person) -> list[FeedbackResponse]:
    """Answers about ``person`` that name their writer, which a plan may cite beside evidence items (B1: feedback
    is evidence; citing it is the explicit, logged inclusion that moves it out of the growth space). Anonymous
    answers are left out: a plan read by the person would point at a writer. One-to-one notes and checkpoints stay
    in the coaching space and are not offered."""
    if not (access.can_view_feedback(viewer, person) or access.is_people_partner(viewer)):
        return []
    return list(FeedbackResponse.objects.filter(request__subject=person, request__anonymous=False,
                                                invitation__isnull=False, submitted_at__isnull=False)
                .select_related("invitation__respondent").order_by("-submitted_at")[:50])


@require_GET
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    viewer = _viewer(request)
    plan = get_object_or_404(SupportPlan.objects.select_related("person", "opened_by", "approved_by"), pk=plan_id)
    access.open_person_record(
        viewer, plan.person, what="support.plan", allowed=access.can_view_support_plan(viewer, plan),
        denied="A support plan is visible to the person, their management chain and people partners.")
    can_approve = (plan.status == SupportPlan.Status.PROPOSED and viewer.pk not in {plan.opened_by_id, plan.person_id}
                   and (access.is_people_partner(viewer) or access.manages(viewer, plan.person)))
    return render(request, "support/plan.html", {
        "plan": plan, "is_self": access.is_self(viewer, plan.person),
        "can_manage": access.can_manage_support_plan(viewer, plan), "can_approve": can_approve,
        "approvers": services.approvers_in_words(plan) if plan.status == SupportPlan.Status.PROPOSED else "",
        "progress_choices": CheckIn.Progress.choices, "outcomes": SupportPlan.Outcome.choices})


@require_POST
def plan_action(request: HttpRequest, plan_id: int, action: str) -> HttpResponse:
    viewer = _viewer(request)
    plan = get_object_or_404(SupportPlan.objects.select_related("person"), pk=plan_id)
    if not access.can_view_support_plan(viewer, plan):
        raise PermissionDenied("You cannot see this support plan.")
    post = request.POST
    actions: dict[str, tuple[Callable[[], Any], str]] = {
        "approve": (lambda: services.approve_support_plan(plan, approver=viewer, reason=post.get("reason", "")),
                    "Plan approved; it is active."),
        "comment": (lambda: services.comment_on_plan(plan, actor=viewer, body=post.get("body", "")), "Comment added."),
        "check-in": (lambda: services.record_check_in(plan, actor=viewer,
                                                      held_on=webforms.optional_date(post.get("held_on"), "Held on")
                                                      or timezone.localdate(),
                                                      progress=post.get("progress", ""), notes=post.get("notes", "")),
                     "Check-in recorded."),
        "goal": (lambda: services.add_goal(plan, actor=viewer, goal=services.GoalDraft(
            post.get("goal", ""), post.get("success_criteria", ""), post.get("acceptable_improvement", ""))),
            "Goal added."),
        "redeployment": (lambda: services.offer_redeployment(plan, actor=viewer, offer=post.get("offer", "")),
                         "Redeployment offer recorded."),
        "outcome": (lambda: services.record_plan_outcome(
            plan, actor=viewer, outcome=post.get("outcome", ""), reason=post.get("reason", ""),
            new_end=webforms.optional_date(post.get("new_end"), "New end date")), "Outcome recorded."),
    }
    if action not in actions:
        raise PermissionDenied("Unknown action.")
    function, success = actions[action]
    try:
        function()
    except (services.SupportPlanError, webforms.FormValueError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("support:plan", plan_id=plan.pk)
