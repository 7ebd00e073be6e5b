"""A manager's team at a glance (requirement H2): load and wellbeing per direct report, coaching prompts,
reliability risks (each anomaly with its owner and a next step), work that is easy to miss, and review-cycle
progress.

Only figures about *load* are shown per person — work outside the person's own working hours, pages
received, the share of the team's pages — never activity counts (commits, lines, items) as a measure of
performance. Rows are in name order, never sorted by a figure. Per-person figures are the restricted
team-health detail, so each person shown is checked with ``access.can_view_health_detail`` and the read
is written to their access log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from brightline import access
from brightline.audit.services import log_action, record_reads
from brightline.core.delivery import WorkSchedule
from brightline.core.insights import missing_evidence_reason
from brightline.core.insights.evidence_checks import in_review
from brightline.dashboards.inbox import left_off_a_leaders_home
from brightline.dashboards.models import CoachingPromptDecision
from brightline.evidence.metrics import HealthReport, default_window, summarise_health
from brightline.evidence.models import EvidenceItem
from brightline.goals.models import Goal
from brightline.insights.models import Signal, SignalKind
from brightline.links import reverse
from brightline.people.models import Person, Team
from brightline.people.queries import direct_reports
from brightline.reviews.models import STEP_PHASES, Phase, Review, phase_index

# Shade 0–3 of the single-hue scale; the thresholds are printed in the legend of the page.
OUTSIDE_HOURS_STEPS = (0.10, 0.20, 0.35)  # share of a person's recorded work outside their own hours
PAGES_OUTSIDE_STEPS = (1, 3, 6)  # pages received outside working hours in the window
# On-call work with nothing recorded becomes a prompt from this many pages in the window: a single page is not yet
# work that goes unseen, and a prompt for it nagged every manager of a rota that had one quiet night each.
ON_CALL_PROMPT_PAGES = 3
PAGE_SHARE_STEPS = (1.25, 1.75, 2.5)  # share of the team's pages, as a multiple of an even share
OUTSIDE_HOURS_PROMPT = 0.20
# A share of a handful of items is not a pattern (two late commits are "50 %"): a person's or a team's share
# becomes a prompt only when it rests on at least this many recorded items in the window.
OUTSIDE_HOURS_MIN_ITEMS = 4
# A person is asked about only when clearly above their own team's share; a team-wide share is raised once, for
# the team, as a pattern to look at together rather than as anyone's problem.
ABOVE_TEAM_PROMPT = 0.10
HARD_TO_SEE_KINDS = (EvidenceItem.Kind.INCIDENT_DEBRIEF, EvidenceItem.Kind.DESIGN_REVIEW,
                     EvidenceItem.Kind.DESIGN_DOC, EvidenceItem.Kind.CODE_REVIEW)
# Work that keeps others going and rarely shows in delivery figures: named on the page (the latest item of each
# kind), never counted, so that it is recognised in check-ins and reviews.
# Pairing (a co-author of someone else's change, from its ``Co-authored-by:`` line) is how mentoring shows in git.
EASY_TO_MISS_KINDS = (EvidenceItem.Kind.INCIDENT_HANDLED, *HARD_TO_SEE_KINDS, EvidenceItem.Kind.PAIRING)
EASY_TO_MISS_SHOWN = 4


def shade(value: float | None, steps: tuple[float, float, float]) -> int:
    if value is None:
        return 0
    return sum(value >= step for step in steps)


@dataclass(frozen=True)
class Cell:
    text: str
    shade: int
    note: str = ""


@dataclass(frozen=True)
class Prompt:
    text: str
    action: str
    url: str
    # Which prompt of its person or team this is, and what made it appear (see ``dashboards.models``): a decision
    # to mark it done or not now covers these facts, and the prompt comes back when one is true that was not then.
    key: str = ""
    facts: frozenset[str] = frozenset()
    # Why the prompt is there and what would settle it, when that takes more than its line: shown folded under it.
    why: str = ""


@dataclass(frozen=True)
class Anomaly:
    """A change in one of a team's delivery trends, with who follows it up and what to do next."""

    team: Team
    text: str
    worse: bool | None
    owner: str
    next_step: str
    url: str


@dataclass(frozen=True)
class TeamReliability:
    """A team's delivery and on-call figures over the rollup's window, in words, and its delivery page."""

    team: Team
    lines: list[str]
    url: str
    weeks: int


@dataclass
class ReportRow:
    person: Person
    outside_hours: Cell
    pages: Cell
    pages_outside: Cell
    page_share: Cell
    prompts: list[Prompt] = field(default_factory=list)
    review: Review | None = None
    review_status: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)
    # The latest item of each kind of work that is easy to miss, as (title, kind in words, day).
    easy_to_miss: list[tuple[str, str, date]] = field(default_factory=list)


def _iso_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


@dataclass(frozen=True)
class CycleProgress:
    name: str
    phase: str
    phase_ends_on: date | None
    people: int
    self_reviews: int
    assessments: int
    acknowledged: int
    url: str | None


