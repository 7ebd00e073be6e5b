"""Manager quality (G5) and system health (G6), from whatever the installed apps hold.

Each figure is computed by the pure core where one exists (calibration movement and health,
promotion velocity, rates with suppression). Data from an app that is not installed, or not
yet recorded, is reported as "not available" with the reason — never as zero.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils.text import slugify

from brightline.core.fairness import (
    CalibrationHealth,
    CalibrationRecord,
    LevelStart,
    ManagerCalibrationMovement,
    OutcomeAudit,
    PromotionVelocityReport,
    audit_outcome_counts,
    measure_calibration_health,
    measure_calibration_movement,
    measure_promotion_velocity,
)
from brightline.fairness.models import HrisEvent
from brightline.fairness.surveys import ClarityReport, clarity_for_manager
from brightline.people.models import Person, Team

CHECKPOINT_WINDOW_DAYS = 92  # a quarter: the slowest checkpoint cadence the feedback app offers
ATTRITION_WINDOW_DAYS = 365


def _model(app_label: str, name: str):  # noqa: ANN202 - a model class or None
    if not apps.is_installed(f"brightline.{app_label}"):
        return None
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _outcome_scale() -> dict[str, int]:
    if not apps.is_installed("brightline.reviews"):
        return {}
    from brightline.reviews.models import OUTCOME_SCALE

    return {str(key): value for key, value in OUTCOME_SCALE.items()}


def calibration_records(*, manager: Person | None = None, cycle: Any = None) -> list[CalibrationRecord]:
    """Proposed → calibrated outcome for every assessed dimension (reviews app), as ordinal steps."""
    model = _model("reviews", "DimensionAssessment")
    scale = _outcome_scale()
    if model is None or not scale:
        return []
    assessments = model.objects.exclude(proposed_outcome="").exclude(outcome="")
    if manager is not None:
        assessments = assessments.filter(review__manager=manager)
    if cycle is not None:
        assessments = assessments.filter(review__cycle=cycle)
    return [CalibrationRecord(manager=str(manager_id), proposed=scale[proposed], calibrated=scale[outcome])
            for manager_id, proposed, outcome in assessments.values_list("review__manager_id", "proposed_outcome",
                                                                          "outcome")
            if proposed in scale and outcome in scale]


# ------------------------------------------------------------------------------------ manager quality


@dataclass(frozen=True)
class Timeliness:
    assessments_on_time: int
    assessments_late: int
    assessments_missing: int
    reports: int
    reports_with_recent_checkpoint: int | None  # None: the feedback app is not installed


@dataclass
class ManagerQuality:
    manager: Person
    min_cohort: int
    movement: ManagerCalibrationMovement | None
    proposals: int
    timeliness: Timeliness
    clarity: ClarityReport
    support_plan_outcomes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _assessment_timeliness(manager: Person) -> tuple[int, int, int]:
    model = _model("reviews", "Review")
    if model is None:
        return 0, 0, 0
    on_time = late = missing = 0
    for submitted_at, schedule in model.objects.filter(manager=manager).values_list("assessment_submitted_at",
                                                                                   "cycle__schedule"):
        due = (schedule or {}).get("manager_assessment")
        if submitted_at is None:
            missing += 1
        elif due and submitted_at.date() > dt.date.fromisoformat(due):
            late += 1
        else:
            on_time += 1
    return on_time, late, missing


def measure_manager_quality(manager: Person, *, min_cohort: int, today: dt.date | None = None) -> ManagerQuality:
    """G5 for one manager: how calibration moved their proposals, timeliness, clarity of expectations as their
    reports answered it in surveys, support-plan outcomes."""
    today = today or dt.date.today()
    notes: list[str] = []
    records = calibration_records(manager=manager)
    report = measure_calibration_movement(records, min_cohort=min_cohort)
    movement = report.managers[0] if report.managers else None
    if records and movement is None:
        notes.append(f"Fewer than {min_cohort} calibrated proposals so far: the direction is withheld until there "
                     "are enough to read without singling anyone out.")
    if not records:
        notes.append("No calibrated proposals yet (or the reviews app is not installed).")
    reports = list(manager.reports.filter(is_active=True))
    checkpoint_model = _model("feedback", "Checkpoint")
    recent: int | None = None
    if checkpoint_model is not None:
        since = today - dt.timedelta(days=CHECKPOINT_WINDOW_DAYS)
        recent = checkpoint_model.objects.filter(person__in=reports, held_on__gte=since).values(
            "person").distinct().count()
    else:
        notes.append("Checkpoints are not available: the feedback app is not installed.")
    on_time, late, missing = _assessment_timeliness(manager)
    outcomes: Counter[str] = Counter()
    plan_model = _model("support", "SupportPlan")
    if plan_model is not None:
        for status, outcome in plan_model.objects.filter(person__manager=manager).values_list("status", "outcome"):
            outcomes[outcome or status] += 1
    clarity = clarity_for_manager(manager, min_cohort=min_cohort)
    if not clarity.quarters:
        notes.append("No clarity-of-expectations survey answers have been imported for this manager's reports.")
    return ManagerQuality(manager, min_cohort, movement, len(records),
                          Timeliness(on_time, late, missing, len(reports), recent), clarity, dict(outcomes), notes)


# ------------------------------------------------------------------------------------- system health


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


def managers_visible_to(viewer: Person, can_view: Any) -> Iterable[Person]:
    """Active managers whose quality page ``viewer`` may open (``can_view`` is the access function)."""
    managers = Person.objects.filter(is_active=True, reports__is_active=True).distinct().order_by("name")
    return [manager for manager in managers if can_view(viewer, manager)]
