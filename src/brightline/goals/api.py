"""JSON API for goals: the owner writes them; the owner and their management chain read them (reads logged)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from brightline import access
from brightline.goals import services
from brightline.goals.models import Goal
from brightline.goals.views import ERR_CANNOT_SEE, ERR_NOT_YOURS
from brightline.pagination import ListPage
from brightline.people.models import Person

router = Router(tags=["goals"])


class KeyResultOut(Schema):
    description: str
    progress: int = Field(description="percent done, 0 to 100")
    evidence_ids: list[int] = Field(description="the cited evidence items the caller may see")


class PersonalGoalOut(Schema):
    id: int
    owner_id: int
    title: str
    success: str
    due_on: date
    status: str
    progress: int = Field(description="the mean progress of the key results")
    key_results: list[KeyResultOut]


class KeyResultIn(Schema):
    description: str
    progress: int = 0
    evidence_ids: list[int] = []


class PersonalGoalIn(Schema):
    title: str
    success: str
    due_on: date
    status: str = Goal.Status.IN_PROGRESS
    key_results: list[KeyResultIn] = []


def _out(goal: Goal, viewer: Person) -> dict[str, Any]:
    results = [{"description": result.description, "progress": result.progress,
                "evidence_ids": [item.pk for item in result.evidence.all()
                                 if access.can_view_evidence_item(viewer, item)]}
               for result in goal.key_results.all()]
    return {"id": goal.pk, "owner_id": goal.owner_id, "title": goal.title, "success": goal.success,
            "due_on": goal.due_on, "status": goal.status, "progress": goal.progress, "key_results": results}


def _draft(payload: PersonalGoalIn) -> services.GoalDraft:
    return services.GoalDraft(
        title=payload.title, success=payload.success, due_on=payload.due_on, status=payload.status,
        key_results=[services.KeyResultDraft(result.description, result.progress, result.evidence_ids)
                     for result in payload.key_results])


@router.get("", response=list[PersonalGoalOut], summary="Goals of the caller, or of someone in the caller's reports")
@paginate(ListPage)
def list_goals(request: HttpRequest, person_id: int | None = None) -> Any:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    owner = viewer
    if person_id is not None and person_id != viewer.pk:
        owner = get_object_or_404(Person, pk=person_id)
        access.open_person_record(viewer, owner, what="goals.goals", via="api", denied=ERR_CANNOT_SEE)
    return [_out(goal, viewer) for goal in services.goals_of(owner)]


@router.get("/{goal_id}", response=PersonalGoalOut, summary="One goal")
def goal_detail(request: HttpRequest, goal_id: int) -> Any:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    goal = get_object_or_404(Goal.objects.select_related("owner"), pk=goal_id)
    access.open_person_record(viewer, goal.owner, what="goals.goals", via="api", denied=ERR_CANNOT_SEE)
    return _out(goal, viewer)


@router.post("", response={201: PersonalGoalOut}, summary="Set a goal of one's own")
def create_goal(request: HttpRequest, payload: PersonalGoalIn) -> Any:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    try:
        goal = services.save_goal(viewer, actor=viewer, draft=_draft(payload))
    except services.GoalError as error:
        raise HttpError(400, str(error)) from error
    return Status(201, _out(goal, viewer))


@router.put("/{goal_id}", response=PersonalGoalOut, summary="Replace one's own goal and its key results")
def update_goal(request: HttpRequest, goal_id: int, payload: PersonalGoalIn) -> Any:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    goal = get_object_or_404(Goal.objects.select_related("owner"), pk=goal_id)
    if not access.can_view_goals(viewer, goal.owner):
        raise HttpError(403, ERR_CANNOT_SEE)
    if not access.can_edit_goals(viewer, goal.owner):
        raise HttpError(403, ERR_NOT_YOURS)
    try:
        goal = services.save_goal(viewer, actor=viewer, draft=_draft(payload), goal=goal)
    except services.GoalError as error:
        raise HttpError(400, str(error)) from error
    return _out(goal, viewer)
