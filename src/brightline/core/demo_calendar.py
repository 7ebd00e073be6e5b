"""The demo organisation's calendar: its history is written once and placed relative to the day it is built for.

The demo's fixed dates (cycle openings, movements, imports) are written on one reference calendar
and moved by the distance between that calendar's "today" and the day the demo is built for, so the
same seed gives the same rows relative to the day of loading. Pages with a day-based default window
(the last 182 days, the last twelve months) then show the same totals whenever the demo is loaded.
Things the product groups by calendar period are placed by period instead: the quarterly survey
rounds close in the quarters before the current one, and review cycles are named after the
half-year they open in.

Working-week history (changes, deployments, incidents, pages) is different: it should fall on weekdays
in working hours, and which days are weekdays depends on the calendar. It is therefore written on whole
weeks ending at :func:`history_anchor`, the Monday on or before "today", so the same seed gives the same
weekdays, hours and durations whatever day the demo is loaded on. It covers the
:data:`HISTORY_WEEKS` weeks before that Monday: a 182-day window ending on any day of the anchor's week
holds all of it (and nothing of the running week, which has none), so its totals do not move either.
"""

from __future__ import annotations

import datetime as dt

__all__ = [
    "HISTORY_WEEKS",
    "REFERENCE_TODAY",
    "half_year_name",
    "history_anchor",
    "on_demo_calendar",
    "previous_quarter_days",
    "quarter_start",
]

REFERENCE_TODAY = dt.date(2026, 11, 2)
# Whole weeks of working-week history before the anchor Monday: 168 days, so every day-based window of 180
# days or more that ends in the anchor's week (up to six days after it) holds all of it.
HISTORY_WEEKS = 24


def history_anchor(today: dt.date) -> dt.date:
    """The Monday on or before ``today``: the demo's working-week history ends there, on whole weeks."""
    return today - dt.timedelta(days=today.weekday())


def on_demo_calendar(day: dt.date, today: dt.date) -> dt.date:
    """``day``, written on the reference calendar, moved onto the calendar of a demo built for ``today``."""
    return today + (day - REFERENCE_TODAY)


def half_year_name(day: dt.date, halves_before: int = 0) -> str:
    """"2026 H2" for a day in July–December 2026; ``halves_before`` steps back that many half-years."""
    index = day.year * 2 + (day.month > 6) - halves_before
    return f"{index // 2} H{index % 2 + 1}"


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def previous_quarter_days(today: dt.date, days_before_end: tuple[int, ...]) -> tuple[dt.date, ...]:
    """One day in each of the ``len(days_before_end)`` quarters before ``today``'s, oldest first.

    The day in the k-th of those quarters (oldest first) is ``days_before_end[k]`` days before that
    quarter's last day.
    """
    ends: list[dt.date] = []
    start = quarter_start(today)
    for _ in days_before_end:
        end = start - dt.timedelta(days=1)
        ends.append(end)
        start = quarter_start(end)
    ends.reverse()
    return tuple(end - dt.timedelta(days=before) for end, before in zip(ends, days_before_end, strict=True))