@dataclass
class TeamGlance:
    rows: list[ReportRow]
    cycles: list[CycleProgress]
    start: datetime
    end: datetime
    teams: list[Team]
    team_prompts: list[tuple[Team, Prompt]] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    reliability: list[TeamReliability] = field(default_factory=list)
    set_aside: int = 0  # prompts the viewer marked done or not now, whose facts have not changed since
    # Links every listed person shares (their one team's health), given once above the people instead of in each line.
    shared_links: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def people_with_prompts(self) -> list[ReportRow]:
        return [row for row in self.rows if row.prompts]

    @property
    def people_with_easy_to_miss_work(self) -> list[ReportRow]:
        return [row for row in self.rows if row.easy_to_miss]

    @property
    def even_share(self) -> str:
        """The note under the share of the team's pages ("even share 14 %") when it is the same in every row (the
        reports are in one team): the column's head says it once instead."""
        notes = {row.page_share.note for row in self.rows}
        note = notes.pop() if len(notes) == 1 else ""
        return note if note.startswith("even share") else ""

    @property
    def reliability_gaps(self) -> list[str]:
        """A sentence for each of the teams whose delivery figures are not shown, true whether or not changes were
        found in its delivery trends: a change found means its history is in and only the summed-up figures wait
        for the refresh job; no change and no figures means nothing to show yet."""
        from brightline.rollups.delivery import DELIVERY_WINDOW_DAYS

        shown = {item.team.pk for item in self.reliability}
        with_changes = {anomaly.team.pk for anomaly in self.anomalies}
        gaps = []
        for team in self.teams:
            if team.pk in shown:
                continue
            if team.pk in with_changes:
                gaps.append(f"{team.name}: its figures for the last {DELIVERY_WINDOW_DAYS // 7} weeks are not summed "
                            "up yet (the nightly refresh does that), but its delivery history is in, and the changes "
                            "found in its trends are listed below.")
            else:
                gaps.append(f"{team.name}: no delivery figures yet. They appear once the team's services are "
                            "connected and the nightly refresh has summed them up.")
        return gaps

    @property
    def summary(self) -> str:
        """One sentence before the cards: what stands out, in counts of people and changes, never a ranking."""
        parts = []
        darkest = len(PAGE_SHARE_STEPS)
        heavy = [row for row in self.rows
                 if max(row.outside_hours.shade, row.pages_outside.shade, row.page_share.shade) >= darkest]
        if heavy:
            parts.append(f"the load of {_people(len(heavy))} is worth a check-in")
        changes = len(self.anomalies)
        if changes:
            worse = sum(1 for anomaly in self.anomalies if anomaly.worse)
            yours = sum(1 for anomaly in self.anomalies if anomaly.owner == "You")
            parts.append(f"{changes} change{'s' if changes != 1 else ''} in a delivery trend"
                         + (f" ({worse} for the worse)" if worse else "")
                         + (f", {'all' if yours == changes else yours} yours to follow up" if yours else ""))
        prompts = sum(len(row.prompts) for row in self.rows) + len(self.team_prompts)
        if prompts:
            parts.append(f"{prompts} coaching prompt{'s' if prompts != 1 else ''}")
        if not parts:
            return "Nothing stands out: no heavy load, no change in a delivery trend and no coaching prompt."
        text = "; ".join(parts)
        return f"What stands out: {text}."


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _percent(value: float) -> str:
    return f"{round(value * 100)} %"


def _load_cells(detail: object | None, report: HealthReport | None, team_people: int
                ) -> tuple[Cell, Cell, Cell, Cell, float | None, int]:
    if detail is None:
        empty = Cell("—", 0, "no work recorded in the window")
        return empty, Cell("0", 0), Cell("0", 0), Cell("—", 0, "no pages"), None, 0
    events = detail.events  # type: ignore[attr-defined]
    outside = (detail.after_hours_events + detail.weekend_events) / events if events else None  # type: ignore[attr-defined]
    pages = detail.pages  # type: ignore[attr-defined]
    pages_outside = detail.pages_outside_working_hours  # type: ignore[attr-defined]
    team_pages = report.team.pages if report is not None and report.team is not None else 0
    if team_pages and team_people:
        share = pages / team_pages
        even = 1 / team_people
        share_cell = Cell(_percent(share), shade(share / even, PAGE_SHARE_STEPS),
                          f"even share {_percent(even)} (1 in {team_people})")
    else:
        share_cell = Cell("—", 0, "no pages in the team")
    outside_cell = (Cell(_percent(outside), shade(outside, OUTSIDE_HOURS_STEPS)) if outside is not None
                    else Cell("—", 0, "no work recorded in the window"))
    return (outside_cell, Cell(str(pages), 0), Cell(str(pages_outside), shade(pages_outside, PAGES_OUTSIDE_STEPS)),
            share_cell, outside, pages)


