"""JSON API for support plans: the employee, their management chain and people partners only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from brightline import access
from brightline.pagination import ListPage
from brightline.people.models import Person
from brightline.support import services
from brightline.support.models import SupportPlan

router = Router(tags=["support"])

ERR_FORBIDDEN = "A support plan is visible to the person, their management chain and people partners."


class GoalOut(Schema):
    description: str
    success_criteria: str
    acceptable_improvement: str


class CheckInOut(Schema):
    held_on: date
    progress: str
    notes: str


class CommentOut(Schema):
    author: str
    body: str
    written_at: datetime

    @staticmethod
    def resolve_author(comment: Any) -> str:
        return comment.author.name


class PlanOut(Schema):
    id: int
    person_id: int
    status: str
    diagnosis: str
    diagnosis_notes: str
    support_offered: str
    cadence: str
    starts_on: date
    ends_on: date
    citations: list[str]
    approved_by_id: int | None
    redeployment_offer: str
    outcome: str
    goals: list[GoalOut]
    check_ins: list[CheckInOut]
    comments: list[CommentOut]

    @staticmethod
    def resolve_goals(plan: SupportPlan) -> list[Any]:
        return list(plan.goals.all())

    @staticmethod
    def resolve_check_ins(plan: SupportPlan) -> list[Any]:
        return list(plan.check_ins.all())

    @staticmethod
    def resolve_comments(plan: SupportPlan) -> list[Any]:
        return list(plan.comments.select_related("author"))


class CommentIn(Schema):
    body: str


def _plan(request: HttpRequest, plan_id: int) -> tuple[Person, SupportPlan]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    plan = get_object_or_404(SupportPlan.objects.select_related("person"), pk=plan_id)
    access.open_person_record(viewer, plan.person, what="support.plan", via="api", denied=ERR_FORBIDDEN,
                              allowed=access.can_view_support_plan(viewer, plan))
    return viewer, plan


@router.get("/plans", response=list[PlanOut], summary="Support plans the caller may see")
@paginate(ListPage)
def list_plans(request: HttpRequest) -> Any:
    return services.plans_visible_to(request.auth)  # type: ignore[attr-defined]


@router.get("/plans/{plan_id}", response=PlanOut)
def plan_detail(request: HttpRequest, plan_id: int) -> Any:
    return _plan(request, plan_id)[1]


@router.post("/plans/{plan_id}/comments", response={201: CommentOut}, summary="Comment on a plan (the employee too)")
def comment(request: HttpRequest, plan_id: int, payload: CommentIn) -> Any:
    viewer, plan = _plan(request, plan_id)
    try:
        created = services.comment_on_plan(plan, actor=viewer, body=payload.body)
    except services.SupportPlanError as error:
        raise HttpError(400, str(error)) from error
    return Status(201, created)
