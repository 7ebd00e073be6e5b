"""The people partner's home: how every open review cycle stands across teams, what is overdue, what the audit
trail flags, and which imports failed — each with a link to the page where the people partner acts on it.

Every figure is about the process (counts per team, dates), not about anyone's performance; names appear only
where the people partner must act for one person (an appeal, a support-plan check-in).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, FloatField, Max, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Collate
from django.urls import reverse
from django.utils import timezone

from brightline.audit.models import AuditEntry
from brightline.audit.services import REFUSED_READ, verify_access_log, verify_chain
from brightline.jobs.models import JobRun
from brightline.people.models import LoginThrottle, Person
from brightline.reviews.models import Appeal, Phase, Review, ReviewCycle, phase_index
from brightline.reviews.services.cycles import phases_closed_on
from brightline.reviews.services.preview import packet_notes_open
from brightline.rollups.services import Pending, queue_missing, read_one
from brightline.support.models import Cadence, SupportPlan

CADENCE_DAYS = {Cadence.WEEKLY: 7, Cadence.FORTNIGHTLY: 14, Cadence.MONTHLY: 30}
FLAG_WINDOW_DAYS = 30
SSO_REFUSED = "people.sso.refused"
LOCKED = "locked logins"  # the locked-login count's label in the flags' one query (not an audit action)
FAILED_IMPORTS = 5
# Both chains are walked by the hourly rollup job, not on a page load: a walk reads every entry and every read
# of a record, which grows with the organisation and its history.
VERIFICATION_ROLLUP = "audit-verification"
# Jobs that bring data in: their failures are import errors the people partner follows up.
IMPORT_JOB_PREFIXES = ("evidence.",)
# Teams in a cycle's progress table on the home page, furthest behind first; the cycle's page lists them all.
HOME_TEAMS = 12
IMPORT_JOB_LABELS = {"evidence.ingest_git": "Reading a git repository", "evidence.sync_sources": "Evidence source sync"}


@dataclass(frozen=True)
class TeamProgress:
    team: str
    people: int
    self_reviews: int
    assessments: int
    acknowledged: int


@dataclass
class CycleOverview:
    """An open cycle's progress: ``teams`` holds the teams furthest behind on the current step (at most
    ``HOME_TEAMS``, furthest behind first), ``total`` the counts over every review, ``team_count`` how many teams
    (people without a team count as one, "No team") have someone reviewed in it."""

    cycle: ReviewCycle
    phase: str
    phase_ends_on: date | None
    url: str
    teams: list[TeamProgress] = field(default_factory=list)
    total: TeamProgress = field(default_factory=lambda: TeamProgress("", 0, 0, 0, 0))
    team_count: int = 0

    def submitted(self, step: str) -> tuple[int, int]:
        done = self.total.self_reviews if step == Phase.SELF_REVIEW else self.total.assessments
        return done, self.total.people

    def behind_first(self) -> list[TeamProgress]:
        """The teams the home page lists: those furthest behind on the current step first (the smallest share of
        its submissions in; acknowledgements once released), at most ``HOME_TEAMS``; the cycle page has them all."""
        return self.teams

    @property
    def more_teams(self) -> int:
        return max(0, self.team_count - len(self.teams))

    def progress(self) -> str:
        """How far the current step is, in words: "0 of 7 assessments in"."""
        if self.cycle.phase not in (Phase.SELF_REVIEW, Phase.MANAGER_ASSESSMENT):
            return ""
        done, people = self.submitted(self.cycle.phase)
        what = "self reviews" if self.cycle.phase == Phase.SELF_REVIEW else "assessments"
        return f"{done} of {people} {what} in"

    @property
    def notes_open(self) -> bool:
        """Whether the people reviewed can still add notes to their review, so a missed self review still has a
        way to add context."""
        return packet_notes_open(self.cycle)

    def missed(self) -> list[str]:
        """Steps that closed with something not submitted: no longer overdue (the step cannot be done any more),
        but a fact the people partner should not have to work out from the table."""
        lines = []
        closed: dict[str, date] | None = None
        for step, what, step_name in ((Phase.SELF_REVIEW, "self reviews", "self-review"),
                                      (Phase.MANAGER_ASSESSMENT, "assessments", "assessment")):
            if phase_index(self.cycle.phase) <= phase_index(step):
                continue
            done, people = self.submitted(step)
            if done < people:
                # The day the step really closed (a step advanced early closes before its scheduled end).
                closed = phases_closed_on(self.cycle) if closed is None else closed
                ended = closed.get(step) or _day(self.cycle.phase_ends_on(step))
                lines.append(f"{people - done} of {people} {what} were not submitted before the {step_name} step "
                             "closed" + (f" on {ended:%-d %b %Y}." if ended else "."))
        return lines


@dataclass(frozen=True)
class Action:
    text: str
    due_on: date
    url: str
    link_text: str


@dataclass(frozen=True)
class Flag:
    ok: bool
    text: str
    url: str
    link_text: str


@dataclass(frozen=True)
class FailedImport:
    name: str
    finished_at: object
    error: str
    url: str


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def step_done(phase: str) -> str:
    """Which count says how far the current step is: self reviews, then assessments, acknowledgements once
    released."""
    if phase == Phase.SELF_REVIEW:
        return "self_reviews"
    if phase in (Phase.RELEASE, Phase.ACKNOWLEDGEMENT):
        return "acknowledged"
    return "assessments"


# Each count of a cycle's progress: the reviews, and those with this moment recorded.
PROGRESS_MOMENTS = {"people": "", "self_reviews": "self_review_submitted_at",
                    "assessments": "assessment_submitted_at", "acknowledged": "acknowledged_at"}


def _progress_counts(review: str = "") -> dict[str, Count]:
    """``PROGRESS_MOMENTS`` counted over reviews (``review``: the path to them, from a cycle ``"reviews__"``)."""
    return {name: Count(f"{review}pk" if review else "pk",
                        filter=Q(**{f"{review}{moment}__isnull": False}) if moment else None)
            for name, moment in PROGRESS_MOMENTS.items()}


PROGRESS_COUNTS = _progress_counts()


def _team_label(review: str = "") -> Collate:
    """A review's team name ("No team" without one), compared by code point as Python compares strings: the
    order of ties does not depend on the database's collation. ``review``: the path to the review, from a cycle."""
    return Collate(Coalesce(f"{review}team__name", Value("No team")),
                   "C" if connection.vendor == "postgresql" else "BINARY")


