"""Writing goals: the owner alone writes them; every key result's evidence must be evidence the owner may see.

A save is all-or-nothing: a refused key result leaves the goal as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet

from brightline import access
from brightline.audit.services import log_action
from brightline.evidence.models import EvidenceItem
from brightline.goals.models import Goal, KeyResult
from brightline.people.models import Person

MAX_KEY_RESULTS = 5
CITABLE_EVIDENCE = 200  # the newest items offered in the evidence picker

ERR_NOT_OWNER = "Only the owner writes their goals."
ERR_TITLE = "Give the goal a title."
ERR_SUCCESS = "Describe what success looks like."
ERR_DUE = "Choose the date the goal is due."
ERR_STATUS = "Choose one of the listed statuses."
ERR_TOO_MANY = f"A goal has at most {MAX_KEY_RESULTS} key results; keep the most important ones."
ERR_PROGRESS = "Key result {number}: progress is a whole number from 0 to 100."
ERR_EVIDENCE = "Key result {number}: cite only evidence you can see on your growth page."


class GoalError(ValueError):
    """A goal that cannot be saved; the message says what to change."""


@dataclass(frozen=True)
class KeyResultDraft:
    description: str
    progress: int | str = 0
    evidence_ids: Sequence[int | str] = ()


@dataclass(frozen=True)
class GoalDraft:
    title: str
    success: str
    due_on: dt.date | None
    status: str = Goal.Status.IN_PROGRESS
    key_results: Sequence[KeyResultDraft] = field(default_factory=tuple)


def end_of_quarter(day: dt.date) -> dt.date:
    """The default due date of a new goal: the last day of the running quarter."""
    first_of_next = dt.date(day.year + (day.month > 9), (((day.month - 1) // 3 + 1) * 3) % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def goals_of(owner: Person) -> QuerySet[Goal]:
    return Goal.objects.filter(owner=owner).prefetch_related("key_results__evidence")


def citable_evidence(owner: Person) -> QuerySet[EvidenceItem]:
    """Evidence the owner may cite: items about them, and their team's items that name no person."""
    mine = Q(person=owner)
    if owner.team_id is not None:
        mine |= Q(person__isnull=True, team_id=owner.team_id)
    return EvidenceItem.objects.filter(mine).order_by("-occurred_at", "-pk")


def _clean(owner: Person, draft: GoalDraft) -> list[tuple[str, int, list[EvidenceItem]]]:
    if not draft.title.strip():
        raise GoalError(ERR_TITLE)
    if not draft.success.strip():
        raise GoalError(ERR_SUCCESS)
    if draft.due_on is None:
        raise GoalError(ERR_DUE)
    if draft.status not in Goal.Status.values:
        raise GoalError(ERR_STATUS)
    results = [result for result in draft.key_results if result.description.strip()]
    if len(results) > MAX_KEY_RESULTS:
        raise GoalError(ERR_TOO_MANY)
    cleaned = []
    for number, result in enumerate(results, start=1):
        try:
            progress = int(str(result.progress).strip() or 0)
        except ValueError:
            raise GoalError(ERR_PROGRESS.format(number=number)) from None
        if not 0 <= progress <= 100:
            raise GoalError(ERR_PROGRESS.format(number=number))
        try:
            ids = {int(value) for value in result.evidence_ids}
        except (TypeError, ValueError):
            raise GoalError(ERR_EVIDENCE.format(number=number)) from None
        items = list(EvidenceItem.objects.filter(pk__in=ids).select_related("person", "team"))
        if len(items) != len(ids) or not all(access.can_view_evidence_item(owner, item) for item in items):
            raise GoalError(ERR_EVIDENCE.format(number=number))
        cleaned.append((result.description.strip()[:300], progress, items))
    return cleaned


def save_goal(owner: Person, *, actor: Person, draft: GoalDraft, goal: Goal | None = None) -> Goal:
    """Create (``goal=None``) or replace the owner's goal and its key results, in one transaction."""
    if not access.can_edit_goals(actor, owner) or (goal is not None and goal.owner_id != owner.pk):
        raise GoalError(ERR_NOT_OWNER)
    results = _clean(owner, draft)
    with transaction.atomic():
        created = goal is None
        if goal is None:
            goal = Goal(owner=owner)
        goal.title = draft.title.strip()[:200]
        goal.success = draft.success.strip()
        goal.due_on = draft.due_on  # type: ignore[assignment]
        goal.status = draft.status
        goal.save()
        goal.key_results.all().delete()
        for position, (description, progress, items) in enumerate(results):
            result = KeyResult.objects.create(goal=goal, description=description, progress=progress,
                                              position=position)
            result.evidence.set(items)
        log_action("goals.goal.created" if created else "goals.goal.updated", actor, goal, {
            "title": goal.title, "status": goal.status, "due_on": goal.due_on.isoformat(),
            "key_results": [{"progress": progress, "evidence": sorted(item.pk for item in items)}
                            for _description, progress, items in results]})
    return goal


def delete_goal(goal: Goal, *, actor: Person) -> None:
    if not access.can_edit_goals(actor, goal.owner):
        raise GoalError(ERR_NOT_OWNER)
    with transaction.atomic():
        log_action("goals.goal.deleted", actor, goal, {"title": goal.title})
        goal.delete()