def _review_status(review: Review) -> str:
    if review.acknowledged_at:
        return "acknowledged"
    if review.cycle.is_released:
        return "released, not yet acknowledged"
    if review.assessment_submitted_at:
        return "assessment submitted"
    if review.self_review_submitted_at:
        return "self review in; assessment to write"
    if phase_index(review.cycle.phase) > phase_index(Phase.SELF_REVIEW):
        # The self-review step has closed: nothing more will come from the person; the assessment goes ahead.
        return "no self review (the step closed); assessment to write"
    return "waiting for the self review"


# What each page about a person holds, in a few words, beside its link on their record.
HOLDS = {"growth": "accomplishments, feedback received, check-ins and notes before a review",
         "goals": "what they are working towards and the progress of each key result",
         "signals": "what the AI checks noticed, with confidence and quotes, to accept or dismiss",
         "review": "the self review, the assessment of each dimension and where the cycle stands",
         "health": "the whole team's working hours, on-call load and time off, as team totals",
         "reads": "everyone who opened this record, and when",
         "support": "support plans open or proposed, their check-ins, and proposing one",
         "move": "a new manager (for a second approver) or a new team, with the day it takes effect"}

SUPPORT_PLANS = "Support plans"


def record_links(viewer: Person, subject: Person, review: Review | None = None) -> list[tuple[str, str, str]]:
    """Everything the viewer may open about a person, as (label, url, what it holds): only pages that will answer."""
    links: list[tuple[str, str, str]] = []
    if access.can_view_growth_page(viewer, subject):
        links.append(("Growth page", reverse("feedback:growth", kwargs={"person_id": subject.pk}), HOLDS["growth"]))
    if access.can_view_goals(viewer, subject):
        links.append(("Goals", reverse("goals:index") if viewer.pk == subject.pk
                      else reverse("goals:person", kwargs={"person_id": subject.pk}), HOLDS["goals"]))
    if access.can_view_signals(viewer, subject):
        links.append(("AI signals", reverse("insights:person", kwargs={"person_id": subject.pk}), HOLDS["signals"]))
    if review is None:
        review = (Review.objects.filter(person=subject).select_related("cycle", "person")
                  .order_by("-cycle__opened_at", "-pk").first())
    if review is not None and access.can_view_review(viewer, review):
        links.append((f"Review: {review.cycle.name}", reverse("reviews:review", kwargs={"review_id": review.pk}),
                      HOLDS["review"]))
    if subject.team_id is not None and access.can_view_team_health(viewer, subject.team):
        links.append((f"Team health of {subject.team.name}", reverse("evidence:team-health",
                                                                     kwargs={"slug": subject.team.slug}),
                      HOLDS["health"]))
    if access.can_view_access_log(viewer, subject) and viewer.pk != subject.pk:
        links.append(("Who read this record", reverse("person-access-log", kwargs={"person_id": subject.pk}),
                      HOLDS["reads"]))
    if viewer.pk != subject.pk and access.can_open_support_plan(viewer, subject):
        links.append((SUPPORT_PLANS, reverse("support:index"), HOLDS["support"]))
    if (viewer.pk != subject.pk and subject.is_active and subject.organisation_id == viewer.organisation_id
            and access.can_manage_people(viewer)):
        links.append(("Change manager or team", reverse("people:manager-and-team", kwargs={"person_id": subject.pk}),
                      HOLDS["move"]))
    return links


def assessment_due(viewer: Person, subject: Person) -> tuple[str, str] | None:
    """When the viewer has ``subject``'s assessment to write in an open cycle: a sentence saying by when, and the
    review's address (one query), so that a report's record leads to the step that waits first."""
    review = (Review.objects.filter(person=subject, manager=viewer, assessment_submitted_at__isnull=True,
                                    cycle__phase=Phase.MANAGER_ASSESSMENT)
              .select_related("cycle").order_by("-cycle__opened_at", "-pk").first())
    if review is None:
        return None
    due = _iso_day(review.cycle.phase_ends_on(Phase.MANAGER_ASSESSMENT))
    first = subject.name.split()[0]
    return (f"Your assessment of {first} for the {review.cycle.name} waits for you"
            + (f", by {due:%-d %b %Y}." if due else "."),
            reverse("reviews:review", kwargs={"review_id": review.pk}))


