"""Demo goals: Erin, Pat and an engineer in each of four other teams keep two goals each, citing evidence.

Each owner's work towards their goals is on record first (a merged change, a release, an incident, a design
document, with real titles), so every goal rests on at least one item that fits it.

A key result cites only the owner's items whose kind and subject fit it (a design document of one's own for
"Write one design document", incidents or runbooks for a reliability result), or nothing; its progress is what
those items show (see :class:`Result`).

Each engineer's goals are their own: the first is about their team's work (Erin's safe payment retries,
Pat's refund events, a search engineer's ranking, …), the second about growing at their level (learning
the service end to end, reviewing designs, mentoring, leading a design across teams).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F

from brightline.goals import services
from brightline.goals.models import Goal
from brightline.goals.services import GoalDraft, KeyResultDraft, end_of_quarter

DELIVERY = ("merged_change", "release", "deployment")
RELIABILITY = ("incident_handled", "incident_debrief")


@dataclass(frozen=True)
class Result:
    """A demo key result and the evidence that can show it: an item of one of ``kinds`` belonging to the goal's
    owner, whose title or summary holds one of the words in ``about`` (``None``: any item of those kinds, the kind
    being the subject, as for "Write one design document"). Nothing fitting: nothing is cited, and the progress
    is 0 — a goal never rests on an item about something else. ``count`` is for a key result that counts items
    ("Review four design documents"): its progress is the share of them cited; otherwise, with something
    fitting, ``progress`` is the owner's own reading."""

    text: str
    progress: int
    kinds: tuple[str, ...]
    about: tuple[str, ...] | None
    count: int = 0


GoalText = tuple[str, str, tuple[Result, ...]]

# The personas' own goals, written for their story (Erin works towards IC3 and has led the retry work;
# Pat, IC3, built the refund webhooks and is the team's most experienced engineer).
PERSONA_GOALS: dict[str, tuple[GoalText, GoalText]] = {
    "erin": (
        ("Make payment retries safe to run twice",
         "Retrying a payment never charges a customer twice, and the team trusts the retry path in incidents.",
         (Result("Every retry path carries an idempotency key", 70, DELIVERY, ("idempoten",)),
          Result("A runbook for stuck retries, tried in a drill", 40, RELIABILITY, ("runbook", "drill")))),
        ("Grow as a reviewer of designs",
         "Design reviews I join leave the author with fewer open questions about failure modes.",
         (Result("Review four design documents this quarter", 0, ("design_review",), None, count=4),
          Result("Write one design document of my own", 0, ("design_doc",), None, count=1))),
    ),
    "pat": (
        ("Refund events partners can rely on",
         "Partners receive every refund event once, in order, and can replay a day of events themselves.",
         (Result("Refund webhooks delivered within a minute, 99.9 % of the time", 65, DELIVERY, ("webhook",)),
          Result("Partners replay a day of events without asking us", 30, DELIVERY, ("replay",)))),
        ("Help a newer engineer take on on-call",
         "A newer teammate runs an on-call week for the payments services on their own and feels ready for it.",
         (Result("Pair on four incidents or drills before their first week", 0, ("pairing",),
                 ("incident", "drill", "on-call"), count=4),
          # What the newer engineer does is not Pat's evidence: nothing of Pat's can show it.
          Result("They lead the debrief of an incident they handled", 15, (), None))),
    ),
}

# The team goal of an engineer in each other team.
TEAM_GOALS: dict[str, GoalText] = {
    "checkout": ("Make checkout fast on slow phones",
                 "The slowest tenth of checkout page loads on a mid-range phone finish within three seconds.",
                 (Result("Page-weight budget enforced in the build", 60, DELIVERY, ("page weight", "page-weight")),
                  Result("Slowest tenth of mobile loads under 3 s", 35, DELIVERY, ("mobile load", "slow phone")))),
    "search": ("Put the right product first more often",
               "Customers pick the first result more often for the hundred most common searches.",
               (Result("An offline relevance check for the top 100 searches", 65, DELIVERY, ("relevance",)),
                Result("The new ranking tried on a tenth of the traffic", 30, DELIVERY, ("ranking",)))),
    "mobile": ("Release the apps every two weeks without drama",
               "Each fortnight's release ships on its day, and crash-free sessions stay at 99.5 % or better.",
               (Result("Release checklist automated in the build", 55, DELIVERY, ("checklist",)),
                Result("Crash-free sessions at 99.5 % or better", 70, (*DELIVERY, *RELIABILITY), ("crash",)))),
    "platform": ("A new service on the paved road in a day",
                 "A product team goes from an empty repository to a deployed, monitored service in one working day.",
                 (Result("Service template with a deploy pipeline and dashboards", 60, DELIVERY, ("template",)),
                  Result("Two product teams start from it", 25, DELIVERY, ("template",)))),
    "devex": ("Builds developers trust",
              "A red build means a real problem: flaky tests are found and quarantined before they waste anyone's day.",
              (Result("Flaky tests quarantined within a day", 50, DELIVERY, ("flaky",)),
               Result("Median build time under ten minutes", 35, DELIVERY, ("build time",)))),
    "sre": ("Shorter, calmer incidents",
            "Whoever is paged finds what to do from the alert itself, and serious incidents end sooner.",
            (Result("Every critical alert links its runbook", 55, (*DELIVERY, *RELIABILITY), ("runbook",)),
             Result("Error budget policy agreed with two product teams", 30, ("design_doc",), ("error budget",)))),
    "billing-legacy": ("Move invoices off the legacy billing core safely",
                       "Invoices come from the new system with the same totals, and the old one can be switched off.",
                       (Result("Three months of invoices compared with the new system", 40, DELIVERY, ("invoice",)),
                        Result("The way back rehearsed once", 60, RELIABILITY, ("rollback", "way back")))),
}

