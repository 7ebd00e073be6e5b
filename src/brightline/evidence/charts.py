"""Vega-Lite specs for the delivery pages, built in Python so they can be unit-tested.

Every chart states its normalisation in the subtitle (A4): a trend compares a service or team
with itself over time; a comparison shows only like-with-like peers, in name order.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def trend_spec(periods: Sequence[DoraMetrics], *, metric: str, subject: str, normalisation: str) -> dict[str, Any]:
    """A line chart of one DORA metric per period for one service or team."""
    key, title, axis, kind = next(entry for entry in TREND_METRICS if entry[0] == metric)
    values = [{"period": item.period_start.date().isoformat(), "value": _value(item, key),
               "deployments": item.deployments,
               "level": item.levels.to_json().get(LEVEL_KEYS.get(key, ""), None) if key in LEVEL_KEYS else None}
              for item in periods]
    y_format = ".0%" if kind == "percent" else ".1f"
    # Lead time says what a change is (commits or pull requests) on the chart itself.
    notes = [normalisation, LEAD_TIME_BASIS[periods[0].lead_time_basis]] if key == "lead_time_hours" and periods \
        else [normalisation]
    return {
        "$schema": SCHEMA,
        "title": {"text": f"{title} — {subject}", "subtitle": notes if len(notes) > 1 else normalisation,
                  "anchor": "start"},
        "description": f"{title} per period for {subject}. {' '.join(notes)}",
        "width": "container",
        "height": 180,
        "data": {"values": values},
        "mark": {"type": "line", "point": True, "color": CALM},
        "encoding": {
            "x": {"field": "period", "type": "temporal", "title": "period starting"},
            "y": {"field": "value", "type": "quantitative", "title": axis, "axis": {"format": y_format}},
            "tooltip": [
                {"field": "period", "type": "temporal", "title": "period starting"},
                {"field": "value", "type": "quantitative", "title": axis, "format": y_format},
                {"field": "deployments", "type": "quantitative", "title": "deployments"},
                {"field": "level", "type": "nominal", "title": "DORA level"},
            ],
        },
    }


def trend_specs(periods: Sequence[DoraMetrics], *, subject: str, normalisation: str) -> list[dict[str, Any]]:
    return [trend_spec(periods, metric=key, subject=subject, normalisation=normalisation)
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
