"""Team health (requirement A5): after-hours and weekend work, pages outside working hours.

Every event is judged in the *person's own* IANA time zone (``zoneinfo``), so a commit at
22:00 in Berlin and one at 22:00 in Tokyo are both after hours even though they are hours
apart in UTC, and daylight-saving switches move the boundaries with local clocks.

Team results and per-person detail are separate functions on purpose: the app restricts who
may see :func:`summarise_person_health`, and :func:`summarise_team_health` never carries
names. Neither sorts by a metric: there are no rankings or leaderboards here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "NAIVE_EVENT_TIME",
    "UNKNOWN_PERSON",
    "UNKNOWN_TIME_ZONE",
    "WorkSchedule",
    "PersonHealth",
    "TeamHealth",
    "WorkEvent",
    "WorkTime",
    "classify_work_time",
    "summarise_person_health",
    "summarise_team_health",
    "person_health_from_tallies",
    "team_health_from_tallies",
]

WorkTime = Literal["working_hours", "after_hours", "weekend"]

NAIVE_EVENT_TIME: Final = "Event time {moment!r} has no time zone; pass an aware datetime (UTC is fine)."
UNKNOWN_PERSON: Final = "A work event refers to person {person_id!r}, who has no work schedule."
UNKNOWN_TIME_ZONE: Final = "Person {person_id!r} has an unknown IANA time zone {time_zone!r}."

MONDAY_TO_FRIDAY: Final = frozenset({0, 1, 2, 3, 4})


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkSchedule:
    """A person's team, IANA time zone and working hours in local time.

    ``working_days`` uses ``datetime.weekday()`` numbers (Monday = 0). A shift crossing
    midnight is written with ``workday_end < workday_start`` (e.g. 22:00–06:00).
    """

    person_id: str
    team: str
    time_zone: str
    workday_start: time = time(9, 0)
    workday_end: time = time(18, 0)
    working_days: frozenset[int] = MONDAY_TO_FRIDAY


@dataclass(frozen=True, slots=True)
class WorkEvent:
    """Something a person did or received at an instant: ``kind`` is e.g. commit, review, page."""

    person_id: str
    occurred_at: datetime
    kind: str


@dataclass(frozen=True, slots=True)
class TeamHealth:
    """Aggregate health of a team; shares are fractions of its events (None without events)."""

    team: str
    people: int
    events: int
    after_hours_events: int
    weekend_events: int
    outside_hours_share: float | None
    pages: int
    pages_outside_working_hours: int
    people_with_outside_hours_work: int

    def to_json(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "people": self.people,
            "events": self.events,
            "after_hours_events": self.after_hours_events,
            "weekend_events": self.weekend_events,
            "outside_hours_share": self.outside_hours_share,
            "pages": self.pages,
            "pages_outside_working_hours": self.pages_outside_working_hours,
            "people_with_outside_hours_work": self.people_with_outside_hours_work,
        }


@dataclass(frozen=True, slots=True)
class PersonHealth:
    """Restricted per-person detail (for the person and their manager, not for comparison)."""

    person_id: str
    team: str
    events: int
    after_hours_events: int
    weekend_events: int
    pages: int
    pages_outside_working_hours: int


def _zone(schedule: WorkSchedule) -> ZoneInfo:
    try:
        return ZoneInfo(schedule.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            UNKNOWN_TIME_ZONE.format(person_id=schedule.person_id, time_zone=schedule.time_zone)
        ) from error


def classify_work_time(moment: datetime, schedule: WorkSchedule) -> WorkTime:
    """Whether an instant falls in working hours, after hours, or on a non-working day,
    judged on the wall clock of the schedule's time zone (DST-correct).

    Raises ``ValueError`` (:data:`NAIVE_EVENT_TIME`) for naive datetimes: guessing their
    zone is exactly the mistake this function exists to avoid.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(NAIVE_EVENT_TIME.format(moment=moment))
    local = moment.astimezone(_zone(schedule))
    start, end = schedule.workday_start, schedule.workday_end
    clock = local.time()
    if start <= end:
        day = local.weekday()
        in_hours = start <= clock < end
    else:
        # Overnight shift: the hours after midnight belong to the previous day's shift.
        day = local.weekday() if clock >= start else (local.weekday() - 1) % 7
        in_hours = clock >= start or clock < end
    if day not in schedule.working_days:
        return "weekend"
    return "working_hours" if in_hours else "after_hours"