def _progress(row: dict[str, Any], label: str = "") -> TeamProgress:
    return TeamProgress(label or row.get("team_label") or "", row["people"], row["self_reviews"], row["assessments"],
                        row["acknowledged"])


def _with_totals(cycles: QuerySet[ReviewCycle]) -> QuerySet[ReviewCycle]:
    """``cycles``, each with the counts of ``PROGRESS_COUNTS`` over its reviews (``total_people`` …) and how many
    teams those reviews are in (``total_teams``), counted by the database in the query that reads the cycles."""
    counts = {f"total_{name}": count for name, count in _progress_counts("reviews__").items()}
    return cycles.annotate(**counts, total_teams=Count(_team_label("reviews__"), distinct=True,
                                                       filter=Q(reviews__isnull=False)))


def _cycles(open_cycles: list[ReviewCycle], *, with_teams: bool = True) -> list[CycleOverview]:
    """Each cycle's totals (read with the cycles, ``_with_totals``) and the teams furthest behind on its current
    step (one query per open cycle, counted and ordered by the database; left out with ``with_teams=False``): no
    row per team of the organisation reaches Python."""
    overviews = []
    for cycle in open_cycles:
        overview = CycleOverview(cycle, cycle.get_phase_display(), _day(cycle.phase_ends_on(cycle.phase)),
                                 reverse("reviews:cycle", args=[cycle.pk]))
        row = {name: getattr(cycle, f"total_{name}") for name in (*PROGRESS_COUNTS, "teams")} \
            if getattr(cycle, "total_people", 0) else None  # a cycle without reviews has no totals
        if row is not None:
            overview.total, overview.team_count = _progress(row, "All teams"), row["teams"]
        if row is not None and with_teams:
            overview.teams = [_progress(each) for each in _teams_by_share(step_done(cycle.phase)).filter(
                cycle=cycle)[:HOME_TEAMS]]
        overviews.append(overview)
    return overviews