def direct_report_links(viewer: Person, report: Person, review: Review | None) -> list[tuple[str, str, str]]:
    """:func:`record_links` for a direct report, without a query per person: the direct manager is in the
    report's chain, so may open the growth page, the signals, the review and the team's health."""
    if not access.is_direct_manager(viewer, report):
        raise ValueError("direct_report_links is for the viewer's own direct reports; use record_links.")
    links = [("Growth page", reverse("feedback:growth", kwargs={"person_id": report.pk}), HOLDS["growth"]),
             ("Goals", reverse("goals:person", kwargs={"person_id": report.pk}), HOLDS["goals"]),
             ("AI signals", reverse("insights:person", kwargs={"person_id": report.pk}), HOLDS["signals"])]
    if review is not None:
        links.append((f"Review: {review.cycle.name}", reverse("reviews:review", kwargs={"review_id": review.pk}),
                      HOLDS["review"]))
    if report.team_id is not None:
        links.append((f"Team health of {report.team.name}", reverse("evidence:team-health",
                                                                    kwargs={"slug": report.team.slug}),
                      HOLDS["health"]))
    if access.can_view_access_log(viewer, report):
        links.append(("Who read this record", reverse("person-access-log", kwargs={"person_id": report.pk}),
                      HOLDS["reads"]))
    links.append((SUPPORT_PLANS, reverse("support:index"), HOLDS["support"]))  # a manager may open one
    return links


def teams_health(teams: list[Team], *, start: datetime, end: datetime) -> dict[int, HealthReport]:
    """``evidence.metrics.team_health`` for several teams in a fixed number of queries (members, then the commits
    and pages), so a director whose reports lead many teams costs no more queries than a manager of one."""
    members = list(Person.objects.filter(team__in=teams, is_active=True).values_list("id", "timezone", "team_id"))
    slugs = {team.pk: team.slug for team in teams}
    schedules = [WorkSchedule(person_id=str(pk), team=slugs[team_id], time_zone=zone or "UTC")
                 for pk, zone, team_id in members]
    by_team, people = summarise_health(schedules, start=start, end=end)
    team_of = {str(pk): team_id for pk, _zone, team_id in members}
    return {team.pk: HealthReport(team=by_team.get(team.slug),
                                  people={int(pk): detail for pk, detail in people.items()
                                          if team_of[pk] == team.pk})
            for team in teams}


def reached(name: str, value: float | None, steps: tuple[float, ...]) -> frozenset[str]:
    """The thresholds ``value`` has reached, as facts ("outside_hours>=0.2"): a prompt marked at one shade comes
    back at a darker one, never at the same or a lighter one."""
    if value is None:
        return frozenset()
    return frozenset(f"{name}>={step:g}" for step in steps if value >= step)


def _and(words: list[str], conjunction: str = "and") -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def missing_evidence_prompts(viewer: Person, first: str, found: list[Signal], signals_url: str,
                             review_url: str, *, report_can_cite: bool = True) -> list[Prompt]:
    """A report's missing-evidence signals as at most three prompts, each with the step that fits who can take it:
    the ladder dimensions with no evidence in the window (one line for all of them), the parts of the review packet
    the report wrote, and the parts the viewer wrote (their own step: cite the evidence in their draft). Once the
    report may no longer change or annotate their packet (``report_can_cite`` false: the self-review step has
    closed), asking them to cite would ask for the impossible: the viewer is asked to find the items with them and
    cite them in the assessment instead."""
    gaps = [s for s in found if "packet" not in (s.detail or {})]
    packet = [s for s in found if "packet" in (s.detail or {})]
    prompts = []
    if gaps:
        labels = [str(s.detail.get("label") or s.detail.get("dimension") or "").lower() for s in gaps]
        start, end = min(s.window_start for s in gaps), max(s.window_end for s in gaps)
        reason = missing_evidence_reason([str(s.detail.get("dimension") or "") for s in gaps])
        prompts.append(Prompt(
            f"Evidence is thin: nothing shows {_and(labels, 'or')} between {start:%-d %b %Y} and {end:%-d %b %Y}.",
            why=f"{reason[0].upper()}{reason[1:]}.", action="Ask for the missing evidence or record it together",
            url=signals_url, key="thin_evidence",
            facts=frozenset(f"dimension:{s.detail.get('dimension') or s.detail.get('label')}" for s in gaps)))
    theirs = [s for s in packet if s.detail["packet"].get("written_by") != "manager"]
    yours = [s for s in packet if s.detail["packet"].get("written_by") == "manager" and s.owner_id == viewer.pk]
    others = [s for s in packet if s not in theirs and s not in yours]
    for key, group, action, url, own in (
            ("packet_theirs", theirs, f"Ask {first} to cite the items behind it", signals_url, False)
            if report_can_cite else
            ("packet_theirs", theirs, f"Ask {first} which items are behind it, and cite them in your assessment",
             review_url, False),
            ("packet_yours", yours, "Cite the evidence in your draft", review_url, True),
            ("packet_others", others, "Ask for the missing evidence", signals_url, False)):
        if not group:
            continue
        labels = [str(s.detail.get("label") or "") for s in group]
        if own:
            labels = [label.replace("the manager's ", "your ", 1) for label in labels]
        name = str(group[0].detail["packet"].get("name") or "review")
        prompts.append(Prompt(f"Evidence is thin: in {in_review(name)}, {_and(labels)} "
                              f"cite{'s' if len(labels) == 1 else ''} no evidence.", action, url, key=key,
                              facts=frozenset(f"{name}: {label}" for label in labels)))
    return prompts


