"""The recommendation that ends the leadership brief: what to change in the system next quarter.

Pure: it reads only the published figures the brief itself cites (never a person, never a withheld cell) and
returns one recommendation with the figures it rests on. It is a proposal for a human to accept or reject,
never an action. Rules are tried in order; the first whose evidence holds wins:

1. ``outcome_gap``: some outcome comparisons fell below the four-fifths guide.
2. ``calibration_churn``: calibration changed at least a quarter of the managers' proposals.
3. ``promotion_bottleneck``: the readiness rate at one level is below four-fifths of the rate in all levels shown.
4. ``regretted_attrition``: at least half of the leavers (at least the minimum cohort) were regretted.
5. ``small_teams``: more teams are withheld than shown, so the brief compares little.
6. ``keep``: none of the above; keep the system as it is and look again next quarter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from brightline.core.fairness.suppression import SMALL_CELL, is_small_cell

RecommendationRule = Literal["outcome_gap", "calibration_churn", "promotion_bottleneck", "regretted_attrition",
                             "small_teams", "keep"]

CALIBRATION_CHURN_SHARE = 0.25  # a quarter of proposals changed: the rubric or the managers' reading of it drifts
FOUR_FIFTHS = 0.8
REGRETTED_SHARE = 0.5


@dataclass(frozen=True)
class FlaggedComparison:
    """One comparison below the four-fifths guide: which outcome, grouped by what, and its impact ratio."""

    measure: str
    cut: str
    impact_ratio: float


@dataclass(frozen=True)
class BriefFigures:
    """The published numbers of one leadership brief. Rates are fractions (0–1); counts are people."""

    min_cohort: int
    teams_shown: int = 0
    teams_withheld: int = 0
    comparisons: int = 0
    flagged: tuple[FlaggedComparison, ...] = ()
    calibration_n: int = 0
    calibration_changed: int = 0
    promotion_n: int = 0
    promotion_ready: int = 0
    lowest_level: str = ""
    lowest_level_n: int = 0
    lowest_level_ready: int = 0
    leavers: int = 0
    regretted: int = 0


@dataclass(frozen=True)
class CitedFigure:
    label: str
    value: str
    n: int


@dataclass(frozen=True)
class Recommendation:
    """What to change next quarter (``text``), why (``evidence``) and the rule that chose it."""

    rule: RecommendationRule
    text: str
    evidence: tuple[CitedFigure, ...] = field(default_factory=tuple)


def _percent(numerator: int, denominator: int) -> str:
    """A share as a whole percentage; a small cell (1 or 2 people) as "fewer than 3 of n", never its rate."""
    if is_small_cell(numerator):
        return f"fewer than {SMALL_CELL} of {denominator}"
    return f"{numerator / denominator * 100:.0f}%"


def _of(numerator: int, denominator: int) -> str:
    """"k of n"; a small cell (1 or 2 people) as "fewer than 3 of n"."""
    return f"fewer than {SMALL_CELL} of {denominator}" if is_small_cell(numerator) else f"{numerator} of {denominator}"


def recommend_next_quarter(figures: BriefFigures) -> Recommendation:
    """One recommendation drawn from ``figures``; every number it states is one of its cited figures."""
    if figures.comparisons and figures.flagged:
        worst = min(figures.flagged, key=lambda item: (item.impact_ratio, item.measure, item.cut))
        return Recommendation(
            "outcome_gap",
            f"Next quarter, review how '{worst.measure}' is decided for each {worst.cut.lower()}: its impact ratio was "
            f"{worst.impact_ratio:.2f}, below the four-fifths guide. Have the people partners check the rubric "
            f"wording and the panels for that step before the next cycle opens.",
            (CitedFigure("comparisons below four-fifths", f"{len(figures.flagged)} of {figures.comparisons}",
                         figures.comparisons),
             CitedFigure(f"impact ratio, {worst.measure} by {worst.cut}", f"{worst.impact_ratio:.2f}",
                         figures.comparisons)))
    if figures.calibration_n >= figures.min_cohort and figures.calibration_n and \
            figures.calibration_changed / figures.calibration_n >= CALIBRATION_CHURN_SHARE:
        share = _percent(figures.calibration_changed, figures.calibration_n)
        return Recommendation(
            "calibration_churn",
            f"Next quarter, rewrite the outcome criteria the managers found hardest to apply and run the manager "
            f"training again before assessments: calibration changed {share} of their proposals.",
            (CitedFigure("proposals changed", _of(figures.calibration_changed, figures.calibration_n),
                         figures.calibration_n),))
    if figures.promotion_n and figures.lowest_level and figures.lowest_level_n >= figures.min_cohort:
        overall = figures.promotion_ready / figures.promotion_n
        lowest = figures.lowest_level_ready / figures.lowest_level_n
        if overall > 0 and lowest < FOUR_FIFTHS * overall:
            return Recommendation(
                "promotion_bottleneck",
                f"Next quarter, check whether the next-level behaviours expected at {figures.lowest_level} can be "
                f"shown in the work available there: {_percent(figures.lowest_level_ready, figures.lowest_level_n)}"
                f" were ready for promotion at {figures.lowest_level}, against "
                f"{_percent(figures.promotion_ready, figures.promotion_n)} in all levels shown.",
                (CitedFigure(f"ready at {figures.lowest_level}",
                             _of(figures.lowest_level_ready, figures.lowest_level_n), figures.lowest_level_n),
                 CitedFigure("ready for promotion", _of(figures.promotion_ready, figures.promotion_n),
                             figures.promotion_n)))
    if figures.leavers >= figures.min_cohort and figures.regretted / figures.leavers >= REGRETTED_SHARE:
        return Recommendation(
            "regretted_attrition",
            f"Next quarter, add the reasons people give for leaving to the review of the system: "
            f"{_of(figures.regretted, figures.leavers)} leavers were regretted.",
            (CitedFigure("regretted leavers", _of(figures.regretted, figures.leavers), figures.leavers),))
    if figures.teams_withheld > figures.teams_shown:
        return Recommendation(
            "small_teams",
            f"Next quarter, report by groups of teams (a department or a workload class) as well: "
            f"{figures.teams_withheld} teams are too small to show against {figures.teams_shown} shown, so the "
            f"brief compares little.",
            (CitedFigure("teams withheld", str(figures.teams_withheld), figures.teams_withheld),
             CitedFigure("teams shown", str(figures.teams_shown), figures.teams_shown)))
    return Recommendation(
        "keep",
        "Keep the system as it is next quarter: none of the figures in this brief calls for a change. Look again "
        "after the next cycle.",
        (CitedFigure("comparisons below four-fifths", f"{len(figures.flagged)} of {figures.comparisons}",
                     figures.comparisons) if figures.comparisons else
         CitedFigure("teams shown", str(figures.teams_shown), figures.teams_shown),))