def _overdue_steps(overviews: list[CycleOverview], today: date) -> list[Action]:
    """Open cycles past the end of their self-review or assessment phase, counted from the per-team progress."""
    actions: list[Action] = []
    for overview in overviews:
        cycle = overview.cycle
        if cycle.phase not in (Phase.SELF_REVIEW, Phase.MANAGER_ASSESSMENT) or overview.phase_ends_on is None \
                or overview.phase_ends_on >= today:
            continue
        submitted, people = overview.submitted(cycle.phase)
        waiting = people - submitted
        if waiting:
            what = "self review" if cycle.phase == Phase.SELF_REVIEW else "manager assessment"
            actions.append(Action(f"{cycle.name}: {waiting} {what}{'s' if waiting != 1 else ''} not submitted",
                                  overview.phase_ends_on, overview.url, "Open the cycle"))
    return actions


def open_appeals() -> list[Appeal]:
    """Every appeal not decided yet, with whose review it is: the home's overdue list and the inbox's appeals to
    decide or to give a reviewer both come from it (one query; appeals are few)."""
    return list(Appeal.objects.filter(
        Q(status__in=(Appeal.Status.REQUESTED, Appeal.Status.IN_REVIEW))
        | Q(status=Appeal.Status.ESCALATED, escalation_decided_at__isnull=True)
        | Q(status=Appeal.Status.ESCALATED, escalation_reviewer__isnull=True)).select_related("review__person"))


def open_plans() -> list[SupportPlan]:
    """Every active or proposed support plan with its person and last check-in (one query), for the home's overdue
    list and the inbox's check-ins."""
    return list(SupportPlan.objects.filter(status__in=(SupportPlan.Status.ACTIVE, SupportPlan.Status.PROPOSED))
                .select_related("person").annotate(last_check_in=Max("check_ins__held_on")))


def _appeal_overdue(appeal: Appeal, today: date) -> bool:
    if appeal.status == Appeal.Status.ESCALATED:
        return (appeal.escalation_decided_at is None and appeal.escalation_due_on is not None
                and appeal.escalation_due_on < today)
    return appeal.status in (Appeal.Status.REQUESTED, Appeal.Status.IN_REVIEW) and appeal.due_on < today


def _overdue(overviews: list[CycleOverview], today: date, appeals: list[Appeal],
             plans: list[SupportPlan]) -> list[Action]:
    actions = _overdue_steps(overviews, today)
    for appeal in (appeal for appeal in appeals if _appeal_overdue(appeal, today)):
        due = appeal.escalation_due_on if appeal.status == Appeal.Status.ESCALATED else appeal.due_on
        actions.append(Action(f"The appeal of {appeal.review.person.name} is waiting for a decision",
                              due or appeal.due_on, reverse("reviews:appeal", args=[appeal.pk]), "Open the appeal"))
    for plan in (plan for plan in plans if plan.status == SupportPlan.Status.ACTIVE):
        due = (plan.last_check_in or plan.starts_on) + timedelta(days=CADENCE_DAYS.get(plan.cadence, 14))
        if plan.ends_on < today:
            actions.append(Action(f"The support plan of {plan.person.name} has passed its end date without an "
                                  "outcome", plan.ends_on, reverse("support:plan", args=[plan.pk]), "Open the plan"))
        elif due < today:
            actions.append(Action(f"The support-plan check-in with {plan.person.name} is overdue", due,
                                  reverse("support:plan", args=[plan.pk]), "Open the plan"))
    for plan in (plan for plan in plans if plan.status == SupportPlan.Status.PROPOSED):
        proposed_on = timezone.localdate(plan.opened_at)
        if proposed_on + timedelta(days=7) < today:
            actions.append(Action(f"The support plan proposed for {plan.person.name} waits for a second approver",
                                  proposed_on + timedelta(days=7), reverse("support:plan", args=[plan.pk]),
                                  "Open the plan"))
    return sorted(actions, key=lambda action: (action.due_on, action.text))


