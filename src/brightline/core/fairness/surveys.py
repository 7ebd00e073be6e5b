"""Summaries of anonymous answers on a 1–5 scale (clarity-of-expectations surveys, G5/G6).

Answers come grouped (for example by quarter × manager); each group is published as its
number of answers, median and distribution, or withheld by the same small-cohort rule as
the outcome audits (:func:`~brightline.core.fairness.suppression.suppress_small_groups`,
complementary suppression included). Why complementary suppression matters here: an
organisation-wide distribution per quarter minus the published managers' distributions
would otherwise give a withheld team's answers exactly.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from brightline.core.fairness.errors import FairnessInputError, check_min_cohort
from brightline.core.fairness.outcomes import DEFAULT_MIN_COHORT
from brightline.core.fairness.suppression import SuppressionReason, suppress_small_groups

__all__ = [
    "ANSWER_OUT_OF_SCALE",
    "SCALE_MAX",
    "SCALE_MIN",
    "ScaleSummary",
    "summarise_scale_answers",
]

SCALE_MIN = 1
SCALE_MAX = 5
ANSWER_OUT_OF_SCALE = "Answer {answer!r} in group {group!r} is not a whole number from {low} to {high}."


@dataclass(frozen=True)
class ScaleSummary:
    """One group's answers, or the reason they are withheld.

    When ``withheld`` is set, ``n``, ``median`` and ``distribution`` are ``None``: not even
    the number of answers of a withheld group is published. ``distribution`` counts the
    answers ``SCALE_MIN`` … ``SCALE_MAX`` in order.
    """

    group: tuple[str, ...]
    n: int | None
    median: float | None
    distribution: tuple[int, ...] | None
    withheld: SuppressionReason | None

    @property
    def shares(self) -> tuple[float, ...] | None:
        """The distribution as fractions of ``n`` (0–1), for drawing bars."""
        if self.distribution is None or not self.n:
            return None
        return tuple(count / self.n for count in self.distribution)

    def to_json(self) -> dict[str, Any]:
        return {"group": list(self.group), "n": self.n, "median": self.median,
                "distribution": list(self.distribution) if self.distribution is not None else None,
                "withheld": self.withheld}


def summarise_scale_answers(
    answers: Mapping[tuple[str, ...], Sequence[int]], *, min_cohort: int = DEFAULT_MIN_COHORT
) -> dict[tuple[str, ...], ScaleSummary]:
    """Median and distribution per group of answers on the 1–5 scale, small groups withheld.

    ``answers`` maps each group's tuple of values (all of one length: one per group column)
    to its answers, each a whole number from ``SCALE_MIN`` to ``SCALE_MAX`` (anything else
    raises :class:`FairnessInputError` with ``ANSWER_OUT_OF_SCALE``). Groups with no answers
    are left out. The median of an even count is the mean of the middle two (e.g. 3.5).
    Groups are withheld by :func:`suppress_small_groups` with ``min_cohort``, which treats
    the table's total and its coarser cuts as published elsewhere. Returns one summary per
    non-empty group, in sorted group order.
    """
    check_min_cohort(min_cohort)
    counted = {group: list(values) for group, values in answers.items() if values}
    for group, values in counted.items():
        for answer in values:
            if isinstance(answer, bool) or not isinstance(answer, int) or not SCALE_MIN <= answer <= SCALE_MAX:
                raise FairnessInputError(ANSWER_OUT_OF_SCALE.format(answer=answer, group=group, low=SCALE_MIN,
                                                                    high=SCALE_MAX))
    withheld = suppress_small_groups({group: len(values) for group, values in counted.items()},
                                     min_cohort=min_cohort)
    summaries: dict[tuple[str, ...], ScaleSummary] = {}
    for group in sorted(counted):
        values = counted[group]
        if group in withheld:
            summaries[group] = ScaleSummary(group, None, None, None, withheld[group])
            continue
        distribution = tuple(values.count(answer) for answer in range(SCALE_MIN, SCALE_MAX + 1))
        summaries[group] = ScaleSummary(group, len(values), float(statistics.median(values)), distribution, None)
    return summaries
