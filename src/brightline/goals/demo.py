"""Demo goals: Erin, Pat and an engineer in each of four other teams keep two goals each, citing evidence.

Each engineer's goals are their own: the first is about their team's work (Erin's safe payment retries,
Pat's refund events, a search engineer's ranking, …), the second about growing at their level (learning
the service end to end, reviewing designs, mentoring, leading a design across teams).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from brightline.goals import services
from brightline.goals.models import Goal
from brightline.goals.services import GoalDraft, KeyResultDraft, end_of_quarter

GoalText = tuple[str, str, tuple[tuple[str, int], ...]]

# The personas' own goals, written for their story (Erin works towards IC3 and has led the retry work;
# Pat, IC3, built the refund webhooks and is the team's most experienced engineer).
PERSONA_GOALS: dict[str, tuple[GoalText, GoalText]] = {
    "erin": (
        ("Make payment retries safe to run twice",
         "Retrying a payment never charges a customer twice, and the team trusts the retry path in incidents.",
         (("Every retry path carries an idempotency key", 70), ("A runbook for stuck retries, tried in a drill", 40))),
        ("Grow as a reviewer of designs",
         "Design reviews I join leave the author with fewer open questions about failure modes.",
         (("Review four design documents this quarter", 50), ("Write one design document of my own", 20))),
    ),
    "pat": (
        ("Refund events partners can rely on",
         "Partners receive every refund event once, in order, and can replay a day of events themselves.",
         (("Refund webhooks delivered within a minute, 99.9 % of the time", 65),
          ("Partners replay a day of events without asking us", 30))),
        ("Help a newer engineer take on on-call",
         "A newer teammate runs an on-call week for the payments services on their own and feels ready for it.",
         (("Pair on four incidents or drills before their first week", 50),
          ("They lead the debrief of an incident they handled", 15))),
    ),
}

# The team goal of an engineer in each other team.
TEAM_GOALS: dict[str, GoalText] = {
    "checkout": ("Make checkout fast on slow phones",
                 "The slowest tenth of checkout page loads on a mid-range phone finish within three seconds.",
                 (("Page-weight budget enforced in the build", 60), ("Slowest tenth of mobile loads under 3 s", 35))),
    "search": ("Put the right product first more often",
               "Customers pick the first result more often for the hundred most common searches.",
               (("An offline relevance check for the top 100 searches", 65),
                ("The new ranking tried on a tenth of the traffic", 30))),
    "mobile": ("Release the apps every two weeks without drama",
               "Each fortnight's release ships on its day, and crash-free sessions stay at 99.5 % or better.",
               (("Release checklist automated in the build", 55), ("Crash-free sessions at 99.5 % or better", 70))),
    "platform": ("A new service on the paved road in a day",
                 "A product team goes from an empty repository to a deployed, monitored service in one working day.",
                 (("Service template with deploy pipeline and alerts", 60), ("Two product teams start from it", 25))),
    "devex": ("Builds developers trust",
              "A red build means a real problem: flaky tests are found and quarantined before they waste anyone's day.",
              (("Flaky tests quarantined within a day", 50), ("Median build time under ten minutes", 35))),
    "sre": ("Shorter, calmer incidents",
            "Whoever is paged finds what to do from the alert itself, and serious incidents end sooner.",
            (("Every critical alert links its runbook", 55),
             ("Error budget policy agreed with two product teams", 30))),
    "billing-legacy": ("Move invoices off the legacy billing core safely",
                       "Invoices come from the new system with the same totals, and the old one can be switched off.",
                       (("Three months of invoices compared with the new system", 40),
                        ("The way back rehearsed once", 60))),
}

# The growth goal of an engineer at each level.
LEVEL_GOALS: dict[str, GoalText] = {
    "IC1": ("Learn our services end to end",
            "I can explain how a request flows through each of the team's services and ship a change to any of them.",
            (("Ship a change to each of the team's services", 45), ("Shadow two on-call weeks", 50))),
    "IC2": ("Own a part of our service",
            "The team asks me about one part of the service, and its runbook and alerts are up to date.",
            (("Its runbook rewritten and tried in a drill", 45), ("Its noisiest alert fixed or removed", 60))),
    "IC3": ("Help a newer engineer grow",
            "A newer teammate takes a piece of work from design to release, with me as a sounding board.",
            (("Pair with them every week", 60), ("They present their design at the team review", 20))),
    "IC4": ("Lead a design across two teams",
            "A change that needs two teams is designed once, agreed by both, and delivered without surprises.",
            (("Design document signed off by both teams", 40), ("Each team's first milestone shipped", 10))),
    "IC5": ("Set the technical direction for a shared problem",
            "Teams facing the same problem follow one written direction and know why.",
            (("A written direction reviewed by the teams it affects", 35),
             ("Two teams changed course because of it", 10))),
}


# The kinds of evidence that can show a key result's progress, by the words in it (the first match wins); a key
# result that matches none rests on the owner's delivery work, and failing that on their latest items.
EVIDENCE_HINTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("design",), ("design_doc", "design_review")),
    (("incident", "on-call", "drill", "runbook", "alert", "debrief"), ("incident_handled", "incident_debrief")),
    (("review", "pair", "mentor"), ("code_review", "design_review")),
)
DELIVERY_KINDS = ("merged_change", "release", "deployment")
CITED_PER_RESULT = (2, 1)  # the first key result cites two items, the others one


def evidence_for(text: str, evidence: list[Any], count: int) -> list[int]:
    """Up to ``count`` of ``evidence`` (newest first) whose kind can show the key result ``text``."""
    words = text.lower()
    kinds = next((kinds for hints, kinds in EVIDENCE_HINTS if any(hint in words for hint in hints)), DELIVERY_KINDS)
    fitting = [item.pk for item in evidence if item.kind in kinds]
    return (fitting or [item.pk for item in evidence if item.kind in DELIVERY_KINDS]
            or [item.pk for item in evidence])[:count]


def goals_for(person: Any) -> tuple[GoalText, GoalText]:
    """The two goals a demo engineer keeps: a persona's own, or their team's and their level's."""
    username = person.user.username if person.user else ""
    if username in PERSONA_GOALS:
        return PERSONA_GOALS[username]
    return TEAM_GOALS[person.team.slug], LEVEL_GOALS[person.level.code]


def build_demo_history(context: Any) -> None:
    owners = [context.personas["erin"], context.personas["pat"]]
    # One engineer (not a manager) in each of four other teams, so each keeps their own team's goal.
    first_in_team: dict[str, Any] = {}
    for person in sorted((p for p in context.people if p.team is not None and p.team.slug != "payments"
                          and not p.reports.exists()), key=lambda p: p.employee_id):
        first_in_team.setdefault(person.team.slug, person)
    owners += list(first_in_team.values())[:4]
    due = end_of_quarter(context.today)
    for number, owner in enumerate(owners):
        evidence = list(services.citable_evidence(owner).filter(person=owner)[:40])
        for index, (title, success, results) in enumerate(goals_for(owner)):
            drafts = [KeyResultDraft(text, progress, evidence_for(text, evidence, CITED_PER_RESULT[min(position, 1)]))
                      for position, (text, progress) in enumerate(results)]
            status = Goal.Status.ACHIEVED if number % 3 == 2 and index == 1 else Goal.Status.IN_PROGRESS
            services.save_goal(owner, actor=owner, draft=GoalDraft(
                title, success, due + dt.timedelta(days=90 * index), status, drafts))
