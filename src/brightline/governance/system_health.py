"""System health (G6): how the organisation's system works — promotion velocity, calibration, regretted
attrition and transfers, clarity of expectations — and the same measures per team next to the team's
delivery outcomes.

Not to be confused with manager quality (``manager_quality.py``, one manager at a time) or a team's
working-hours health (after-hours work and pages, the evidence app's ``team_health``), which this
module reads as one of the per-team measures. Small groups are withheld as everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils.text import slugify

from brightline.core.fairness import (
    CalibrationHealth,
    LevelStart,
    OutcomeAudit,
    PromotionVelocityReport,
    ScaleSummary,
    audit_outcome_counts,
    measure_calibration_health,
    measure_promotion_velocity,
    summarise_scale_answers,
    suppress_small_groups,
)
from brightline.governance.manager_quality import calibration_records
from brightline.governance.models import HrisEvent, SurveyResponse
from brightline.governance.surveys import CLARITY, quarter
from brightline.people.models import Person, Team
from brightline.reviews.models import DimensionAssessment

ATTRITION_WINDOW_DAYS = 365


@dataclass(frozen=True)
class AttritionByTeam:
    audit: OutcomeAudit | None  # regretted leavers ÷ (team members + leavers), small teams withheld; None
    # when fewer than the minimum cohort left
    leavers: int
    regretted: int
    transfers: int
    population: int
    window_days: int


def level_starts() -> list[LevelStart]:
    """Hire level and each promotion, from the people records and imported HRIS promotions."""
    promotions: dict[str, list[HrisEvent]] = {}
    for event in HrisEvent.objects.filter(event=HrisEvent.Kind.PROMOTED).order_by("date"):
        promotions.setdefault(event.employee_id, []).append(event)
    starts: list[LevelStart] = []
    for employee_id, start_date, level_code in Person.objects.values_list("employee_id", "start_date",
                                                                           "level__code"):
        events = promotions.pop(employee_id, [])
        if start_date is None:
            continue
        first_level = (events[0].from_level if events and events[0].from_level else level_code) or ""
        if not first_level:
            continue
        starts.append(LevelStart(employee_id, first_level, start_date))
        starts.extend(LevelStart(employee_id, event.to_level, event.date) for event in events
                      if event.date > start_date)
    return starts


def promotion_velocity(*, min_cohort: int) -> PromotionVelocityReport:
    return measure_promotion_velocity(level_starts(), min_cohort=min_cohort)


def calibration_health(cycle: Any = None) -> CalibrationHealth:
    return measure_calibration_health(calibration_records(cycle=cycle))


def calibrated_people(cycle: Any) -> int:
    """How many people's proposals went through calibration in ``cycle``."""
    return (DimensionAssessment.objects.filter(review__cycle=cycle).exclude(proposed_outcome="").exclude(outcome="")
            .values("review__person_id").distinct().count())


def published_calibration_health(cycle: Any, *, min_cohort: int) -> tuple[CalibrationHealth | None, bool]:
    """A cycle's calibration figures and whether they are withheld: figures about fewer than ``min_cohort``
    people are never shown, however many proposals (one per dimension) they count."""
    people = calibrated_people(cycle)
    if 0 < people < min_cohort:
        return None, True
    return calibration_health(cycle), False


def _team_key(name: str, teams: dict[str, str]) -> str:
    slug = slugify(name)[:80]
    return teams.get(slug, name)