# The growth goal of an engineer at each level.
LEVEL_GOALS: dict[str, GoalText] = {
    "IC1": ("Learn our services end to end",
            "I can explain how a request flows through each of the team's services and ship a change to any of them.",
            (Result("Ship a change to each of the team's services", 45, DELIVERY, None),
             Result("Shadow two on-call weeks", 50, RELIABILITY, ("shadow",)))),
    "IC2": ("Own a part of our service",
            "The team asks me about one part of the service, and its runbook and alerts are up to date.",
            (Result("Its runbook rewritten and tried in a drill", 45, RELIABILITY, ("runbook", "drill")),
             Result("Its noisiest alert fixed or removed", 60, (*DELIVERY, *RELIABILITY), ("alert",)))),
    "IC3": ("Help a newer engineer grow",
            "A newer teammate takes a piece of work from design to release, with me as a sounding board.",
            (Result("Pair with them every week", 60, ("pairing",), None),
             Result("They present their design at the team review", 20, ("design_review",), ("present",)))),
    "IC4": ("Lead a design across two teams",
            "A change that needs two teams is designed once, agreed by both, and delivered without surprises.",
            (Result("Design document signed off by both teams", 40, ("design_doc",), ("signed off", "two teams")),
             Result("Each team's first milestone shipped", 10, DELIVERY, ("milestone",)))),
    "IC5": ("Set the technical direction for a shared problem",
            "Teams facing the same problem follow one written direction and know why.",
            (Result("A written direction reviewed by the teams it affects", 35, ("design_doc",), ("direction",)),
             Result("Two teams changed course because of it", 10, ("design_doc", "design_review"), ("direction",)))),
}

CITED_PER_RESULT = 2  # at most, for a key result that does not count items

# The work each goal owner did towards their goals, recorded as evidence (kind, title, summary, days ago) before
# the goals are written, so that every goal rests on something that fits it; "{service}" is the team's service.
# Erin's and most of Pat's come with the delivery history (``brightline.evidence.demo``); Pat's pairing on a drill
# is here.
Work = tuple[tuple[str, str, str, int], ...]
PERSONA_WORK: dict[str, Work] = {
    "pat": (("pairing", "Paired on: a refunds-worker incident drill with a newer teammate",
             "Ran the drill together; the newcomer led the second half and wrote the notes.", 24),),
}
TEAM_WORK: dict[str, Work] = {
    "checkout": (("merged_change", "Page-weight budget enforced in the checkout build",
                  "The build fails when a page grows past its budget; three pages were trimmed to fit.", 48),
                 ("release", "Lighter product images for slow phones",
                  "Images are sized for the screen, so checkout opens sooner on mid-range phones.", 19)),
    "search": (("merged_change", "Offline relevance check for the most common searches",
                "Runs on every change to how results are ordered and lists the searches that got worse.", 55),
               ("deployment", "New ranking model on a tenth of the traffic",
                "Behind a flag, compared with the current order for two weeks.", 16)),
    "mobile": (("merged_change", "Release checklist automated in the app build",
                "Store notes, screenshots and version numbers now come from the build.", 42),
               ("incident_handled", "Crash on app start after the login library update",
                "Rolled back within the hour; crash-free sessions were back above target the same day.", 27)),
    "platform": (("merged_change", "Service template with a deploy pipeline and dashboards",
                  "A new repository gets a pipeline, dashboards and paging from its first day.", 61),
                 ("release", "Service template adopted by the search team",
                  "Their new service went from an empty repository to production with it.", 22)),
    "devex": (("merged_change", "Quarantine for flaky tests",
               "A test that fails and passes on the same commit is set aside within a day, with its owner told.", 50),
              ("merged_change", "Build time cut by caching dependencies",
               "The main branch's median build is about a third shorter.", 23)),
    "sre": (("incident_handled", "Paging storm on the observability stack",
             "Calmed the storm; every critical alert now links its runbook.", 44),
            ("design_doc", "Error budget policy for product teams",
             "What a team does when it spends its budget, agreed with payments and checkout.", 29)),
    "billing-legacy": (("merged_change", "Invoice comparison between the legacy and new billing systems",
                        "Each night's invoices are compared line by line; differences go to the team.", 58),
                       ("incident_debrief", "Debrief: rollback rehearsal of the billing cut-over",
                        "The way back took forty minutes; two steps were scripted afterwards.", 18)),
}
LEVEL_WORK: dict[str, Work] = {
    "IC1": (("incident_handled", "Shadowed an on-call week for {service}",
             "Joined every page with the on-call engineer and wrote up two of them.", 35),),
    "IC2": (("incident_debrief", "Debrief: the {service} runbook tried in a drill",
             "The rewritten runbook was followed step by step; two gaps were fixed.", 31),
            ("incident_handled", "Noisiest alert of {service} fixed",
             "It fired on every deploy; it now waits for the error rate to hold.", 14)),
    "IC3": (("pairing", "Paired on: a {service} change with a newer teammate",
             "Weekly pairing; the teammate took the change from design to release.", 21),
            ("design_review", "Review notes: a newer teammate's design presented at the team review",
             "Helped prepare it; the team agreed it with two small changes.", 12)),
    "IC4": (("design_doc", "Design signed off by two teams: shared sessions for {service}",
             "Agreed by both teams before any code was written.", 40),
            ("release", "First milestone of shared sessions shipped",
             "Both teams' first milestone went out in the same week.", 9)),
    "IC5": (("design_doc", "A written direction for service-to-service authentication",
             "Reviewed by every team it affects; two teams changed course because of it.", 45),),
}