def verify_both(key: str = "") -> dict[str, bool]:
    """The rollup behind the audit flags: walk both chains (the hourly job and the nightly refresh run this)."""
    return {"audit": verify_chain().ok, "access": verify_access_log().ok}


def _verification() -> tuple[bool, bool, datetime] | None:
    """Both chains' last verification and when it ran (computed now only if it never ran, in a small
    organisation; in a large one the walk is queued and None returned until it has run)."""
    try:
        fresh = read_one(VERIFICATION_ROLLUP, "")
    except Pending as pending:
        queue_missing(pending.kind, pending.keys)
        return None
    return bool(fresh.value["audit"]), bool(fresh.value["access"]), fresh.as_of


def _chain_flags(trail: str) -> list[Flag]:
    verification = _verification()
    if verification is None:
        return [Flag(False, "The audit trail and the log of record reads have not been checked yet: the first "
                     "check is running and its result will appear here in a few minutes.", trail,
                     "Open the audit trail")]
    audit_ok, access_ok, checked_at = verification
    checked = f" (checked {timezone.localtime(checked_at):%-d %b %Y %H:%M})"
    return [
        Flag(audit_ok, ("The audit trail verifies: no entry was changed or removed." if audit_ok
                        else "The audit trail does not verify: an entry was changed or removed.") + checked, trail,
             "Open the audit trail"),
        Flag(access_ok, ("The log of record reads verifies." if access_ok
                         else "The log of record reads does not verify: a read was changed or removed.") + checked,
             trail, "Open the audit trail"),
    ]


def _flags(viewer: Person) -> list[Flag]:
    trail = reverse("audit-trail")
    since = timezone.now() - timedelta(days=FLAG_WINDOW_DAYS)
    # Both refusal counts (on the action index) and the locked logins in one query: the home page is inside a
    # query budget. A count with no row is left out of the answer, hence the zeros.
    counts = dict(
        AuditEntry.objects.filter(action__in=(SSO_REFUSED, REFUSED_READ), created_at__gte=since)
        .values_list("action").annotate(n=Count("pk")).order_by()
        .union(LoginThrottle.objects.filter(locked_until__gt=timezone.now()).annotate(kind=Value(LOCKED))
               .values_list("kind").annotate(n=Count("pk")).order_by(), all=True))
    refused, locked = counts.get(SSO_REFUSED, 0), counts.get(LOCKED, 0)
    return [
        *_chain_flags(trail),
        Flag(refused == 0, f"{refused} single sign-on login{'s' if refused != 1 else ''} refused in the last "
             f"{FLAG_WINDOW_DAYS} days." if refused else f"No single sign-on login refused in the last "
             f"{FLAG_WINDOW_DAYS} days.", trail, "See them in the audit trail"),
        _refused_reads_flag(counts.get(REFUSED_READ, 0)),
        Flag(locked == 0, f"{locked} login{'s are' if locked != 1 else ' is'} locked after repeated wrong passwords."
             if locked else "No login is locked after wrong passwords.",
             reverse("admin:index") if viewer.user is not None and viewer.user.is_staff else "",
             "Open the administration"),
    ]


def _refused_reads_flag(refused: int) -> Flag:
    """Refused attempts to open someone's record in the flag window."""
    if not refused:
        return Flag(True, f"Nobody was refused a person's record in the last {FLAG_WINDOW_DAYS} days.", "", "")
    return Flag(False, f"{refused} refused attempt{'s' if refused != 1 else ''} to open a person's record in the "
                f"last {FLAG_WINDOW_DAYS} days.", reverse("refused-reads"), "See who tried")


