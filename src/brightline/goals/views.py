"""Goal pages: the owner lists and edits their goals; their management chain reads them (each read logged)."""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from brightline import access, webforms
from brightline.goals import services
from brightline.goals.models import Goal
from brightline.goals.services import end_of_quarter
from brightline.people.models import Person

_viewer = access.request_person  # the signed-in person (request.person), or 403

ERR_NOT_YOURS = "Goals are written by their owner; their management chain reads them."
ERR_CANNOT_SEE = "A person's goals are visible to them and their management chain."


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    return render(request, "goals/list.html", {"owner": viewer, "is_owner": True,
                                               "goals": services.goals_of(viewer)})


@require_GET
def person_goals(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = _viewer(request)
    owner = get_object_or_404(Person, pk=person_id)
    if access.is_self(viewer, owner):
        return redirect("goals:index")
    access.open_person_record(viewer, owner, what="goals.goals", denied=ERR_CANNOT_SEE)
    goals = list(services.goals_of(owner))
    for goal in goals:
        for result in goal.key_results.all():
            result.visible_evidence = [item for item in result.evidence.all()  # type: ignore[attr-defined]
                                       if access.can_view_evidence_item(viewer, item)]
    return render(request, "goals/list.html", {"owner": owner, "is_owner": False, "goals": goals})


def _draft(request: HttpRequest) -> services.GoalDraft:
    results = [services.KeyResultDraft(
        description=request.POST.get(f"kr-{index}-description", ""),
        progress=request.POST.get(f"kr-{index}-progress", "0"),
        evidence_ids=request.POST.getlist(f"kr-{index}-evidence"))
        for index in range(services.MAX_KEY_RESULTS)]
    return services.GoalDraft(title=request.POST.get("title", ""), success=request.POST.get("success", ""),
                              due_on=None,  # read in edit(), where a malformed date is reported
                              status=request.POST.get("status", Goal.Status.IN_PROGRESS), key_results=results)


def _rows(goal: Goal | None, posted: services.GoalDraft | None) -> list[dict[str, object]]:
    """One form row per possible key result: what was posted, else what is saved, else empty."""
    rows: list[dict[str, object]] = []
    saved = list(goal.key_results.all()) if goal is not None else []
    for index in range(services.MAX_KEY_RESULTS):
        if posted is not None:
            result = posted.key_results[index]
            rows.append({"index": index, "description": result.description, "progress": result.progress,
                         "evidence": {str(value) for value in result.evidence_ids}})
        elif index < len(saved):
            rows.append({"index": index, "description": saved[index].description,
                         "progress": saved[index].progress,
                         "evidence": {str(item.pk) for item in saved[index].evidence.all()}})
        else:
            rows.append({"index": index, "description": "", "progress": 0, "evidence": set()})
    return rows


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, goal_id: int | None = None) -> HttpResponse:
    viewer = _viewer(request)
    goal = None
    if goal_id is not None:
        goal = get_object_or_404(Goal.objects.select_related("owner"), pk=goal_id)
        if not access.can_edit_goals(viewer, goal.owner):
            raise PermissionDenied(ERR_NOT_YOURS)
    elif not access.can_edit_goals(viewer, viewer):
        raise PermissionDenied(ERR_NOT_YOURS)
    error, posted = "", None
    if request.method == "POST":
        posted = _draft(request)
        try:
            posted = replace(posted, due_on=webforms.optional_date(request.POST.get("due_on"), "Due date"))
            saved = services.save_goal(viewer, actor=viewer, draft=posted, goal=goal)
        except (services.GoalError, webforms.FormValueError) as refused:
            error = str(refused)
        else:
            messages.success(request, f"Goal saved: {saved.title}.")
            return redirect("goals:index")
    values = {"title": posted.title if posted else (goal.title if goal else ""),
              "success": posted.success if posted else (goal.success if goal else ""),
              "due_on": (request.POST.get("due_on", "") if posted
                         else (goal.due_on if goal else end_of_quarter(timezone.localdate())).isoformat()),
              "status": posted.status if posted else (goal.status if goal else Goal.Status.IN_PROGRESS)}
    return render(request, "goals/edit.html", {
        "goal": goal, "values": values, "rows": _rows(goal, posted), "error": error,
        "statuses": Goal.Status.choices, "evidence": services.citable_evidence(viewer)[:services.CITABLE_EVIDENCE]},
        status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, goal_id: int) -> HttpResponse:
    """Deleting is irreversible, so it is asked for on a page of its own and confirmed there."""
    viewer = _viewer(request)
    goal = get_object_or_404(Goal.objects.select_related("owner"), pk=goal_id)
    if not access.can_edit_goals(viewer, goal.owner):
        raise PermissionDenied(ERR_NOT_YOURS)
    if request.method == "POST":
        title = goal.title
        services.delete_goal(goal, actor=viewer)
        messages.success(request, f"Goal deleted: {title}.")
        return redirect("goals:index")
    return render(request, "goals/delete.html", {"goal": goal})