def _accepted_by(signal: Signal, viewer: Person) -> str:
    """Who accepted a signal, as its manager reads it: "accepted by you", or by the person it is about (it is on
    their manager's list because they accepted it), or by someone else in their chain."""
    reviewer = signal.reviewed_by
    if reviewer is None:
        return "accepted"
    if reviewer.pk == viewer.pk:
        return "accepted by you"
    if reviewer.pk == signal.person_id:
        return f"accepted by {reviewer.name} about their own work"
    return f"accepted by {reviewer.name}"


def team_at_a_glance(viewer: Person, *, now: datetime | None = None) -> TeamGlance:
    start, end = default_window(now or timezone.now())
    reports = sorted(direct_reports(viewer), key=lambda person: person.name)
    teams = sorted({report.team for report in reports if report.team_id is not None}, key=lambda team: team.name)
    health = teams_health(teams, start=start, end=end)
    team_sizes = {team.pk: report.team.people if report.team is not None else 0 for team in teams
                  for report in [health[team.pk]]}
    ids = [report.pk for report in reports]
    signals: dict[int, list[Signal]] = {}
    wanted = Q(status=Signal.Status.ACCEPTED) | Q(kind=SignalKind.MISSING_EVIDENCE, status=Signal.Status.PENDING)
    for signal in (Signal.objects.filter(wanted, person_id__in=ids, is_current=True).select_related("reviewed_by")
                   .order_by("kind", "id")):
        signals.setdefault(signal.person_id, []).append(signal)  # type: ignore[arg-type]
    easy_to_miss: dict[int, dict[str, tuple[str, str, date]]] = {}
    kind_names = dict(EvidenceItem.Kind.choices)
    for person_id, kind, title, occurred_at in (
            EvidenceItem.objects.filter(person_id__in=ids, kind__in=EASY_TO_MISS_KINDS, occurred_at__gte=start,
                                        occurred_at__lt=end)
            .order_by("-occurred_at", "-pk").values_list("person_id", "kind", "title", "occurred_at")):
        easy_to_miss.setdefault(person_id, {}).setdefault(
            kind, (title, str(kind_names.get(kind, kind)).lower(), timezone.localdate(occurred_at)))
    hard_to_see = {person_id for person_id, kinds in easy_to_miss.items() if set(kinds) & set(HARD_TO_SEE_KINDS)}
    latest_reviews: dict[int, Review] = {}
    for review in Review.objects.filter(person_id__in=ids).select_related("cycle").order_by("cycle__opened_at", "pk"):
        latest_reviews[review.person_id] = review  # the latest cycle's review wins
    open_reviews = {person_id: review for person_id, review in latest_reviews.items()
                    if review.cycle.phase != Phase.CLOSED}

    rows = []
    for report in reports:
        if not access.can_view_health_detail(viewer, report):
            continue
        team_report = health.get(report.team_id) if report.team_id else None
        detail = team_report.people.get(report.pk) if team_report else None
        outside_cell, pages_cell, outside_pages_cell, share_cell, outside, pages = _load_cells(
            detail, team_report, team_sizes.get(report.team_id, 0) if report.team_id else 0)
        recorded = detail.events if detail is not None else 0  # type: ignore[attr-defined]
        row = ReportRow(person=report, outside_hours=outside_cell, pages=pages_cell,
                        pages_outside=outside_pages_cell, page_share=share_cell)
        growth = reverse("feedback:growth", kwargs={"person_id": report.pk})
        signals_url = reverse("insights:person", kwargs={"person_id": report.pk})
        first = report.name.split()[0]
        team_share = (team_report.team.outside_hours_share
                      if team_report is not None and team_report.team is not None else None)
        if (outside is not None and outside >= OUTSIDE_HOURS_PROMPT and recorded >= OUTSIDE_HOURS_MIN_ITEMS
                and (team_share is None or outside >= team_share + ABOVE_TEAM_PROMPT)):
            row.prompts.append(Prompt(
                f"{_percent(outside)} of {first}'s recorded work ({recorded} items) falls outside their own "
                "working hours" + (f" (the team: {_percent(team_share)})." if team_share is not None else "."),
                "Ask how the workload feels and what could move into working hours", growth, key="outside_hours",
                facts=reached("outside_hours", outside, OUTSIDE_HOURS_STEPS)))
        if pages >= ON_CALL_PROMPT_PAGES and report.pk not in hard_to_see:
            row.prompts.append(Prompt(
                f"{first} answered {pages} page{'s' if pages != 1 else ''} and has no incident debrief, design "
                "review or code review recorded: this work is easy to miss.",
                "Suggest recording an incident debrief so it can be cited", growth, key="on_call_uncited",
                facts=reached("pages", pages, PAGES_OUTSIDE_STEPS)))
        person_signals = signals.get(report.pk, [])
        review = open_reviews.get(report.pk)
        row.prompts += missing_evidence_prompts(
            viewer, first, [s for s in person_signals if s.kind == SignalKind.MISSING_EVIDENCE], signals_url,
            reverse("reviews:review", kwargs={"review_id": review.pk}) if review is not None else signals_url,
            report_can_cite=review is None or review.cycle.phase in STEP_PHASES["annotate"])
        for signal in person_signals:
            if signal.kind != SignalKind.MISSING_EVIDENCE:
                accepted = f"{signal.get_kind_display()}, {_accepted_by(signal, viewer)}"
                row.prompts.append(Prompt(f"{accepted}: {signal.shown_statement}",
                                          "Bring it to your next one-to-one", signals_url, key=f"signal:{signal.pk}",
                                          facts=frozenset({f"signal:{signal.pk}"})))
        if review is not None:
            row.review = review
            row.review_status = _review_status(review)
        row.links = direct_report_links(viewer, report, latest_reviews.get(report.pk))
        # A direct report (``can_view_health_detail`` above): their manager may read their evidence.
        row.easy_to_miss = sorted(easy_to_miss.get(report.pk, {}).values(),
                                  key=lambda item: item[2], reverse=True)[:EASY_TO_MISS_SHOWN]
        rows.append(row)
    # Per-person load is restricted detail, and accepted signals and evidence are part of a person's record: each
    # read is logged.
    record_reads(viewer, [*((row.person, "evidence.health_detail") for row in rows),
                          *((row.person, "insights.signals") for row in rows if row.person.pk in signals),
                          *((row.person, "evidence.items") for row in rows if row.easy_to_miss)], via="web")

    team_prompts = []
    for team in teams:
        summary = health[team.pk].team
        if summary is not None and summary.outside_hours_share is not None \
                and summary.outside_hours_share >= OUTSIDE_HOURS_PROMPT and summary.events >= OUTSIDE_HOURS_MIN_ITEMS:
            team_prompts.append((team, Prompt(
                f"{_percent(summary.outside_hours_share)} of the work recorded in {team.name} falls outside people's "
                "own working hours: a pattern for the whole team, not one person.",
                "Look at the team's health and raise it at the next retrospective",
                reverse("evidence:team-health", kwargs={"slug": team.slug}), key="team_outside_hours",
                facts=reached("outside_hours", summary.outside_hours_share, OUTSIDE_HOURS_STEPS))))

    set_aside = _set_aside_decided(viewer, rows, team_prompts)

    cycles = []
    by_cycle: dict[int, list[Review]] = {}
    for review in open_reviews.values():
        by_cycle.setdefault(review.cycle_id, []).append(review)
    for reviews in by_cycle.values():
        cycle = reviews[0].cycle
        cycles.append(CycleProgress(
            name=cycle.name, phase=cycle.get_phase_display(), phase_ends_on=_iso_day(cycle.phase_ends_on(cycle.phase)),
            people=len(reviews), self_reviews=sum(1 for r in reviews if r.self_review_submitted_at),
            assessments=sum(1 for r in reviews if r.assessment_submitted_at),
            acknowledged=sum(1 for r in reviews if r.acknowledged_at),
            url=reverse("reviews:cycle", kwargs={"cycle_id": cycle.pk}) if access.can_run_cycles(viewer) else None))
    shared = [link for link in rows[0].links if all(link in row.links for row in rows[1:])
              and (link[0].startswith("Team health of ") or link[0] == SUPPORT_PLANS)] if rows else []
    for row in rows:
        row.links = [link for link in row.links if link not in shared]
    return TeamGlance(rows=rows, cycles=cycles, start=start, end=end, teams=teams, team_prompts=team_prompts,
                      anomalies=team_anomalies(viewer, teams), reliability=teams_reliability(teams),
                      set_aside=set_aside, shared_links=shared)


