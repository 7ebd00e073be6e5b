"""Vega-Lite specs for the delivery pages, built in Python so they can be unit-tested.

Every chart states its normalisation in the subtitle (A4): a trend compares a service or team
with itself over time; a comparison shows only like-with-like peers, in name order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from brightline.core.delivery import LEAD_TIME_BASIS, DoraMetrics

SCHEMA: Final = "https://vega.github.io/schema/vega-lite/v6.json"
CALM: Final = "#4a6f8a"

# (key in the period JSON, title, axis label, how to read the value)
TREND_METRICS: Final = (
    ("deployment_frequency_per_week", "Deployment frequency", "deployments per week", "number"),
    ("lead_time_hours", "Change lead time (median)", "hours", "median"),
    ("change_fail_rate", "Change fail rate", "share of deployments", "percent"),
    ("failed_deployment_recovery_hours", "Failed deployment recovery time (median)", "hours", "median"),
    ("rework_rate", "Deployment rework rate", "share of deployments", "percent"),
)
LEVEL_KEYS: Final = {"deployment_frequency_per_week": "deployment_frequency", "lead_time_hours": "lead_time",
                     "change_fail_rate": "change_fail_rate",
                     "failed_deployment_recovery_hours": "failed_deployment_recovery"}


def _value(metrics: DoraMetrics, key: str) -> float | None:
    value = metrics.to_json()[key]
    if isinstance(value, dict):
        return value["median"]
    return value


COMPLETE: Final = "whole period"
INCOMPLETE: Final = "incomplete period"
INCOMPLETE_NOTE: Final = ("A dashed, lighter line marks an incomplete period (still running, or only partly in the "
                          "window): its figures are not yet comparable.")


def _aligned(moment: datetime, period: str) -> bool:
    """``moment`` is where a calendar period starts: midnight on a Monday (weeks) or on the 1st (months, quarters)."""
    if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        return False
    if period == "week":
        return moment.weekday() == 0
    return moment.day == 1 and (period != "quarter" or moment.month % 3 == 1)


def is_incomplete(item: DoraMetrics, *, now: datetime, period: str, window_start: datetime | None = None) -> bool:
    """A period that is still running, or that the window cuts (it starts or ends inside the calendar period)."""
    return (not (_aligned(item.period_start, period) and _aligned(item.period_end, period))
            or item.period_end > now or (window_start is not None and item.period_start < window_start))


def _rows(periods: Sequence[DoraMetrics], key: str, *, now: datetime | None, period: str,
          window_start: datetime | None) -> list[dict[str, Any]]:
    """One row per period; an incomplete period is drawn in its own dashed segment, which also holds the
    neighbouring whole period so the line stays joined."""
    base = [{"period": item.period_start.date().isoformat(), "value": _value(item, key),
             "deployments": item.deployments,
             "level": item.levels.to_json().get(LEVEL_KEYS.get(key, ""), None) if key in LEVEL_KEYS else None,
             "status": INCOMPLETE if now is not None and is_incomplete(item, now=now, period=period,
                                                                     window_start=window_start) else COMPLETE}
            for item in periods]
    rows = [{**row, "segment": "whole"} for row in base if row["status"] == COMPLETE]
    for index, row in enumerate(base):
        if row["status"] != INCOMPLETE:
            continue
        rows.append({**row, "segment": f"incomplete-{index}"})
        for neighbour in (index - 1, index + 1):
            if 0 <= neighbour < len(base) and base[neighbour]["status"] == COMPLETE:
                rows.append({**base[neighbour], "status": INCOMPLETE, "segment": f"incomplete-{index}",
                             "joint": True})
    return rows


def trend_spec(periods: Sequence[DoraMetrics], *, metric: str, subject: str, normalisation: str,
               now: datetime | None = None, period: str = "month", window_start: datetime | None = None
               ) -> dict[str, Any]:
    """A line chart of one DORA metric per period for one service or team; with ``now``, incomplete periods (the
    running one, or one the window cuts) are dashed and lighter, and the legend says so."""
    key, title, axis, kind = next(entry for entry in TREND_METRICS if entry[0] == metric)
    values = _rows(periods, key, now=now, period=period, window_start=window_start)
    marks_incomplete = any(row["status"] == INCOMPLETE for row in values)
    y_format = ".0%" if kind == "percent" else ".1f"
    # Lead time says what a change is (commits or pull requests) on the chart itself.
    notes = [normalisation, LEAD_TIME_BASIS[periods[0].lead_time_basis]] if key == "lead_time_hours" and periods \
        else [normalisation]
    if marks_incomplete:
        notes.append(INCOMPLETE_NOTE)
    status_scale = {"domain": [COMPLETE, INCOMPLETE]}
    return {
        "$schema": SCHEMA,
        "title": {"text": f"{title} — {subject}", "subtitle": notes if len(notes) > 1 else normalisation,
                  "anchor": "start"},
        "description": f"{title} per period for {subject}. {' '.join(notes)}",
        # "caption" is the whole subtitle; "own_note" what only this chart says (a page of these charts states
        # the comparison and the incomplete periods once, above them: see shared_note).
        "usermeta": {"caption": " ".join(notes), "own_note": " ".join(notes[1:-1] if marks_incomplete else notes[1:]),
                     "incomplete": marks_incomplete},
        "width": "container",
        "height": 180,
        "data": {"values": values},
        "mark": {"type": "line", "point": True, "color": CALM},
        "encoding": {
            "x": {"field": "period", "type": "temporal", "title": "period starting"},
            "y": {"field": "value", "type": "quantitative", "title": axis, "axis": {"format": y_format}},
            "detail": {"field": "segment", "type": "nominal"},
            "strokeDash": {"field": "status", "type": "nominal", "title": None,
                           "scale": {**status_scale, "range": [[1, 0], [5, 4]]},
                           "legend": {"orient": "bottom", "direction": "vertical"}
                           if marks_incomplete else None},
            "opacity": {"field": "status", "type": "nominal", "scale": {**status_scale, "range": [1, 0.5]},
                        "legend": None},
            "tooltip": [
                {"field": "period", "type": "temporal", "title": "period starting"},
                {"field": "value", "type": "quantitative", "title": axis, "format": y_format},
                {"field": "deployments", "type": "quantitative", "title": "deployments"},
                {"field": "level", "type": "nominal", "title": "industry group (DORA)"},
                {"field": "status", "type": "nominal", "title": "period"},
            ],
        },
    }


def shared_note(specs: Sequence[dict[str, Any]], normalisation: str) -> str:
    """What every trend chart of a page says, written once above them: the comparison, and the incomplete
    periods when any chart marks one."""
    if any(spec["usermeta"].get("incomplete") for spec in specs):
        return f"{normalisation} {INCOMPLETE_NOTE}"
    return normalisation


def trend_specs(periods: Sequence[DoraMetrics], *, subject: str, normalisation: str,
                now: datetime | None = None, period: str = "month", window_start: datetime | None = None
                ) -> list[dict[str, Any]]:
    return [trend_spec(periods, metric=key, subject=subject, normalisation=normalisation, now=now, period=period,
                       window_start=window_start)
            for key, *_ in TREND_METRICS]


def peer_spec(peers: dict[str, DoraMetrics], *, metric: str, highlight: str, normalisation: str) -> dict[str, Any]:
    """One bar per peer service in *name* order (never sorted by the value: this is no ranking)."""
    key, title, axis, kind = next(entry for entry in TREND_METRICS if entry[0] == metric)
    values = [{"service": name, "value": _value(metrics, key), "this": name == highlight}
              for name, metrics in sorted(peers.items())]
    return {
        "$schema": SCHEMA,
        "title": {"text": f"{title}: like-with-like services", "subtitle": normalisation, "anchor": "start"},
        "width": "container",
        "height": 24 * max(1, len(values)),
        "data": {"values": values},
        "mark": {"type": "bar", "color": CALM},
        "encoding": {
            "y": {"field": "service", "type": "nominal", "sort": None, "title": None},
            "x": {"field": "value", "type": "quantitative", "title": axis,
                  "axis": {"format": ".0%" if kind == "percent" else ".1f"}},
            "opacity": {"condition": {"test": "datum.this", "value": 1}, "value": 0.45},
        },
    }
