"""Demo history: one support plan in progress, written as support, with check-ins and the employee's voice.

The services stamp the plan with the real clock; afterwards each record is moved to when it would have
happened (drafted three days before the plan starts, approved the next day, check-ins on their dates).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from brightline.evidence.models import EvidenceItem
from brightline.support import services
from brightline.support.models import CheckIn, PlanComment, SupportGoal, SupportPlan
from brightline.support.services import GoalDraft, PlanDraft


def _moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def build_demo_history(context: Any) -> None:
    people = sorted(context.people, key=lambda p: p.employee_id)
    person = next(p for p in people if p.team is not None and p.team.slug == "billing-legacy"
                  and not p.reports.exists())
    manager, partner = person.manager, context.personas["pia"]
    evidence = list(EvidenceItem.objects.filter(person=person).order_by("id")[:2])
    if len(evidence) < 2:
        return  # the reviews demo writes evidence for everyone it reviews; without it there is no honest plan
    starts = context.today - dt.timedelta(days=42)
    first = person.name.split()[0]
    plan = services.open_support_plan(person, actor=manager, draft=PlanDraft(
        diagnosis="temporary_overload",
        diagnosis_notes=(f"Two releases went out without the agreed rollback plan {evidence[0].citation} "
                         f"{evidence[1].citation}. In our 1:1 {first} explained that the on-call rota and the "
                         "billing cut-over landed in the same six weeks, leaving no time for release preparation."),
        support_offered=("Take the on-call rota down to one week in four until the cut-over ships; pair with a "
                         "senior engineer on the next two releases; protect two focus mornings a week."),
        cadence="fortnightly", starts_on=starts, ends_on=starts + dt.timedelta(days=84),
        goals=(GoalDraft("Every release ships with a written rollback plan.",
                         "The next three releases each have a rollback plan reviewed before deployment.",
                         "A plan that a teammate could follow without asking, even if one release needs help."),
               GoalDraft("A sustainable workload.",
                         "No more than one on-call week per month while the cut-over runs.",
                         "Two uninterrupted focus mornings a week, kept in most weeks.")),
    ))
    services.approve_support_plan(plan, approver=partner,
                                  reason="The diagnosis matches the rota data; the goals are specific and fair.")
    first = services.record_check_in(plan, actor=manager, held_on=starts + dt.timedelta(days=14),
                                     progress="some_progress",
                                     notes="Rota reduced from this week. First rollback plan drafted together; "
                                           "clear and short.")
    comment = services.comment_on_plan(plan, actor=person,
                                       body="The lighter rota helps. I would like the pairing sessions on Thursdays.")
    second = services.record_check_in(plan, actor=manager, held_on=starts + dt.timedelta(days=28),
                                      progress="on_track",
                                      notes="Release 4.12 shipped with a rollback plan reviewed by the team the day "
                                            "before.")
    drafted = _moment(starts - dt.timedelta(days=3), 15, 30)
    SupportPlan.objects.filter(pk=plan.pk).update(opened_at=drafted,
                                                  approved_at=drafted + dt.timedelta(days=1, hours=-4))
    SupportGoal.objects.filter(plan=plan).update(created_at=drafted)
    for check_in in (first, second):
        CheckIn.objects.filter(pk=check_in.pk).update(created_at=_moment(check_in.held_on, 16))
    PlanComment.objects.filter(pk=comment.pk).update(written_at=_moment(first.held_on + dt.timedelta(days=1), 9, 40))