def _set_aside_decided(viewer: Person, rows: list[ReportRow], team_prompts: list[tuple[Team, Prompt]]) -> int:
    """Take off the list every prompt the viewer marked done or not now whose facts are all covered by that
    decision (one query); returns how many were taken off. A prompt with a fact the decision did not cover stays."""
    person_ids = [row.person.pk for row in rows if row.prompts]
    team_ids = [team.pk for team, _prompt in team_prompts]
    if not person_ids and not team_ids:
        return 0
    covered: dict[tuple[str, int, str], list[set[str]]] = {}
    for person_id, team_id, key, facts in (
            CoachingPromptDecision.objects.filter(manager=viewer)
            .filter(Q(person_id__in=person_ids) | Q(person__isnull=True, team_id__in=team_ids))
            .values_list("person_id", "team_id", "prompt", "facts")):
        subject = ("person", person_id) if person_id is not None else ("team", team_id)
        covered.setdefault((*subject, key), []).append(set(facts or []))

    def is_open(subject: tuple[str, int], prompt: Prompt) -> bool:
        return not any(prompt.facts <= facts for facts in covered.get((*subject, prompt.key), []))

    before = sum(len(row.prompts) for row in rows) + len(team_prompts)
    for row in rows:
        row.prompts = [prompt for prompt in row.prompts if is_open(("person", row.person.pk), prompt)]
    team_prompts[:] = [(team, prompt) for team, prompt in team_prompts if is_open(("team", team.pk), prompt)]
    return before - sum(len(row.prompts) for row in rows) - len(team_prompts)