def _tally(
    events: Iterable[WorkEvent], schedules: Mapping[str, WorkSchedule]
) -> dict[str, list[int]]:
    # person_id -> [events, after_hours, weekend, pages, pages_outside]
    tallies: dict[str, list[int]] = {}
    for event in events:
        schedule = schedules.get(event.person_id)
        if schedule is None:
            raise ValueError(UNKNOWN_PERSON.format(person_id=event.person_id))
        when = classify_work_time(event.occurred_at, schedule)
        tally = tallies.setdefault(event.person_id, [0, 0, 0, 0, 0])
        tally[0] += 1
        tally[1] += when == "after_hours"
        tally[2] += when == "weekend"
        if event.kind == "page":
            tally[3] += 1
            tally[4] += when != "working_hours"
    return tallies


def summarise_person_health(
    events: Iterable[WorkEvent], schedules: Iterable[WorkSchedule]
) -> dict[str, PersonHealth]:
    """Per-person counts, keyed by person id in id order. Restricted data: show it only to
    the person and those entitled to see their detail; never sort it into a ranking."""
    by_person = {schedule.person_id: schedule for schedule in schedules}
    return person_health_from_tallies(_tally(events, by_person), by_person)


def person_health_from_tallies(
    tallies: Mapping[str, list[int]], schedules: Mapping[str, WorkSchedule]
) -> dict[str, PersonHealth]:
    """:func:`summarise_person_health` from counts already made (by a database, say): per person id with at
    least one event, ``[events, after hours, weekend, pages, pages outside working hours]``."""
    return {
        person_id: PersonHealth(
            person_id=person_id,
            team=schedules[person_id].team,
            events=tally[0],
            after_hours_events=tally[1],
            weekend_events=tally[2],
            pages=tally[3],
            pages_outside_working_hours=tally[4],
        )
        for person_id, tally in sorted(tallies.items())
    }


def summarise_team_health(
    events: Iterable[WorkEvent], schedules: Iterable[WorkSchedule]
) -> dict[str, TeamHealth]:
    """Per-team totals, keyed by team name in name order. ``people`` counts everyone with a
    schedule in the team, including those without events."""
    by_person = {schedule.person_id: schedule for schedule in schedules}
    return team_health_from_tallies(_tally(events, by_person), by_person)


def team_health_from_tallies(
    tallies: Mapping[str, list[int]], schedules: Mapping[str, WorkSchedule]
) -> dict[str, TeamHealth]:
    """:func:`summarise_team_health` from per-person counts already made (see
    :func:`person_health_from_tallies`); ``schedules`` by person id."""
    by_person = schedules
    teams: dict[str, list[int]] = {}
    people: dict[str, int] = {}
    for schedule in by_person.values():
        people[schedule.team] = people.get(schedule.team, 0) + 1
        teams.setdefault(schedule.team, [0, 0, 0, 0, 0, 0])
    for person_id, tally in tallies.items():
        team = teams[by_person[person_id].team]
        for index in range(5):
            team[index] += tally[index]
        team[5] += (tally[1] + tally[2]) > 0
    return {
        name: TeamHealth(
            team=name,
            people=people[name],
            events=total[0],
            after_hours_events=total[1],
            weekend_events=total[2],
            outside_hours_share=(total[1] + total[2]) / total[0] if total[0] else None,
            pages=total[3],
            pages_outside_working_hours=total[4],
            people_with_outside_hours_work=total[5],
        )
        for name, total in sorted(teams.items())
    }
