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

from django.utils.text import slugify

from brightline.core.fairness import (
    CalibrationHealth,
    LevelStart,
    OutcomeAudit,
    PromotionVelocityReport,
    audit_outcome_counts,
    measure_calibration_health,
    measure_promotion_velocity,
)
from brightline.governance.manager_quality import calibration_records
from brightline.governance.models import HrisEvent
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