def attrition_by_team(*, min_cohort: int, today: dt.date | None = None,
                      window_days: int = ATTRITION_WINDOW_DAYS) -> AttritionByTeam:
    """Regretted attrition and transfers over the last ``window_days``, per team, with suppression."""
    today = today or dt.date.today()
    since = today - dt.timedelta(days=window_days)
    events = list(HrisEvent.objects.filter(date__gt=since, date__lte=today))
    teams = {team.slug: team.slug for team in Team.objects.all()}
    population: Counter[str] = Counter(
        slug for slug in Person.objects.filter(is_active=True).values_list("team__slug", flat=True) if slug)
    regretted: Counter[str] = Counter()
    leavers = [event for event in events if event.event == HrisEvent.Kind.LEFT]
    for event in leavers:
        key = _team_key(event.from_team, teams) if event.from_team else ""
        population[key] += 1  # a leaver belonged to the team during the window
        regretted[key] += bool(event.regretted)
    counts = {(team,): (n, regretted[team]) for team, n in population.items() if n}
    # With few leavers a team's regretted count says whether a known colleague's departure was regretted,
    # so the per-team rates follow the same rule as the total.
    audit = (audit_outcome_counts(counts, min_cohort=min_cohort, group_columns=["team"])
             if counts and len(leavers) >= min_cohort else None)
    return AttritionByTeam(audit=audit, leavers=len(leavers), regretted=sum(1 for e in leavers if e.regretted),
                           transfers=sum(1 for event in events if event.event == HrisEvent.Kind.TRANSFERRED),
                           population=sum(population.values()), window_days=window_days)


# ------------------------------------------------------------------------ system health next to delivery

QUARTERS_NEXT_TO_DELIVERY = 4
ASSOCIATION_NOT_CAUSE = (
    "These figures sit side by side over the same quarters so that patterns can be looked into; a team "
    "whose clarity fell in the quarter its change fail rate rose shows an association, not a cause. Small "
    "teams, few deployments and people joining or leaving move every figure; ask the team before drawing "
    "a conclusion.")


@dataclass(frozen=True)
class TeamQuarter:
    """One team in one calendar quarter: system-health measures and delivery outcomes over the same days."""

    quarter: str
    leavers: int  # HR movements out of the team: people who left the organisation
    transfers: int  # and people who moved to another team
    clarity: ScaleSummary | None  # None: no answers from the team that quarter
    outside_hours_share: float | None  # working-hours health (the evidence app's team health)
    deployments: int | None  # None: the team owns no service with delivery data
    deployments_per_week: float | None = None
    change_fail_rate: float | None = None
    lead_time_hours: float | None = None  # median

    def to_json(self) -> dict[str, Any]:
        return {"quarter": self.quarter, "leavers": self.leavers, "transfers": self.transfers,
                "clarity": self.clarity.to_json() if self.clarity else None,
                "outside_hours_share": self.outside_hours_share, "deployments": self.deployments,
                "deployments_per_week": self.deployments_per_week, "change_fail_rate": self.change_fail_rate,
                "lead_time_hours": self.lead_time_hours}


@dataclass(frozen=True)
class TeamHealthAndDelivery:
    name: str
    slug: str
    headcount: int | None  # None: withheld, with no figures
    quarters: tuple[TeamQuarter, ...] = ()


@dataclass(frozen=True)
class HealthNextToDelivery:
    """G6: per team and quarter, system health (movements, clarity, working-hours health) next to DORA."""

    min_cohort: int
    quarters: tuple[str, ...]
    teams: list[TeamHealthAndDelivery]
    caution: str = ASSOCIATION_NOT_CAUSE

    def to_json(self) -> dict[str, Any]:
        return {"min_cohort": self.min_cohort, "quarters": list(self.quarters), "caution": self.caution,
                "teams": [{"team": team.slug, "name": team.name, "withheld": team.headcount is None,
                           "headcount": team.headcount, "quarters": [q.to_json() for q in team.quarters]}
                          for team in self.teams]}


def _quarter_bounds(today: dt.date, count: int) -> list[tuple[str, dt.date, dt.date]]:
    """The ``count`` whole calendar quarters before the one ``today`` is in, oldest first: (label, start, end)."""
    start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    bounds = []
    for _ in range(count):
        end = start
        start = dt.date(end.year - (end.month == 1), (end.month - 4) % 12 + 1, 1)
        bounds.append((quarter(start), start, end))
    return bounds[::-1]


