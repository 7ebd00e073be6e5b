"""Promotion velocity by level (G6): how long people stay at a level before moving on."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from brightline.core.fairness.errors import check_min_cohort
from brightline.core.fairness.outcomes import DEFAULT_MIN_COHORT

__all__ = [
    "DAYS_PER_MONTH",
    "LevelStart",
    "LevelVelocity",
    "PromotionVelocityReport",
    "measure_promotion_velocity",
]

#: An average Gregorian month (365.2425 / 12 days); months here are this many days.
DAYS_PER_MONTH = 30.436875


@dataclass(frozen=True)
class LevelStart:
    """``person`` started at ``level`` on ``start`` (hire or promotion date)."""

    person: str
    level: str
    start: date


@dataclass(frozen=True)
class LevelVelocity:
    """Time at one level: ``promotions`` completed stays, their median length in months.

    ``still_at_level`` counts people at the level with no later move (their stay is not
    over, so it is not in the median).
    """

    level: str
    promotions: int
    median_months: float
    still_at_level: int

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "promotions": self.promotions,
            "median_months": self.median_months,
            "still_at_level": self.still_at_level,
        }


@dataclass(frozen=True)
class PromotionVelocityReport:
    """Velocity per level; levels with fewer than ``min_cohort`` completed stays are withheld."""

    levels: tuple[LevelVelocity, ...]
    suppressed: tuple[str, ...]
    min_cohort: int

    def to_json(self) -> dict[str, Any]:
        return {
            "levels": [level.to_json() for level in self.levels],
            "suppressed": list(self.suppressed),
            "min_cohort": self.min_cohort,
        }


def measure_promotion_velocity(
    level_starts: Iterable[LevelStart], *, min_cohort: int = DEFAULT_MIN_COHORT
) -> PromotionVelocityReport:
    """Median months between promotions, per level left.

    For each person, starts are ordered by date; a stay at a level runs from its start to
    the person's next start at a different level (a repeated start at the same level is
    a duplicate record and is ignored). Months are days ÷ 30.436875. Pass hires and
    promotions only: any level change ends a stay. Open stays are counted in
    ``still_at_level`` but not in the median – so the median describes people who did
    move, and reads shorter than the typical stay when many are still waiting (no
    survival-analysis correction is made). Levels are sorted by name.
    Raises ``ValueError`` when one person has two different levels on the same date.
    """
    check_min_cohort(min_cohort)
    by_person: dict[str, list[LevelStart]] = {}
    for level_start in level_starts:
        by_person.setdefault(level_start.person, []).append(level_start)
    stays: dict[str, list[float]] = {}
    still: dict[str, int] = {}
    for person, starts in by_person.items():
        starts.sort(key=lambda level_start: level_start.start)
        distinct: list[LevelStart] = []
        for level_start in starts:
            if distinct and distinct[-1].level == level_start.level:
                continue
            if distinct and distinct[-1].start == level_start.start:
                raise ValueError(f"{person!r} has two levels starting on {level_start.start.isoformat()}")
            distinct.append(level_start)
        for current, following in zip(distinct, distinct[1:], strict=False):
            months = (following.start - current.start).days / DAYS_PER_MONTH
            stays.setdefault(current.level, []).append(months)
        still[distinct[-1].level] = still.get(distinct[-1].level, 0) + 1
    levels = []
    suppressed = []
    for level in sorted(set(stays) | set(still)):
        completed = stays.get(level, [])
        if len(completed) < min_cohort:
            suppressed.append(level)
            continue
        levels.append(LevelVelocity(level, len(completed), statistics.median(completed), still.get(level, 0)))
    return PromotionVelocityReport(tuple(levels), tuple(suppressed), min_cohort)
