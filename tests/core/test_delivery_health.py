"""Team health: after-hours work judged in each person's own time zone, DST included."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from brightline.core.delivery import (
    NAIVE_EVENT_TIME,
    UNKNOWN_PERSON,
    WorkEvent,
    WorkSchedule,
    classify_work_time,
    summarise_person_health,
    summarise_team_health,
)

BERLIN = WorkSchedule(person_id="p-berlin", team="payments", time_zone="Europe/Berlin")
EVERY_DAY_BERLIN = WorkSchedule(
    person_id="p-shift", team="payments", time_zone="Europe/Berlin", working_days=frozenset(range(7))
)
TOKYO = WorkSchedule(person_id="p-tokyo", team="search", time_zone="Asia/Tokyo")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_same_utc_instant_shifts_by_an_hour_across_the_dst_switch() -> None:
    # Berlin moves from UTC+1 to UTC+2 at 01:00 UTC on Sunday 31 March 2024.
    assert classify_work_time(utc(2024, 3, 30, 7, 30), EVERY_DAY_BERLIN) == "after_hours"  # 08:30 CET
    assert classify_work_time(utc(2024, 3, 31, 7, 30), EVERY_DAY_BERLIN) == "working_hours"  # 09:30 CEST
    assert classify_work_time(utc(2024, 3, 31, 15, 30), EVERY_DAY_BERLIN) == "working_hours"  # 17:30 CEST
    assert classify_work_time(utc(2024, 3, 31, 16, 0), EVERY_DAY_BERLIN) == "after_hours"  # 18:00 CEST
    # and back on Sunday 27 October 2024
    assert classify_work_time(utc(2024, 10, 27, 7, 30), EVERY_DAY_BERLIN) == "after_hours"  # 08:30 CET


def test_weekends_are_local_weekends() -> None:
    # Friday 23:30 UTC is already Saturday morning in Tokyo
    assert classify_work_time(utc(2024, 3, 29, 23, 30), TOKYO) == "weekend"
    assert classify_work_time(utc(2024, 3, 29, 23, 30), BERLIN) == "weekend"  # Saturday 00:30 CET
    assert classify_work_time(utc(2024, 3, 29, 22, 30), BERLIN) == "after_hours"  # Friday 23:30 CET
    assert classify_work_time(utc(2024, 3, 30, 10, 0), BERLIN) == "weekend"


def test_overnight_shifts_belong_to_the_day_they_started() -> None:
    night = WorkSchedule(person_id="n", team="ops", time_zone="UTC", workday_start=time(22), workday_end=time(6))
    assert classify_work_time(utc(2024, 3, 29, 23), night) == "working_hours"  # Friday night shift
    assert classify_work_time(utc(2024, 3, 30, 3), night) == "working_hours"  # still Friday's shift
    assert classify_work_time(utc(2024, 3, 30, 23), night) == "weekend"  # Saturday's shift
    assert classify_work_time(utc(2024, 3, 29, 12), night) == "after_hours"


def test_team_summary_counts_without_naming_anyone() -> None:
    events = [
        WorkEvent("p-berlin", utc(2024, 3, 28, 10), "commit"),  # 11:00 CET: working hours
        WorkEvent("p-berlin", utc(2024, 3, 28, 20), "commit"),  # 21:00: after hours
        WorkEvent("p-berlin", utc(2024, 3, 30, 2), "page"),  # Saturday night page
        WorkEvent("p-tokyo", utc(2024, 3, 28, 1), "page"),  # 10:00 JST: working hours
    ]
    schedules = [BERLIN, EVERY_DAY_BERLIN, TOKYO]
    teams = summarise_team_health(events, schedules)
    assert list(teams) == ["payments", "search"]
    payments = teams["payments"]
    assert (payments.people, payments.events, payments.after_hours_events, payments.weekend_events) == (2, 3, 1, 1)
    assert (payments.pages, payments.pages_outside_working_hours) == (1, 1)
    assert payments.outside_hours_share == 2 / 3
    assert payments.people_with_outside_hours_work == 1
    assert "person_id" not in str(payments.to_json())
    assert teams["search"].pages_outside_working_hours == 0

    people = summarise_person_health(events, schedules)
    assert list(people) == ["p-berlin", "p-tokyo"]  # id order, not a ranking
    assert people["p-berlin"].weekend_events == 1


def test_it_refuses_naive_times_and_unknown_people() -> None:
    with pytest.raises(ValueError) as error:
        classify_work_time(datetime(2024, 1, 1, 12), BERLIN)
    assert str(error.value) == NAIVE_EVENT_TIME.format(moment=datetime(2024, 1, 1, 12))
    with pytest.raises(ValueError) as error:
        summarise_team_health([WorkEvent("ghost", utc(2024, 1, 1), "commit")], [BERLIN])
    assert str(error.value) == UNKNOWN_PERSON.format(person_id="ghost")