def _team_clarity(teams: dict[str, Team], bounds: list[tuple[str, dt.date, dt.date]],
                  min_cohort: int) -> dict[tuple[str, str], ScaleSummary]:
    """Clarity answers per (team slug, quarter): the answer's team, else its manager's team; each quarter's
    teams suppressed together (the organisation's quarter is published on this page too)."""
    by_id = {team.pk: slug for slug, team in teams.items()}
    labels = {label for label, _, _ in bounds}
    answers: dict[str, dict[tuple[str, ...], list[int]]] = {}
    for day, team_id, manager_team_id, answer in SurveyResponse.objects.filter(
            question=CLARITY, survey_date__gte=bounds[0][1], survey_date__lt=bounds[-1][2]).values_list(
            "survey_date", "team_id", "manager__team_id", "answer"):
        label = quarter(day)
        slug = by_id.get(team_id or manager_team_id or 0, "")
        if label in labels:
            answers.setdefault(label, {}).setdefault((slug,), []).append(answer)
    result: dict[tuple[str, str], ScaleSummary] = {}
    for label, groups in answers.items():
        for (slug,), summary in summarise_scale_answers(groups, min_cohort=min_cohort).items():
            result[(slug, label)] = summary
    return result


def _team_delivery(team: Team, start: dt.date, end: dt.date) -> dict[str, Any]:
    from brightline.evidence.metrics import MetricsError, team_dora, team_health

    moment_start = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    moment_end = dt.datetime.combine(end, dt.time(), tzinfo=dt.UTC)
    figures: dict[str, Any] = {"outside_hours_share": None, "deployments": None}
    working_hours = team_health(team, start=moment_start, end=moment_end).team
    if working_hours is not None:
        figures["outside_hours_share"] = working_hours.outside_hours_share
    if not team.services.exists():
        return figures
    try:
        dora = team_dora(team, start=moment_start, end=moment_end)
    except (KeyError, MetricsError):
        return figures
    figures.update(deployments=dora.deployments, deployments_per_week=dora.deployment_frequency_per_week,
                   change_fail_rate=dora.change_fail_rate, lead_time_hours=dora.lead_time_hours.median)
    return figures


def _teams_delivery(teams: list[Team], bounds: list[tuple[str, dt.date, dt.date]]
                    ) -> dict[tuple[int, str], dict[str, Any]]:
    """``_team_delivery`` of many teams and quarters at once, by (team id, quarter label): the teams' services'
    rows for the quarters are read once (the deployments from the first quarter on) and DORA computed per team and
    quarter in one pass; the members' commits and pages of all the quarters are read once. The same figures as one
    team and quarter at a time."""
    from brightline.core.delivery import WorkEvent, WorkSchedule, compute_dora_metrics_by_period, summarise_team_health
    from brightline.evidence.models import CommitRecord, Page, Service
    from brightline.evidence.tables import build_delivery_data

    def moment(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)

    first, last = moment(bounds[0][1]), moment(bounds[-1][2])
    by_pk = {team.pk: team for team in teams}
    members = list(Person.objects.filter(team_id__in=list(by_pk), is_active=True)
                   .values_list("id", "timezone", "team_id"))
    schedules = [WorkSchedule(person_id=str(pk), team=by_pk[team_id].slug, time_zone=zone or "UTC")
                 for pk, zone, team_id in members]
    ids = [pk for pk, _, _ in members]
    events: dict[str, list[WorkEvent]] = {label: [] for label, _, _ in bounds}
    for kind, rows in (
            ("commit", CommitRecord.objects.filter(person_id__in=ids, authored_at__gte=first, authored_at__lt=last)
             .values_list("person_id", "authored_at")),
            ("page", Page.objects.filter(person_id__in=ids, paged_at__gte=first, paged_at__lt=last)
             .values_list("person_id", "paged_at"))):
        for pk, when in rows:
            label = next(label for label, start, end in bounds if moment(start) <= when < moment(end))
            events[label].append(WorkEvent(person_id=str(pk), occurred_at=when.astimezone(dt.UTC), kind=kind))
    health = {label: summarise_team_health(events[label], schedules) for label, _, _ in bounds}

    services = list(Service.objects.filter(team_id__in=list(by_pk)).select_related("team"))
    owned = {service.team_id for service in services}
    dora: dict[str, list[Any]] = {}
    released: set[str] = set()  # teams with a production deployment at any time
    if services:
        # The deployments from the first quarter on, with the few earlier ones its figures can depend on (each
        # service's latest production deployment among them, so "has ever released" still holds): not every year.
        data = build_delivery_data(services, window=(first, last), deployments_from=first)
        dora = compute_dora_metrics_by_period(data, start=first, end=last, period="quarter", group_by="team")
        team_of = {service.name: service.team.slug for service in services if service.team is not None}
        table = data.deployments
        released = {team_of[name] for name, production, status in zip(
            table.column("service").to_pylist(), table.column("is_production").to_pylist(),
            table.column("status").to_pylist(), strict=True) if production and status == "success"}
    figures: dict[tuple[int, str], dict[str, Any]] = {}
    for team in teams:
        quarters = {metrics.period_start.date(): metrics for metrics in dora.get(team.slug, [])}
        for label, start, _ in bounds:
            cell: dict[str, Any] = {"outside_hours_share": None, "deployments": None}
            working_hours = health[label].get(team.slug)
            if working_hours is not None:
                cell["outside_hours_share"] = working_hours.outside_hours_share
            metrics = quarters.get(start) if team.pk in owned else None
            lead = metrics.lead_time_hours if metrics is not None else None
            # A team's quarter has figures when it has ever released, or shipped a change in that quarter.
            if metrics is not None and lead is not None and (
                    team.slug in released or lead.n + lead.skipped + lead.beyond_lookback):
                cell.update(deployments=metrics.deployments,
                            deployments_per_week=metrics.deployment_frequency_per_week,
                            change_fail_rate=metrics.change_fail_rate, lead_time_hours=lead.median)
            figures[(team.pk, label)] = cell
    return figures