def _record_work(owner: Any, today: dt.date) -> None:
    """The owner's work towards their goals as evidence items (see ``TEAM_WORK``), dated before ``today``; none
    for a persona whose work the delivery history records already."""
    from brightline.evidence.demo import SERVICES
    from brightline.evidence.models import EvidenceItem

    username = owner.user.username if owner.user else ""
    if username in PERSONA_GOALS:
        work = PERSONA_WORK.get(username, ())
    else:
        work = TEAM_WORK.get(owner.team.slug, ()) + LEVEL_WORK.get(owner.level.code, ())
    service = SERVICES[owner.team.slug][0][0] if owner.team and owner.team.slug in SERVICES else "the service"
    items = []
    for index, (kind, title, summary, days_ago) in enumerate(work):
        moment = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(11), tzinfo=dt.UTC)
        items.append(EvidenceItem(kind=kind, title=title.format(service=service), summary=summary,
                                  occurred_at=moment, person=owner, team=owner.team, service=service,
                                  source="demo", source_ref=f"goal-work-{owner.employee_id}-{index}"))
    created = EvidenceItem.objects.bulk_create(items)
    # Recorded when it happened, not on the real clock (which may run past the demo's "today").
    EvidenceItem.objects.filter(pk__in=[item.pk for item in created]).update(
        created_at=F("occurred_at") + dt.timedelta(minutes=30))


def evidence_for(result: Result, evidence: list[Any]) -> list[int]:
    """The items of ``evidence`` (the owner's own, newest first) that can show ``result``: none rather than one
    about something else."""
    fitting = [item.pk for item in evidence if item.kind in result.kinds and (
        result.about is None or any(word in f"{item.title} {item.summary}".lower() for word in result.about))]
    return fitting[:result.count or CITED_PER_RESULT]


def progress_of(result: Result, cited: list[int]) -> int:
    """A key result's progress as its evidence shows it: the share of the items it counts, the owner's reading
    when something is cited, and 0 when nothing is."""
    if result.count:
        return round(100 * min(len(cited), result.count) / result.count)
    return result.progress if cited else 0


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
    for owner in owners:
        _record_work(owner, context.today)
        evidence = list(services.citable_evidence(owner).filter(person=owner)[:40])
        for index, (title, success, results) in enumerate(goals_for(owner)):
            drafts = []
            for result in results:
                cited = evidence_for(result, evidence)
                drafts.append(KeyResultDraft(result.text, progress_of(result, cited), cited))
            # A goal is achieved when each of its key results is done, as its evidence shows.
            done = all(draft.progress == 100 for draft in drafts)
            status = Goal.Status.ACHIEVED if done else Goal.Status.IN_PROGRESS
            services.save_goal(owner, actor=owner, draft=GoalDraft(
                title, success, due + dt.timedelta(days=90 * index), status, drafts))
