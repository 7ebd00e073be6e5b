"""Trend breaks (C3): change-point detection on delivery and health metric series.

A series (one value per week or month, e.g. deployments per week of a service) is standardised by
its median absolute deviation and searched with ``ruptures`` PELT (cost ``l2``, minimum segment of
:data:`MIN_SEGMENT` periods). The penalty is ``PENALTY_FACTOR × log(n)``, a BIC-style penalty on a
unit-variance series: a break must explain more variance than chance wiggles would over ``n``
points. A break is reported only when the medians before and after differ by at least
:data:`MIN_RELATIVE_CHANGE` of the larger of the two. Each break names its owner (H4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Any, Literal

import numpy as np

from brightline.core.insights.confidence import METRIC_SERIES_RULE, label_confidence
from brightline.core.insights.signals import ItemRef, SignalDraft, Subject

__all__ = [
    "MIN_RELATIVE_CHANGE",
    "MIN_SEGMENT",
    "PENALTY_FACTOR",
    "TREND_CANNOT_INFER",
    "MetricSeries",
    "TrendBreak",
    "detect_trend_breaks",
    "trend_break_signals",
]

PENALTY_FACTOR = 3.0
MIN_SEGMENT = 3
MIN_RELATIVE_CHANGE = 0.25
#: Fewer points than this and no search is made.
MIN_POINTS = 2 * MIN_SEGMENT + 2
TREND_CANNOT_INFER = (
    "Why the series changed, or who caused it. A break in a team's metric can come from holidays, a "
    "re-organisation, a new service, a change of tooling or of how the data is collected; it is never a "
    "statement about one person."
)
Direction = Literal["higher", "lower"]


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One metric over time: ``points`` are ``(period start, value)`` in time order.

    ``higher_is_better`` words the statement neutrally either way; ``ref`` points at the series.
    """

    name: str
    unit: str
    subject: Subject
    points: tuple[tuple[date, float], ...]
    higher_is_better: bool | None = None
    ref: ItemRef | None = None
    label: str = ""


@dataclass(frozen=True, slots=True)
class TrendBreak:
    """A change point: the first period of the new regime, and medians before and after it."""

    series: str
    break_date: date
    index: int
    before_median: float
    after_median: float
    direction: Direction

    @property
    def size(self) -> float:
        return self.after_median - self.before_median

    def to_json(self) -> dict[str, Any]:
        return {"series": self.series, "break_date": self.break_date.isoformat(), "index": self.index,
                "before_median": self.before_median, "after_median": self.after_median, "size": self.size,
                "direction": self.direction}


def detect_trend_breaks(series: MetricSeries, *, penalty_factor: float = PENALTY_FACTOR,
                        min_segment: int = MIN_SEGMENT,
                        min_relative_change: float = MIN_RELATIVE_CHANGE) -> list[TrendBreak]:
    """Change points of ``series`` (oldest first). An empty list when there are fewer than
    ``2 × min_segment + 2`` points or the series is flat."""
    import ruptures

    values = np.asarray([value for _, value in series.points], dtype=np.float64)
    if len(values) < 2 * min_segment + 2:
        return []
    center = float(np.median(values))
    scale = float(np.median(np.abs(values - center))) * 1.4826
    if scale == 0:
        scale = float(np.std(values))
    if scale == 0:
        return []
    standardised = ((values - center) / scale).reshape(-1, 1)
    ends = ruptures.Pelt(model="l2", min_size=min_segment, jump=1).fit(standardised).predict(
        pen=penalty_factor * math.log(len(values)))
    boundaries = [0, *ends]
    breaks: list[TrendBreak] = []
    for position in range(1, len(boundaries) - 1):
        cut = boundaries[position]
        before = values[boundaries[position - 1]:cut]
        after = values[cut:boundaries[position + 1]]
        before_median, after_median = float(median(before)), float(median(after))
        reference = max(abs(before_median), abs(after_median))
        if reference == 0 or abs(after_median - before_median) / reference < min_relative_change:
            continue
        breaks.append(TrendBreak(series.name, series.points[cut][0], cut, round(before_median, 4),
                                 round(after_median, 4), "higher" if after_median > before_median else "lower"))
    return breaks


def _readable(value: float) -> str:
    """Three significant figures at most, no exponent: 171.626 → "172", 0.0834 → "0.0834"."""
    if value == 0:
        return "0"
    digits = max(0, 2 - int(math.floor(math.log10(abs(value)))))
    return f"{round(value, digits):.{digits}f}"


def trend_break_signals(series: MetricSeries, *, owner: str | None, owner_name: str = "",
                        penalty_factor: float = PENALTY_FACTOR) -> list[SignalDraft]:
    """A ``trend_break`` signal for the latest break in ``series``; ``owner`` is who follows it up (H4).

    Only the latest break asks for follow-up: an earlier one is where the series was before it, so two signals
    ("lead time rose in August", "lead time fell in September") would cancel each other out on a page. The
    earlier breaks are told in the latest one's statement and kept in its detail."""
    signals = []
    points = series.points
    found_breaks = detect_trend_breaks(series, penalty_factor=penalty_factor)
    earlier = found_breaks[:-1]
    for found in found_breaks[-1:]:
        confidence = label_confidence(items=len(points), authors=1, span_days=(points[-1][0] - points[0][0]).days,
                                      agreement="single_layer", rule=METRIC_SERIES_RULE)
        label = series.label or series.name
        statement = (f"{label} changed from about {_readable(found.before_median)} to "
                     f"{_readable(found.after_median)} {series.unit} "
                     f"(median per period) from the period starting {found.break_date.day} {found.break_date:%b %Y}.")
        if earlier:
            before = earlier[-1]
            statement += (f" Before that it had changed from about {_readable(before.before_median)} to "
                          f"{_readable(before.after_median)} from the period starting {before.break_date.day} "
                          f"{before.break_date:%b %Y}.")
        if owner_name:
            statement += f" Owner to look into it: {owner_name}."
        signals.append(SignalDraft(
            kind="trend_break", key=f"trend_break:{series.name}:{found.break_date.isoformat()}",
            subject=series.subject, window_start=points[0][0], window_end=points[-1][0], statement=statement,
            rule=(f"PELT change-point search (l2 cost, segments of {MIN_SEGMENT}+ periods, penalty "
                  f"{penalty_factor:g}·log n on the MAD-standardised series); reported when the medians differ by "
                  f"{MIN_RELATIVE_CHANGE:.0%}+."),
            confidence=confidence, item_refs=(series.ref,) if series.ref else (),
            cannot_infer=TREND_CANNOT_INFER,
            detail={**found.to_json(), "earlier_breaks": [item.to_json() for item in earlier],
                    "unit": series.unit, "label": label, "owner_id": owner,
                    "owner_name": owner_name, "higher_is_better": series.higher_is_better,
                    "points": [{"period": day.isoformat(), "value": value} for day, value in points]},
        ))
    return signals
