"""A manager's team at a glance (requirement H2): load and wellbeing per direct report, coaching prompts
and review-cycle progress.

Only figures about *load* are shown per person — work outside the person's own working hours, pages
received, the share of the team's pages — never activity counts (commits, lines, items) as a measure of
performance. Rows are in name order, never sorted by a figure. Per-person figures are the restricted
team-health detail, so each person shown is checked with ``access.can_view_health_detail`` and the read
is written to their access log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from brightline import access
from brightline.audit.services import record_accesses
from brightline.core.delivery import WorkSchedule
from brightline.evidence.metrics import HealthReport, default_window, summarise_health
from brightline.evidence.models import EvidenceItem
from brightline.goals.models import Goal
from brightline.insights.models import Signal, SignalKind
from brightline.people.models import Person, Team
from brightline.people.queries import direct_reports
from brightline.reviews.models import Phase, Review, phase_index

# Shade 0–3 of the single-hue scale; the thresholds are printed in the legend of the page.
OUTSIDE_HOURS_STEPS = (0.10, 0.20, 0.35)  # share of a person's recorded work outside their own hours
PAGES_OUTSIDE_STEPS = (1, 3, 6)  # pages received outside working hours in the window
PAGE_SHARE_STEPS = (1.25, 1.75, 2.5)  # share of the team's pages, as a multiple of an even share
OUTSIDE_HOURS_PROMPT = 0.20
# A person is asked about only when clearly above their own team's share; a team-wide share is raised once, for
# the team, as a pattern to look at together rather than as anyone's problem.
ABOVE_TEAM_PROMPT = 0.10
HARD_TO_SEE_KINDS = (EvidenceItem.Kind.INCIDENT_DEBRIEF, EvidenceItem.Kind.DESIGN_REVIEW,
                     EvidenceItem.Kind.DESIGN_DOC, EvidenceItem.Kind.CODE_REVIEW)


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

    @property
    def people_with_prompts(self) -> list[ReportRow]:
        return [row for row in self.rows if row.prompts]


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
        share_cell = Cell(_percent(share), shade(share / even, PAGE_SHARE_STEPS), f"even share {_percent(even)}")
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


def record_links(viewer: Person, subject: Person, review: Review | None = None) -> list[tuple[str, str]]:
    """Everything the viewer may open about a person, as (label, url): only pages that will answer."""
    links: list[tuple[str, str]] = []
    if access.can_view_growth_page(viewer, subject):
        links.append(("Growth page", reverse("feedback:growth", kwargs={"person_id": subject.pk})))
    if access.can_view_goals(viewer, subject):
        links.append(("Goals", reverse("goals:index") if viewer.pk == subject.pk
                      else reverse("goals:person", kwargs={"person_id": subject.pk})))
    if access.can_view_signals(viewer, subject):
        links.append(("AI signals", reverse("insights:person", kwargs={"person_id": subject.pk})))
    if review is None:
        review = (Review.objects.filter(person=subject).select_related("cycle", "person")
                  .order_by("-cycle__opened_at", "-pk").first())
    if review is not None and access.can_view_review(viewer, review):
        links.append((f"Review: {review.cycle.name}", reverse("reviews:review", kwargs={"review_id": review.pk})))
    if subject.team_id is not None and access.can_view_team_health(viewer, subject.team):
        links.append((f"Team health of {subject.team.name}", reverse("evidence:team-health",
                                                                     kwargs={"slug": subject.team.slug})))
    if access.can_view_access_log(viewer, subject) and viewer.pk != subject.pk:
        links.append(("Who read this record", reverse("person-access-log", kwargs={"person_id": subject.pk})))
    return links


def direct_report_links(viewer: Person, report: Person, review: Review | None) -> list[tuple[str, str]]:
    """:func:`record_links` for a direct report, without a query per person: the direct manager is in the
    report's chain, so may open the growth page, the signals, the review and the team's health."""
    if not access.is_direct_manager(viewer, report):
        raise ValueError("direct_report_links is for the viewer's own direct reports; use record_links.")
    links = [("Growth page", reverse("feedback:growth", kwargs={"person_id": report.pk})),
             ("Goals", reverse("goals:person", kwargs={"person_id": report.pk})),
             ("AI signals", reverse("insights:person", kwargs={"person_id": report.pk}))]
    if review is not None:
        links.append((f"Review: {review.cycle.name}", reverse("reviews:review", kwargs={"review_id": review.pk})))
    if report.team_id is not None:
        links.append((f"Team health of {report.team.name}", reverse("evidence:team-health",
                                                                    kwargs={"slug": report.team.slug})))
    if access.can_view_access_log(viewer, report):
        links.append(("Who read this record", reverse("person-access-log", kwargs={"person_id": report.pk})))
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
    for signal in Signal.objects.filter(wanted, person_id__in=ids, is_current=True).order_by("kind", "id"):
        signals.setdefault(signal.person_id, []).append(signal)  # type: ignore[arg-type]
    hard_to_see = set(EvidenceItem.objects.filter(person_id__in=ids, kind__in=HARD_TO_SEE_KINDS,
                                                  occurred_at__gte=start, occurred_at__lt=end)
                      .values_list("person_id", flat=True))
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
        row = ReportRow(person=report, outside_hours=outside_cell, pages=pages_cell,
                        pages_outside=outside_pages_cell, page_share=share_cell)
        growth = reverse("feedback:growth", kwargs={"person_id": report.pk})
        signals_url = reverse("insights:person", kwargs={"person_id": report.pk})
        first = report.name.split()[0]
        team_share = (team_report.team.outside_hours_share
                      if team_report is not None and team_report.team is not None else None)
        if (outside is not None and outside >= OUTSIDE_HOURS_PROMPT
                and (team_share is None or outside >= team_share + ABOVE_TEAM_PROMPT)):
            row.prompts.append(Prompt(
                f"{_percent(outside)} of {first}'s recorded work falls outside their own working hours"
                + (f" (the team: {_percent(team_share)})." if team_share is not None else "."),
                "Ask how the workload feels and what could move into working hours", growth))
        if pages and report.pk not in hard_to_see:
            row.prompts.append(Prompt(
                f"{first} answered {pages} page{'s' if pages != 1 else ''} and has no incident debrief, design "
                "review or code review recorded: this work is easy to miss.",
                "Suggest recording an incident debrief so it can be cited", growth))
        person_signals = signals.get(report.pk, [])
        for signal in person_signals:
            if signal.kind == SignalKind.MISSING_EVIDENCE:
                row.prompts.append(Prompt(f"Evidence is thin: {signal.statement}",
                                          "Ask for the missing evidence or record it together", signals_url))
            else:
                row.prompts.append(Prompt(f"{signal.get_kind_display()} you accepted: {signal.statement}",
                                          "Bring it to your next one-to-one", signals_url))
        review = open_reviews.get(report.pk)
        if review is not None:
            row.review = review
            row.review_status = _review_status(review)
        row.links = direct_report_links(viewer, report, latest_reviews.get(report.pk))
        rows.append(row)
    # Per-person load is restricted detail, and accepted signals are part of a person's record: both reads logged.
    record_accesses(viewer, [row.person for row in rows], "evidence.health_detail", via="web")
    record_accesses(viewer, [row.person for row in rows if row.person.pk in signals], "insights.signals", via="web")

    team_prompts = []
    for team in teams:
        summary = health[team.pk].team
        if summary is not None and summary.outside_hours_share is not None \
                and summary.outside_hours_share >= OUTSIDE_HOURS_PROMPT:
            team_prompts.append((team, Prompt(
                f"{_percent(summary.outside_hours_share)} of the work recorded in {team.name} falls outside people's "
                "own working hours: a pattern for the whole team, not one person.",
                "Look at the team's health and raise it at the next retrospective",
                reverse("evidence:team-health", kwargs={"slug": team.slug}))))

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
    return TeamGlance(rows=rows, cycles=cycles, start=start, end=end, teams=teams, team_prompts=team_prompts)


HOME_OUTCOMES = 5
HOME_SIGNALS = 4
HOME_GOALS = 4


def engineer_home(viewer: Person) -> dict[str, object]:
    """The engineer's own dashboard pieces (H1): recent outcomes to cite, AI signals about them — feedback themes
    with their confidence and quotes, and any waiting for their accept or dismiss — and their team's delivery.
    Everything here is the viewer's own record, so nothing is logged; nothing is a per-person activity count."""
    outcomes = list(EvidenceItem.objects.filter(person=viewer, occurred_at__lte=timezone.now())
                    .order_by("-occurred_at", "-pk")[:HOME_OUTCOMES])
    own = [signal for signal in Signal.objects.filter(person=viewer, is_current=True)
           .select_related("person", "team", "owner", "reviewed_by").order_by("-created_at", "-pk")
           if access.can_view_signal(viewer, signal)]
    chosen = [s for s in own if s.awaits_review]
    chosen += [s for s in own if s.kind == SignalKind.THEME and s.status == Signal.Status.ACCEPTED]
    cards = [{"signal": signal, "arrow": "", "citable": signal.status == Signal.Status.ACCEPTED,
              "can_review": signal.awaits_review and access.can_review_signal(viewer, signal)}
             for signal in chosen[:HOME_SIGNALS]]
    team_delivery = (reverse("evidence:team", kwargs={"slug": viewer.team.slug})
                     if viewer.team_id is not None else None)
    goals = list(Goal.objects.filter(owner=viewer, status=Goal.Status.IN_PROGRESS)
                 .prefetch_related("key_results")[:HOME_GOALS])
    return {"goals": goals, "outcomes": outcomes, "signal_cards": cards, "more_signals": len(chosen) - len(cards),
            "team_delivery_url": team_delivery}