HEALTH_NEXT_TO_DELIVERY_ROLLUP = "governance.health_next_to_delivery"


def health_next_to_delivery(*, min_cohort: int, today: dt.date | None = None,
                            quarters: int = QUARTERS_NEXT_TO_DELIVERY) -> HealthNextToDelivery:
    """G6 for each team large enough to show, over the last ``quarters`` whole calendar quarters."""
    today = today or dt.date.today()
    bounds = _quarter_bounds(today, quarters)
    sizes = {team.slug: (team, team.size) for team in Team.objects.annotate(
        size=Count("members", filter=Q(members__is_active=True))).filter(size__gt=0).order_by("name")}
    withheld = suppress_small_groups({(slug,): size for slug, (_, size) in sizes.items()}, min_cohort=min_cohort)
    teams = {slug: team for slug, (team, _) in sizes.items()}
    clarity = _team_clarity(teams, bounds, min_cohort)
    known = {slug: slug for slug in teams} | {slugify(team.name)[:80]: slug for slug, team in teams.items()}
    movements: Counter[tuple[str, str, str]] = Counter()
    for event, from_team, day in HrisEvent.objects.filter(
            event__in=[HrisEvent.Kind.LEFT, HrisEvent.Kind.TRANSFERRED], date__gte=bounds[0][1],
            date__lt=bounds[-1][2]).values_list("event", "from_team", "date"):
        slug = known.get(slugify(from_team)[:80])
        if slug:
            movements[(slug, quarter(day), event)] += 1
    delivery = _teams_delivery([team for slug, (team, _) in sizes.items() if (slug,) not in withheld], bounds)
    rows = []
    for slug, (team, size) in sizes.items():
        if (slug,) in withheld:
            rows.append(TeamHealthAndDelivery(team.name, slug, None))
            continue
        cells = tuple(TeamQuarter(label, movements[(slug, label, HrisEvent.Kind.LEFT)],
                                  movements[(slug, label, HrisEvent.Kind.TRANSFERRED)], clarity.get((slug, label)),
                                  **delivery[(team.pk, label)]) for label, _, _ in bounds)
        rows.append(TeamHealthAndDelivery(team.name, slug, size, cells))
    return HealthNextToDelivery(min_cohort, tuple(label for label, _, _ in bounds), rows)
