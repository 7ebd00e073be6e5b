"""Cadences: the latest slot at or before a moment, the next one after it, and how they are written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from brightline.core.schedule import ERR_CADENCE, ERR_NAIVE, Cadence, parse_cadence


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("cadence", "now", "previous", "following"),
    [
        ("hourly at :15", "2026-03-02 10:14:59", "2026-03-02 09:15", "2026-03-02 10:15"),
        ("hourly at :15", "2026-03-02 10:15:00", "2026-03-02 10:15", "2026-03-02 11:15"),  # the slot itself is due
        ("hourly at :15", "2026-03-02 00:05", "2026-03-01 23:15", "2026-03-02 00:15"),  # across midnight
        ("daily at 03:30", "2026-03-02 03:29", "2026-03-01 03:30", "2026-03-02 03:30"),
        ("daily at 03:30", "2026-03-01 03:30", "2026-03-01 03:30", "2026-03-02 03:30"),
        ("daily at 03:30", "2026-01-01 00:00", "2025-12-31 03:30", "2026-01-01 03:30"),  # across a year
        # 2026-03-02 is a Monday.
        ("weekly on monday at 06:00", "2026-03-02 05:59", "2026-02-23 06:00", "2026-03-02 06:00"),
        ("weekly on monday at 06:00", "2026-03-04 12:00", "2026-03-02 06:00", "2026-03-09 06:00"),
        ("weekly on sunday at 23:00", "2026-03-02 00:00", "2026-03-01 23:00", "2026-03-08 23:00"),
        # Fortnights count from Monday 2024-01-01: 2026-03-02 is week 113 (odd), 2026-03-09 week 114.
        ("fortnightly on monday at 05:00", "2026-03-02 12:00", "2026-02-23 05:00", "2026-03-09 05:00"),
        ("fortnightly on monday at 05:00", "2026-03-09 05:00", "2026-03-09 05:00", "2026-03-23 05:00"),
        ("fortnightly on monday at 05:00", "2026-03-09 04:59", "2026-02-23 05:00", "2026-03-09 05:00"),
        ("fortnightly on wednesday at 05:00", "2026-03-12 00:00", "2026-03-11 05:00", "2026-03-25 05:00"),
    ],
)
def test_previous_and_next_slots(cadence: str, now: str, previous: str, following: str) -> None:
    parsed = parse_cadence(cadence)
    assert parsed.previous_slot(utc(now)) == utc(previous)
    assert parsed.next_slot(utc(now)) == utc(following)
    assert str(parsed) == cadence


def test_a_moment_in_another_time_zone_is_read_as_the_same_instant() -> None:
    berlin_winter = timezone(timedelta(hours=1))
    moment = datetime(2026, 3, 2, 4, 0, tzinfo=berlin_winter)  # 03:00 UTC
    assert parse_cadence("daily at 03:30").previous_slot(moment) == utc("2026-03-01 03:30")


def test_fortnightly_slots_are_fourteen_days_apart_over_a_year() -> None:
    cadence = parse_cadence("fortnightly on friday at 18:45")
    moment, slots = utc("2026-01-01 00:00"), []
    for _ in range(26):
        moment = cadence.next_slot(moment)
        slots.append(moment)
    assert all(later - earlier == timedelta(days=14) for earlier, later in zip(slots, slots[1:], strict=False))
    assert all(slot.weekday() == 4 and (slot.hour, slot.minute) == (18, 45) for slot in slots)


@pytest.mark.parametrize(
    ("cadence", "fields"),
    [
        ("hourly at :05", {"minute": "5", "hour": "*", "day_of_week": "*"}),
        ("daily at 03:30", {"minute": "30", "hour": "3", "day_of_week": "*"}),
        ("weekly on sunday at 06:00", {"minute": "0", "hour": "6", "day_of_week": "0"}),
        ("fortnightly on monday at 05:00", {"minute": "0", "hour": "5", "day_of_week": "1"}),
    ],
)
def test_crontab_fields(cadence: str, fields: dict[str, str]) -> None:
    assert parse_cadence(cadence).crontab_fields() == fields


def test_written_forms_are_forgiving_about_case_and_spaces() -> None:
    assert parse_cadence("  Weekly  on Friday at 18:45 ") == Cadence(kind="weekly", minute=45, hour=18, weekday=4)


@pytest.mark.parametrize("text", ["daily", "daily at 3:30", "daily at 24:00", "hourly at :60", "weekly at 06:00",
                                  "weekly on someday at 06:00", "monthly on 1 at 06:00", ""])
def test_a_malformed_cadence_is_refused_with_the_forms_that_work(text: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_cadence(text)
    assert str(error.value) == ERR_CADENCE.format(text=text)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone-aware"):
        parse_cadence("hourly at :00").previous_slot(datetime(2026, 3, 2, 10, 0))
    assert "time zone-aware" in ERR_NAIVE