class PromptGone(Exception):
    """The prompt to mark is not on the viewer's list (already marked, its condition gone, or not theirs)."""


def decide_prompt(viewer: Person, *, key: str, outcome: str, person_id: int | None = None,
                  team_id: int | None = None) -> tuple[TeamGlance, Prompt, str]:
    """Mark one prompt of the viewer's list done or not now, with who and when, in the audit trail too. The prompt
    is found on the list as the viewer's page would show it now, so only a prompt the viewer sees can be marked,
    and the facts recorded are the server's, never the form's. Returns the list without it, the prompt, and the name
    of the person or team it is about."""
    if outcome not in CoachingPromptDecision.Outcome.values:
        raise PromptGone("Choose done or not now.")
    glance = team_at_a_glance(viewer)
    found: Prompt | None = None
    about = ""
    if person_id is not None:
        for row in glance.rows:
            if row.person.pk == person_id:
                found = next((prompt for prompt in row.prompts if prompt.key == key), None)
                if found is not None:
                    row.prompts.remove(found)
                    about = row.person.name
    elif team_id is not None:
        for index, (team, prompt) in enumerate(glance.team_prompts):
            if team.pk == team_id and prompt.key == key:
                found, about = prompt, team.name
                del glance.team_prompts[index]
                break
    if found is None:
        raise PromptGone("That prompt is no longer on your list: it was marked already, or what raised it has "
                         "changed.")
    with transaction.atomic():
        decision = CoachingPromptDecision.objects.create(
            manager=viewer, person_id=person_id, team_id=None if person_id is not None else team_id, prompt=key,
            facts=sorted(found.facts), outcome=outcome)
        log_action("dashboards.coaching_prompt.decided", viewer, decision,
                   {"prompt": key, "outcome": outcome, "facts": sorted(found.facts),
                    **({"team": team_id} if person_id is None else {})})
    glance.set_aside += 1
    return glance, found, about


def _break_next_step(signal: Signal, *, yours: bool) -> str:
    if signal.status == Signal.Status.ACCEPTED:
        by = signal.reviewed_by.name if signal.reviewed_by else "someone"
        return (f"Accepted by {by}: agree a follow-up with the team at the next retrospective" if yours
                else f"Accepted by {by}, who follows it up with the team")
    if yours:
        return "Look at the series with the team, then accept or dismiss it with a reason"
    return "Waiting for its owner to look at it with the team"


def team_anomalies_source(teams: QuerySet[Any] | list[Team]) -> QuerySet[Signal]:
    """The signals ``team_anomalies`` reads for ``teams`` (a list, or a query of their ids)."""
    from brightline.insights.services import open_trend_breaks

    return open_trend_breaks(teams)


def reports_team_anomalies(manager: Person) -> QuerySet[Signal]:
    """The signals ``team_anomalies`` reads for the teams of ``manager``'s direct reports (by the manager's id)."""
    return team_anomalies_source(Person.objects.filter(manager=manager, is_active=True).values("team"))


def team_anomalies(viewer: Person, teams: list[Team]) -> list[Anomaly]:
    """The current changes in the teams' delivery trends that nobody dismissed, the ones for the worse first, each
    with its owner (H4) and a next step. One query, whatever the number of teams. ``teams`` are the teams of the
    viewer's direct reports, so the viewer manages a member of each and may see their signals
    (``access.can_view_team_signals``)."""
    found = []
    for signal in (team_anomalies_source(teams).select_related("team", "owner", "reviewed_by")
                   .order_by("team__name", "-window_end", "pk")):
        detail = signal.detail or {}
        owner_name = str(detail.get("owner_name") or "")
        text = signal.shown_statement.removesuffix(f" Owner to look into it: {owner_name}.") if owner_name \
            else signal.shown_statement
        direction, better = detail.get("direction"), detail.get("higher_is_better")
        worse = None if direction not in {"higher", "lower"} or better is None else \
            (direction == "higher") != bool(better)
        yours = signal.owner_id == viewer.pk
        owner = "You" if yours else (signal.owner.name if signal.owner else "nobody yet")
        found.append(Anomaly(signal.team, text, worse, owner,  # type: ignore[arg-type]
                             _break_next_step(signal, yours=yours),
                             reverse("insights:team", kwargs={"slug": signal.team.slug}) + f"#signal-{signal.pk}"))
    found.sort(key=lambda anomaly: (anomaly.team.name, anomaly.worse is not True))
    return found


