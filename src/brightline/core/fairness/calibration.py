"""Calibration movement per manager (G5) and calibration health (G6).

Ratings are positions on an ordinal scale (higher = stronger assessment), e.g. needs
support = 1, meets = 2, exceeds = 3. A calibration *moves* a proposal up or down by
whole steps on that scale.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from brightline.core.fairness._rates import SIGNIFICANCE_LEVEL
from brightline.core.fairness.errors import check_min_cohort
from brightline.core.fairness.intervals import wilson_interval
from brightline.core.fairness.outcomes import DEFAULT_MIN_COHORT

__all__ = [
    "CalibrationHealth",
    "CalibrationMovementReport",
    "CalibrationRecord",
    "ManagerCalibrationMovement",
    "NetDirection",
    "RatingLean",
    "measure_calibration_health",
    "measure_calibration_movement",
]

NetDirection = Literal["up", "down", "none"]
#: "lenient": calibration tends to lower this manager's proposals; "severe": to raise them.
RatingLean = Literal["lenient", "severe"]


@dataclass(frozen=True)
class CalibrationRecord:
    """One proposal through calibration: the manager's proposed and the calibrated rating.

    Both are positions on the same ordinal scale (integers, higher = stronger). ``person`` names whose outcome it
    is (any stable key; "" when unknown): a person has one proposal per dimension, and what may be published about
    calibration is counted in people.
    """

    manager: str
    proposed: int
    calibrated: int
    person: str = ""


@dataclass(frozen=True)
class ManagerCalibrationMovement:
    """How calibration moved one manager's proposals (counts of proposals).

    ``p_value`` is a two-sided exact binomial (sign) test of ``down`` out of ``up + down``
    moves against an even split; ``None`` when nothing moved. ``lean`` is set only when
    ``p_value < 0.05``.
    """

    manager: str
    n: int
    up: int
    down: int
    unchanged: int
    net_direction: NetDirection
    p_value: float | None
    lean: RatingLean | None

    def to_json(self) -> dict[str, Any]:
        return {
            "manager": self.manager,
            "n": self.n,
            "up": self.up,
            "down": self.down,
            "unchanged": self.unchanged,
            "net_direction": self.net_direction,
            "p_value": self.p_value,
            "lean": self.lean,
        }


@dataclass(frozen=True)
class CalibrationMovementReport:
    """Per-manager movement; managers with fewer than ``min_cohort`` proposals are withheld."""

    managers: tuple[ManagerCalibrationMovement, ...]
    suppressed: tuple[str, ...]
    min_cohort: int

    def to_json(self) -> dict[str, Any]:
        return {
            "managers": [manager.to_json() for manager in self.managers],
            "suppressed": list(self.suppressed),
            "min_cohort": self.min_cohort,
        }


@dataclass(frozen=True)
class CalibrationHealth:
    """Organisation-level calibration statistics.

    ``change_rate`` = share of proposals calibration changed (fraction, 95 % Wilson interval); ``raised`` and
    ``lowered`` count the changed proposals by direction and :attr:`unchanged` the rest. ``shift_variance`` = the
    sample variance of ``calibrated − proposed`` (steps², ``None`` below two proposals); pages show its square
    root, :attr:`shift_spread`, in rating steps.

    ``people`` counts the people the records are about (when they name one), ``people_raised`` and
    ``people_lowered`` those with at least one proposal raised or lowered (one person may be in both), and
    :attr:`people_changed` those with any change.

    There is no mean shift: with one or two changes it gives a single person's direction back (one raise among
    twenty proposals is +0.05), and with changes both ways it averages them to nothing. The counts by direction
    say both, and a page shows them under the small-cell rule, in people.
    """

    n: int
    changed: int
    change_rate: float | None
    ci_low: float | None
    ci_high: float | None
    shift_variance: float | None
    raised: int = 0
    lowered: int = 0
    people: int = 0
    people_raised: int = 0
    people_lowered: int = 0
    people_changed: int = 0

    @property
    def people_unchanged(self) -> int:
        """The people calibration left every proposal of as their manager proposed it."""
        return self.people - self.people_changed

    @property
    def unchanged(self) -> int:
        """The proposals calibration left as the manager proposed them."""
        return self.n - self.changed

    @property
    def shift_spread(self) -> float | None:
        """The standard deviation of ``calibrated − proposed``, in rating steps: how far a typical outcome moved,
        either way (``None`` below two proposals)."""
        return None if self.shift_variance is None else math.sqrt(self.shift_variance)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "changed": self.changed,
            "change_rate": self.change_rate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "shift_variance": self.shift_variance,
            "raised": self.raised,
            "lowered": self.lowered,
            "unchanged": self.unchanged,
            "people": self.people,
            "people_raised": self.people_raised,
            "people_lowered": self.people_lowered,
            "people_changed": self.people_changed,
            "people_unchanged": self.people_unchanged,
        }


def measure_calibration_movement(
    records: Iterable[CalibrationRecord], *, min_cohort: int = DEFAULT_MIN_COHORT
) -> CalibrationMovementReport:
    """Count up / down / unchanged calibration moves per manager and test for a lean.

    A manager whose proposals calibration lowers significantly more often than it raises
    them is flagged ``"lenient"`` (and the reverse ``"severe"``). Unchanged proposals do
    not enter the test. With few moves the exact test cannot reach significance (five
    moves all one way give p = 0.0625), so no lean is shown – by design, not by accident.
    Managers are sorted by name; size-of-move is ignored (a two-step move counts once).
    """
    check_min_cohort(min_cohort)
    tallies: dict[str, list[int]] = {}
    for record in records:
        up_down_same = tallies.setdefault(record.manager, [0, 0, 0])
        if record.calibrated > record.proposed:
            up_down_same[0] += 1
        elif record.calibrated < record.proposed:
            up_down_same[1] += 1
        else:
            up_down_same[2] += 1
    movements = []
    suppressed = []
    for manager in sorted(tallies):
        up, down, unchanged = tallies[manager]
        n = up + down + unchanged
        if n < min_cohort:
            suppressed.append(manager)
            continue
        moved = up + down
        from scipy.stats import binomtest  # loaded where used: start-up stays light
        p_value = float(binomtest(down, moved, 0.5).pvalue) if moved else None
        lean: RatingLean | None = None
        if p_value is not None and p_value < SIGNIFICANCE_LEVEL:
            lean = "lenient" if down > up else "severe"
        net: NetDirection = "up" if up > down else "down" if down > up else "none"
        movements.append(ManagerCalibrationMovement(manager, n, up, down, unchanged, net, p_value, lean))
    return CalibrationMovementReport(tuple(movements), tuple(suppressed), min_cohort)


def measure_calibration_health(records: Iterable[CalibrationRecord]) -> CalibrationHealth:
    """Share of proposals changed in calibration, how many it raised and lowered (in proposals and in people),
    and the spread of the changes.

    No records gives ``n == 0`` and ``None`` for every statistic. Records without a ``person`` count in the
    proposals only.
    """
    records = list(records)
    shifts = [record.calibrated - record.proposed for record in records]
    if not shifts:
        return CalibrationHealth(0, 0, None, None, None, None)
    changed = sum(1 for shift in shifts if shift != 0)
    low, high = wilson_interval(changed, len(shifts))
    named = [(record.person, shift) for record, shift in zip(records, shifts, strict=True) if record.person]
    return CalibrationHealth(
        n=len(shifts),
        changed=changed,
        change_rate=changed / len(shifts),
        ci_low=low,
        ci_high=high,
        shift_variance=statistics.variance(shifts) if len(shifts) >= 2 else None,
        raised=sum(1 for shift in shifts if shift > 0),
        lowered=sum(1 for shift in shifts if shift < 0),
        people=len({person for person, _shift in named}),
        people_raised=len({person for person, shift in named if shift > 0}),
        people_lowered=len({person for person, shift in named if shift < 0}),
        people_changed=len({person for person, shift in named if shift != 0}),
    )