def _failed_imports() -> list[FailedImport]:
    wanted = Q()
    for prefix in IMPORT_JOB_PREFIXES:
        wanted |= Q(name__startswith=prefix)
    runs = JobRun.objects.filter(wanted, status=JobRun.Status.FAILED).order_by("-finished_at", "-pk")[:FAILED_IMPORTS]
    return [FailedImport(IMPORT_JOB_LABELS.get(run.name, "Import"), run.finished_at or run.created_at,
                         (run.error or run.message or "No reason recorded.").splitlines()[0][:200],
                         reverse("evidence:job", args=[run.pk]) if run.name == "evidence.ingest_git"
                         else reverse("evidence:ingest")) for run in runs]


#: The summary's overdue line when a closed step missed submissions: what missed is not overdue, and says so.
NOTHING_OPEN_OVERDUE = "No open step is overdue; what a closed step missed is listed under Review cycles below."


def _summary(cycles: list[CycleOverview], overdue: list[Action], flags: list[Flag],
             imports: list[FailedImport]) -> list[str]:
    """The people partner's first sentences: where each open cycle stands, then what is overdue or flagged."""
    lines = []
    missed_any = False
    for overview in cycles:
        line = f"The {overview.cycle.name} is in {overview.phase.lower()}"
        if overview.phase_ends_on:
            line += f" until {overview.phase_ends_on:%-d %b %Y}"
        progress = overview.progress()
        lines.append(line + (f": {progress}." if progress else "."))
        missed = overview.missed()
        missed_any = missed_any or bool(missed)
        lines.extend(missed)
    bad = [flag for flag in flags if not flag.ok]
    # A closed step cannot be overdue, but "nothing is overdue" next to what it missed reads as "all is well".
    lines.append(f"{len(overdue)} overdue action{'s' if len(overdue) != 1 else ''} below." if overdue
                 else NOTHING_OPEN_OVERDUE if missed_any else "Nothing is overdue.")
    lines.append(f"Audit: {len(bad)} flag{'s' if len(bad) != 1 else ''} to look at." if bad
                 else "Audit: every check passes.")
    if imports:
        lines.append(f"{len(imports)} recent import{'s' if len(imports) != 1 else ''} failed.")
    return lines


# The home pages' two cycle queries have the same shape on every request: each is built once per process (its
# annotations resolved once, most of what building it costs) and copied (``.all()``, ``.filter()``) for each use.
@functools.cache
def _open_cycles_with_totals() -> QuerySet[ReviewCycle]:
    return _with_totals(ReviewCycle.objects.exclude(phase=Phase.CLOSED).order_by("-opened_at"))


@functools.cache
def _teams_by_share(step: str) -> QuerySet[Review, dict[str, Any]]:
    """Reviews' progress counts per team, the teams furthest behind on ``step`` (a count) first; filter by cycle."""
    share = Cast(step, FloatField()) / Cast("people", FloatField())
    return (Review.objects.annotate(team_label=_team_label()).values("team_label").annotate(**PROGRESS_COUNTS)
            .annotate(share=share).order_by("share", "team_label"))


def open_cycle_overviews(*, with_teams: bool = True) -> list[CycleOverview]:
    """Every cycle not closed yet, newest first, with its totals and, unless ``with_teams=False`` (a page that shows
    only the totals), the teams furthest behind (one query, and one more per open cycle for its teams)."""
    return _cycles(list(_open_cycles_with_totals().all()), with_teams=with_teams)


def partner_home(viewer: Person, *, today: date | None = None, appeals: list[Appeal] | None = None,
                 plans: list[SupportPlan] | None = None) -> dict[str, Any]:
    """The people partner's cards; ``appeals`` and ``plans`` are ``open_appeals()`` and ``open_plans()`` when the
    page has read them already for the inbox."""
    today = today or timezone.localdate()
    cycles = open_cycle_overviews()
    overdue = _overdue(cycles, today, open_appeals() if appeals is None else appeals,
                       open_plans() if plans is None else plans)
    flags, imports = _flags(viewer), _failed_imports()
    return {"partner_cycles": cycles, "partner_overdue": overdue, "partner_flags": flags,
            "partner_imports": imports, "partner_summary": _summary(cycles, overdue, flags, imports)}
