"""Trend breaks (C3): change points on synthetic series with a known break."""

from datetime import date, timedelta

import numpy as np

from brightline.core.insights import MetricSeries, Subject, detect_trend_breaks, trend_break_signals

TEAM = Subject("team", "7")
MONDAY = date(2026, 5, 4)


def series(values, name="deploys") -> MetricSeries:
    return MetricSeries(name=name, unit="deployments per week", subject=TEAM, label="Deployments per week",
                        points=tuple((MONDAY + timedelta(weeks=i), float(v)) for i, v in enumerate(values)))


def test_a_level_shift_is_found_at_its_week_with_medians_before_and_after():
    rng = np.random.default_rng(3)
    values = list(8 + rng.normal(0, 0.8, 18)) + list(3 + rng.normal(0, 0.8, 8))
    [found] = detect_trend_breaks(series(values))
    assert found.break_date == MONDAY + timedelta(weeks=18)
    assert found.before_median > 7 and found.after_median < 4 and found.direction == "lower"


def test_noise_without_a_shift_is_not_a_break():
    rng = np.random.default_rng(4)
    assert detect_trend_breaks(series(list(8 + rng.normal(0, 0.8, 26)))) == []


def test_too_short_a_series_is_not_searched():
    assert detect_trend_breaks(series([9, 9, 9, 1, 1, 1, 1])) == []


def test_a_break_signal_names_its_owner_and_carries_the_series():
    values = [8] * 14 + [3] * 8
    [signal] = trend_break_signals(series(values), owner="12", owner_name="Mo Manager")
    assert signal.kind == "trend_break" and "Owner to look into it: Mo Manager" in signal.statement
    assert signal.detail["owner_id"] == "12" and len(signal.detail["points"]) == 22
    assert signal.detail["before_median"] == 8 and signal.detail["after_median"] == 3


def test_only_the_latest_break_of_a_series_asks_for_follow_up_and_tells_the_earlier_one():
    """Up in one period, back down later: one signal (the latest change), not two that cancel each other out."""
    values = [8] * 10 + [16] * 10 + [8] * 10
    assert len(detect_trend_breaks(series(values))) == 2
    [signal] = trend_break_signals(series(values), owner="12", owner_name="Mo Manager")
    assert signal.detail["direction"] == "lower" and signal.detail["break_date"] == (
        MONDAY + timedelta(weeks=20)).isoformat()
    assert "changed from about 16.0 to 8.00 deployments per week" in signal.statement
    earlier = "Before that it had changed from about 8.00 to 16.0 from the period starting 13 Jul 2026."
    assert earlier in signal.statement
    assert signal.statement.endswith("Owner to look into it: Mo Manager.")
    assert [item["direction"] for item in signal.detail["earlier_breaks"]] == ["higher"]