def teams_reliability(teams: list[Team], *, with_pages: bool = True) -> list[TeamReliability]:
    """Each team's stored delivery rollup in words (one query for all the teams; nothing is computed here: a team
    the refresh job has not computed yet, or with no delivery data, is left out). ``with_pages=False`` leaves out
    the on-call pages outside working hours, which are the team's health rather than its delivery."""
    from brightline.rollups import delivery as team_delivery
    from brightline.rollups.services import read_stored

    if not teams:
        return []
    stored = read_stored(team_delivery.KIND, [str(team.pk) for team in teams])
    weeks = team_delivery.DELIVERY_WINDOW_DAYS // 7
    found = []
    for team in teams:
        figures = stored[str(team.pk)].value if str(team.pk) in stored else {}
        if not figures:
            continue
        lines = []
        per_week = figures.get("deployments_per_week")
        if per_week is not None:
            trend = {"up": f", more than in the {weeks} weeks before",
                     "down": f", fewer than in the {weeks} weeks before"}.get(str(figures.get("deployments_trend")), "")
            lines.append(f"{float(per_week):.1f} deployments a week{trend}")
        if figures.get("change_fail_rate") is not None:
            lines.append(f"{float(figures['change_fail_rate']) * 100:.0f} % of deployments failed")
        if with_pages and figures.get("pages_outside_hours") is not None:
            pages = int(figures["pages_outside_hours"])
            lines.append(f"{pages} on-call page{'s' if pages != 1 else ''} outside people's working hours")
        found.append(TeamReliability(team, lines, reverse("evidence:team", kwargs={"slug": team.slug})
                                     + "#reliability", weeks))
    return found


HOME_OUTCOMES = 5
HOME_SIGNALS = 4
HOME_GOALS = 4


def _outcomes(viewer: Person) -> QuerySet[EvidenceItem]:
    # Any of the viewer's evidence, whatever its date: the set depends on the viewer's id alone, so the query asking
    # whether it holds rows is compiled once per process (``inbox_for(also=…)``); the page lists what has happened.
    return EvidenceItem.objects.filter(person=viewer)


def _own_signals(viewer: Person) -> QuerySet[Signal]:
    return Signal.objects.filter(person=viewer, is_current=True)


def _goals_in_progress(viewer: Person) -> QuerySet[Goal]:
    return Goal.objects.filter(owner=viewer, status=Goal.Status.IN_PROGRESS)


# The rows ``engineer_home`` reads, by name, for a page that asks in one query which of them hold anything
# (``inbox_for(also=…)``); each depends on the viewer's id only.
ENGINEER_HOME_SOURCES: dict[str, Callable[[Person], QuerySet[Any]]] = {
    "home_outcomes": _outcomes, "home_signals": _own_signals, "home_goals": _goals_in_progress}


def engineer_home(viewer: Person, *, holding: dict[str, bool] | None = None) -> dict[str, object]:
    """The engineer's own dashboard pieces (H1): recent outcomes to cite, AI signals about them — feedback themes
    with their confidence and quotes, and any waiting for their accept or dismiss — and their team's delivery.
    Everything here is the viewer's own record, so nothing is logged; nothing is a per-person activity count.
    A page that asked already which of ``ENGINEER_HOME_SOURCES`` hold rows passes the answers (``holding``):
    those that hold none are not read."""
    held = holding or {}
    outcomes = (list(_outcomes(viewer).filter(occurred_at__lte=timezone.now())
                     .order_by("-occurred_at", "-pk")[:HOME_OUTCOMES]) if held.get("home_outcomes", True) else [])
    leader = access.is_leader(viewer)  # a leader's home leaves out the dimensions' missing-evidence checks
    own = [signal for signal in _own_signals(viewer)
           .select_related("person", "team", "owner", "reviewed_by").order_by("-created_at", "-pk")
           if access.can_view_signal(viewer, signal) and not (leader and left_off_a_leaders_home(signal))
           ] if held.get("home_signals", True) else []
    chosen = [s for s in own if s.awaits_review]
    chosen += [s for s in own if s.kind == SignalKind.THEME and s.status == Signal.Status.ACCEPTED]
    cards = [{"signal": signal, "arrow": "", "citable": signal.status == Signal.Status.ACCEPTED,
              "can_review": signal.awaits_review and access.can_review_signal(viewer, signal)}
             for signal in chosen[:HOME_SIGNALS]]
    team_delivery = (reverse("evidence:team", kwargs={"slug": viewer.team.slug})
                     if viewer.team_id is not None else None)
    delivery = teams_reliability([viewer.team], with_pages=False) if viewer.team is not None else []
    goals = (list(_goals_in_progress(viewer).prefetch_related("key_results")[:HOME_GOALS])
             if held.get("home_goals", True) else [])
    return {"goals": goals, "outcomes": outcomes, "signal_cards": cards, "more_signals": len(chosen) - len(cards),
            "team_delivery_url": team_delivery, "team_delivery_figures": delivery[0] if delivery else None}
