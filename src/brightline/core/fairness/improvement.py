"""Improvement after feedback (G5): does a manager's reviewing change after calibration and the
narrative checks have given them feedback?

A manager gets feedback on their reviewing through two channels: calibration changes some of
their proposed outcomes, and the narrative checks flag vague or personality language and
uncited claims in what they wrote. Per manager and review cycle this module takes two rates –
the share of proposals changed at calibration and the narrative flags per written assessment –
and compares each cycle with the manager's most recent earlier cycle in which they received
feedback (at least one change or one flag).

It measures the system, not people: there is no score, no ranking and no combination of the two
rates into one number. A comparison needs at least ``min_reviews`` written assessments in both
cycles; below that it says "not enough data" and publishes neither rate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from brightline.core.fairness.errors import FairnessInputError, check_min_cohort
from brightline.core.fairness.outcomes import DEFAULT_MIN_COHORT

__all__ = [
    "COUNTS_INCONSISTENT",
    "DUPLICATE_MANAGER_CYCLE",
    "ComparisonStatus",
    "CycleImprovementSummary",
    "FeedbackComparison",
    "ImprovementDirection",
    "ManagerCycleFeedback",
    "RateDirection",
    "compare_after_feedback",
    "summarise_improvement",
]

#: "improved": at least one rate fell and neither rose; "worsened": the reverse; "stayed": neither
#: moved; "mixed": one fell and the other rose. Lower is better for both rates.
ImprovementDirection = Literal["improved", "stayed", "worsened", "mixed"]
RateDirection = Literal["lower", "same", "higher"]
#: "compared": both cycles have enough assessments; "not_enough_data": one of them has fewer than
#: ``min_reviews``; "no_earlier_feedback": the manager received no feedback in any earlier cycle.
ComparisonStatus = Literal["compared", "not_enough_data", "no_earlier_feedback"]

COUNTS_INCONSISTENT = (
    "Manager {manager!r}, cycle {cycle!r}: counts must be whole numbers ≥ 0 with changed ≤ proposals; "
    "got reviews={reviews}, proposals={proposals}, changed={changed}, flags={flags}."
)
DUPLICATE_MANAGER_CYCLE = "Manager {manager!r} has more than one record for cycle {cycle!r}."


@dataclass(frozen=True)
class ManagerCycleFeedback:
    """What one manager wrote and proposed in one review cycle, and the feedback it drew.

    ``reviews`` counts their written (submitted) assessments, ``proposals`` the proposed outcomes
    that went through calibration (one per assessed dimension), ``changed`` those calibration
    changed, ``flags`` the narrative-check flags on their written text. ``cycle_date`` orders the
    cycles (for example the day the cycle opened); ties are broken by ``cycle``.
    """

    manager: str
    cycle: str
    cycle_date: dt.date
    reviews: int
    proposals: int
    changed: int
    flags: int

    @property
    def received_feedback(self) -> bool:
        """At least one calibration change or one narrative flag."""
        return self.changed > 0 or self.flags > 0

    @property
    def change_rate(self) -> float | None:
        """Share of proposals changed at calibration (0–1); ``None`` without proposals."""
        return self.changed / self.proposals if self.proposals else None

    @property
    def flag_rate(self) -> float | None:
        """Narrative flags per written assessment (≥ 0, may exceed 1); ``None`` without assessments."""
        return self.flags / self.reviews if self.reviews else None

    def to_json(self) -> dict[str, Any]:
        return {"manager": self.manager, "cycle": self.cycle, "cycle_date": self.cycle_date.isoformat(),
                "reviews": self.reviews, "proposals": self.proposals, "changed": self.changed,
                "flags": self.flags, "change_rate": self.change_rate, "flag_rate": self.flag_rate}


@dataclass(frozen=True)
class FeedbackComparison:
    """One manager's cycle against their previous cycle with feedback.

    Only with ``status == "compared"`` are the deltas, p-values and ``direction`` set. Deltas are
    ``current − baseline``: ``change_rate_delta`` in share points (−1 … 1), ``flag_rate_delta`` in
    flags per assessment; negative means less feedback was needed. ``change_rate_p_value`` is a
    two-sided Fisher exact test of the two cycles' changed/unchanged counts;
    ``flag_rate_p_value`` a two-sided exact test of the flag counts given their total, under equal
    flags per assessment (the conditional binomial test for two Poisson rates). Either is ``None``
    when there is nothing to test (no proposals, or no flags in either cycle).
    """

    manager: str
    current: ManagerCycleFeedback
    baseline: ManagerCycleFeedback | None
    status: ComparisonStatus
    change_rate_delta: float | None = None
    flag_rate_delta: float | None = None
    change_direction: RateDirection | None = None
    flag_direction: RateDirection | None = None
    change_rate_p_value: float | None = None
    flag_rate_p_value: float | None = None
    direction: ImprovementDirection | None = None

    @property
    def cycle(self) -> str:
        return self.current.cycle

    def to_json(self) -> dict[str, Any]:
        return {"manager": self.manager, "cycle": self.current.cycle,
                "baseline_cycle": self.baseline.cycle if self.baseline else None, "status": self.status,
                "change_rate_delta": self.change_rate_delta, "flag_rate_delta": self.flag_rate_delta,
                "change_direction": self.change_direction, "flag_direction": self.flag_direction,
                "change_rate_p_value": self.change_rate_p_value, "flag_rate_p_value": self.flag_rate_p_value,
                "direction": self.direction}


@dataclass(frozen=True)
class CycleImprovementSummary:
    """How many managers' comparisons in one cycle went each way (organisation level).

    Withheld (every count ``None``, ``withheld`` true) when fewer than ``min_cohort`` managers were
    compared in the cycle: with a handful, a reader who knows some of them could tell the others'.
    """

    cycle: str
    cycle_date: dt.date
    compared: int | None
    improved: int | None
    stayed: int | None
    worsened: int | None
    mixed: int | None
    not_enough_data: int | None
    withheld: bool
    min_cohort: int

    def to_json(self) -> dict[str, Any]:
        return {"cycle": self.cycle, "cycle_date": self.cycle_date.isoformat(), "compared": self.compared,
                "improved": self.improved, "stayed": self.stayed, "worsened": self.worsened, "mixed": self.mixed,
                "not_enough_data": self.not_enough_data, "withheld": self.withheld, "min_cohort": self.min_cohort}


def _check(record: ManagerCycleFeedback) -> None:
    counts = (record.reviews, record.proposals, record.changed, record.flags)
    if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts) or record.changed > record.proposals:
        raise FairnessInputError(COUNTS_INCONSISTENT.format(
            manager=record.manager, cycle=record.cycle, reviews=record.reviews, proposals=record.proposals,
            changed=record.changed, flags=record.flags))


def _sign(current_numerator: int, current_denominator: int, baseline_numerator: int,
          baseline_denominator: int) -> RateDirection | None:
    # Cross-multiplied so equal rates compare equal exactly (no floating-point noise).
    if not current_denominator or not baseline_denominator:
        return None
    left = current_numerator * baseline_denominator
    right = baseline_numerator * current_denominator
    return "lower" if left < right else "higher" if left > right else "same"


def _direction(signs: Sequence[RateDirection]) -> ImprovementDirection:
    if "lower" in signs and "higher" in signs:
        return "mixed"
    if "lower" in signs:
        return "improved"
    if "higher" in signs:
        return "worsened"
    return "stayed"


def _compare(current: ManagerCycleFeedback, baseline: ManagerCycleFeedback) -> FeedbackComparison:
    from scipy.stats import binomtest, fisher_exact  # loaded where used: start-up stays light
    change_direction = _sign(current.changed, current.proposals, baseline.changed, baseline.proposals)
    flag_direction = _sign(current.flags, current.reviews, baseline.flags, baseline.reviews)
    change_delta = change_p = None
    if change_direction is not None:
        change_delta = current.changed / current.proposals - baseline.changed / baseline.proposals
        table = [[current.changed, current.proposals - current.changed],
                 [baseline.changed, baseline.proposals - baseline.changed]]
        change_p = float(fisher_exact(table).pvalue) if current.changed + baseline.changed else None
    flag_delta = current.flags / current.reviews - baseline.flags / baseline.reviews
    total_flags = current.flags + baseline.flags
    flag_p = (float(binomtest(current.flags, total_flags, current.reviews / (current.reviews + baseline.reviews))
                    .pvalue) if total_flags else None)
    signs = [sign for sign in (change_direction, flag_direction) if sign is not None]
    return FeedbackComparison(current.manager, current, baseline, "compared", change_delta, flag_delta,
                              change_direction, flag_direction, change_p, flag_p, _direction(signs))


def compare_after_feedback(
    records: Iterable[ManagerCycleFeedback], *, min_reviews: int = DEFAULT_MIN_COHORT
) -> tuple[FeedbackComparison, ...]:
    """Compare each manager's cycle with their most recent earlier cycle in which they got feedback.

    Returns one comparison per record, ordered by manager, then cycle date (then cycle id). A
    manager's cycle with no earlier feedback cycle is ``"no_earlier_feedback"`` (always so for their
    first cycle). A cycle is compared only when both it and its baseline have at least
    ``min_reviews`` written assessments, otherwise ``"not_enough_data"``; a baseline is chosen
    whatever its size, so a small feedback cycle is never silently skipped for an older one.
    Records with bad counts raise :class:`FairnessInputError` (``COUNTS_INCONSISTENT``), as does a
    repeated manager × cycle (``DUPLICATE_MANAGER_CYCLE``).
    """
    check_min_cohort(min_reviews)
    by_manager: dict[str, list[ManagerCycleFeedback]] = {}
    for record in records:
        _check(record)
        history = by_manager.setdefault(record.manager, [])
        if any(earlier.cycle == record.cycle for earlier in history):
            raise FairnessInputError(DUPLICATE_MANAGER_CYCLE.format(manager=record.manager, cycle=record.cycle))
        history.append(record)
    comparisons: list[FeedbackComparison] = []
    for manager in sorted(by_manager):
        baseline: ManagerCycleFeedback | None = None
        for current in sorted(by_manager[manager], key=lambda r: (r.cycle_date, r.cycle)):
            if baseline is None:
                comparisons.append(FeedbackComparison(manager, current, None, "no_earlier_feedback"))
            elif current.reviews < min_reviews or baseline.reviews < min_reviews:
                comparisons.append(FeedbackComparison(manager, current, baseline, "not_enough_data"))
            else:
                comparisons.append(_compare(current, baseline))
            if current.received_feedback:
                baseline = current
    return tuple(comparisons)


def summarise_improvement(
    comparisons: Iterable[FeedbackComparison], *, min_cohort: int = DEFAULT_MIN_COHORT
) -> tuple[CycleImprovementSummary, ...]:
    """Per cycle, how many managers improved, stayed, worsened or moved both ways (oldest cycle first).

    Only cycles with at least one comparable or not-enough-data comparison appear ("no earlier
    feedback" is not a comparison). A cycle with fewer than ``min_cohort`` compared managers is
    withheld whole: not even the number compared is published.
    """
    check_min_cohort(min_cohort)
    cycles: dict[str, tuple[dt.date, list[FeedbackComparison]]] = {}
    for comparison in comparisons:
        if comparison.status == "no_earlier_feedback":
            continue
        cycles.setdefault(comparison.cycle, (comparison.current.cycle_date, []))[1].append(comparison)
    summaries = []
    for cycle, (cycle_date, items) in sorted(cycles.items(), key=lambda item: (item[1][0], item[0])):
        compared = [item for item in items if item.status == "compared"]
        if len(compared) < min_cohort:
            summaries.append(CycleImprovementSummary(cycle, cycle_date, None, None, None, None, None, None, True,
                                                     min_cohort))
            continue
        directions = [item.direction for item in compared]
        summaries.append(CycleImprovementSummary(
            cycle, cycle_date, len(compared), directions.count("improved"), directions.count("stayed"),
            directions.count("worsened"), directions.count("mixed"), len(items) - len(compared), False, min_cohort))
    return tuple(summaries)
