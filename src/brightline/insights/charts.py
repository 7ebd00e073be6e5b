"""Vega-Lite specs behind the signal pages, built in Python so they can be tested without a browser.

The monthly tone chart is the evidence behind a ``sentiment_drift`` signal: each month's writer-weighted
share of positive, neutral and negative comments with its count. A month below the confidence
minimum is drawn as a grey "not enough data" bar instead of a share (its shares were never stored).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Final

from brightline.insights.models import Signal

SCHEMA: Final = "https://vega.github.io/schema/vega-lite/v6.json"
NOT_ENOUGH_DATA: Final = "not enough data"
TONES: Final = ("positive", "neutral", "negative")
# Calm colours (H2): no alarm red for negative feedback, grey for what is not plotted.
TONE_COLOURS: Final = {"positive": "#4a7c59", "neutral": "#b9c4cc", "negative": "#b07a3b", NOT_ENOUGH_DATA: "#eceff1"}


WHOLE_MONTH: Final = "whole month"
INCOMPLETE_MONTH: Final = "incomplete month"


def incomplete_month(month: str, signal: Signal) -> bool:
    """The signal's window starts after the 1st of ``month`` (YYYY-MM) or ends before its last day."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        return False
    last_day = date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)
    start, end = signal.window_start, signal.window_end
    return (start is not None and start > first) or (end is not None and end < last_day)


def sentiment_months(signal: Signal) -> list[dict[str, Any]]:
    """One row per month for the page's table: the month, its counts, and its shares or None."""
    rows = []
    for month in signal.detail.get("months", []):
        shares = month.get("shares") if month.get("enough_data") else None
        rows.append({"month": str(month.get("month", ""))[:7], "comments": int(month.get("comments", 0)),
                     "authors": int(month.get("authors", 0)), "shares": shares})
    return rows


def _minimum(signal: Signal) -> tuple[int, int]:
    minimum = signal.detail.get("month_minimum") or {}
    return int(minimum.get("comments", 5)), int(minimum.get("authors", 3))


def sentiment_chart_spec(signal: Signal, *, subject: str) -> dict[str, Any] | None:
    """A stacked bar per month (share of each tone, writer-weighted) with n above it; ``None`` without months.

    The midpoint of the window, where the drift compares the two halves, is a rule: dashed when no
    drift was found, solid and labelled with the direction when one was.
    """
    rows = sentiment_months(signal)
    if signal.kind != "sentiment_drift" or not rows:
        return None
    least_comments, least_authors = _minimum(signal)
    values: list[dict[str, Any]] = []
    for row in rows:
        common = {"month": f"{row['month']}-01", "n": row["comments"], "writers": row["authors"],
                  "period": INCOMPLETE_MONTH if incomplete_month(row["month"], signal) else WHOLE_MONTH}
        if row["shares"] is None:
            values.append({**common, "tone": NOT_ENOUGH_DATA, "share": 1.0, "order": len(TONES)})
            continue
        values.extend({**common, "tone": tone, "share": float(row["shares"].get(tone, 0.0)), "order": order}
                      for order, tone in enumerate(TONES))
    counts = [{"month": f"{row['month']}-01", "label": f"n={row['comments']}"} for row in rows]
    partial = any(value["period"] == INCOMPLETE_MONTH for value in values)
    trend = str(signal.detail.get("trend", "unknown"))
    drift = {"up": "drift: more positive after this date", "down": "drift: more negative after this date"}.get(trend)
    midpoint = signal.detail.get("midpoint")
    subtitle = (f"Share of comments by tone, each writer counted once per month; months with fewer than "
                f"{least_comments} comments from {least_authors} people show “{NOT_ENOUGH_DATA}”.")
    if partial:
        subtitle += " A lighter, dashed bar is an incomplete month: the window covers it only in part."
    layers: list[dict[str, Any]] = [
        {"mark": {"type": "bar"},
         "encoding": {
             # Month labels that would overlap are dropped (every other one on a phone, none on a desktop).
             "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": None,
                   "axis": {"format": "%b %Y", "labelOverlap": "greedy", "labelSeparation": 8, "labelAngle": 0}},
             "y": {"field": "share", "type": "quantitative", "stack": "zero", "title": "share of comments",
                   "axis": {"format": "%", "values": [0, 0.25, 0.5, 0.75, 1]}, "scale": {"domain": [0, 1.12]}},
             # The legend sits below the plot in two columns: beside it, it takes a phone's width from the plot.
             "color": {"field": "tone", "type": "nominal", "title": None,
                       "scale": {"domain": list(TONE_COLOURS), "range": list(TONE_COLOURS.values())},
                       "legend": {"orient": "bottom", "direction": "horizontal", "columns": 2, "labelLimit": 150}},
             "order": {"field": "order", "type": "quantitative"},
             "opacity": {"field": "period", "type": "nominal", "title": None,
                         "scale": {"domain": [WHOLE_MONTH, INCOMPLETE_MONTH], "range": [1, 0.45]},
                         "legend": {"orient": "bottom", "direction": "horizontal", "columns": 1,
                                    "labelLimit": 300} if partial else None},
             "strokeDash": {"field": "period", "type": "nominal", "legend": None,
                            "scale": {"domain": [WHOLE_MONTH, INCOMPLETE_MONTH], "range": [[1, 0], [4, 3]]}},
             "stroke": {"value": "#1d2731"},
             "strokeWidth": {"condition": {"test": f"datum.period === '{INCOMPLETE_MONTH}'", "value": 1},
                             "value": 0},
             "tooltip": [{"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": "month"},
                         {"field": "tone", "type": "nominal"},
                         {"field": "share", "type": "quantitative", "format": ".0%"},
                         {"field": "n", "type": "quantitative", "title": "comments"},
                         {"field": "writers", "type": "quantitative", "title": "people"},
                         {"field": "period", "type": "nominal"}]}},
        {"data": {"values": counts},
         "mark": {"type": "text", "dy": -6, "fontSize": 10, "color": "#1d2731"},
         "encoding": {"x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "bandPosition": 0.5},
                      "y": {"datum": 1.0}, "text": {"field": "label"}}},
    ]
    if midpoint:
        label = drift or "halves compared"
        layers.append({"data": {"values": [{"date": midpoint, "label": label}]},
                       "mark": {"type": "rule", "color": "#1d2731", "strokeDash": [] if drift else [4, 4]},
                       "encoding": {"x": {"field": "date", "type": "temporal"},
                                    "tooltip": [{"field": "label", "type": "nominal"},
                                                {"field": "date", "type": "temporal", "title": "midpoint"}]}})
        layers.append({"data": {"values": [{"date": midpoint, "label": label}]},
                       "mark": {"type": "text", "align": "left", "dx": 4, "dy": -4, "fontSize": 10},
                       "encoding": {"x": {"field": "date", "type": "temporal"}, "y": {"datum": 1.1},
                                    "text": {"field": "label"}}})
    return {
        "$schema": SCHEMA,
        "title": {"text": f"Tone of feedback per month — {subject}", "subtitle": subtitle, "anchor": "start"},
        "description": (f"Monthly share of positive, neutral and negative feedback about {subject}, with the number "
                        f"of comments per month. {subtitle}"),
        "width": "container",
        "height": 200,
        # Fit the container, legends and labels included, so that nothing is drawn over the plot or past the card.
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": values},
        "layer": layers,
    }
