"""Demo goals: Erin, Pat and a few engineers of other teams keep two goals each, their progress citing evidence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from brightline.goals import services
from brightline.goals.models import Goal
from brightline.goals.services import GoalDraft, KeyResultDraft, end_of_quarter

GOALS = (
    ("Make payment retries safe to run twice",
     "Retrying a payment never charges a customer twice, and the team trusts the retry path in incidents.",
     (("Every retry path carries an idempotency key", 70), ("A runbook for stuck retries, tried in a drill", 40))),
    ("Grow as a reviewer of designs",
     "Design reviews I join leave the author with fewer open questions about failure modes.",
     (("Review four design documents this quarter", 50), ("Write one design document of my own", 20))),
)


def build_demo_history(context: Any) -> None:
    owners = [context.personas["erin"], context.personas["pat"]]
    owners += sorted((p for p in context.people if p.team is not None and p.team.slug != "payments"
                      and not p.reports.exists()), key=lambda p: p.employee_id)[:4]
    due = end_of_quarter(context.today)
    for number, owner in enumerate(owners):
        evidence = list(services.citable_evidence(owner).filter(person=owner)[:4])
        for index, (title, success, results) in enumerate(GOALS):
            cited = [item.pk for item in evidence[index * 2:index * 2 + 2]]
            drafts = [KeyResultDraft(text, progress, cited if position == 0 else cited[:1])
                      for position, (text, progress) in enumerate(results)]
            status = Goal.Status.ACHIEVED if number % 3 == 2 and index == 1 else Goal.Status.IN_PROGRESS
            services.save_goal(owner, actor=owner, draft=GoalDraft(
                title, success, due + dt.timedelta(days=90 * index), status, drafts))
