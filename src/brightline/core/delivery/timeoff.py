"""Team health (requirement A5): time-off patterns of a team, as aggregates only.

Time off is a health input, never performance evidence: these figures say whether a team
rests, not how well anyone works. Three figures, over the members who were employed for the
whole of the longest window (so a new joiner's short history does not read as "no rest"):

- the share of those members with no day of time off in the last 90 and in the last 180 days
  (a burnout-risk indicator);
- the median number of working days off per member in the longest window;
- pages that reached a member on a day of their own time off (judged on their local calendar),
  out of all pages to those members in the same window: on-call cover that did not hold.

Nothing here carries a reason for leave (the application keeps the kind of leave and never
passes it in), and the result has no per-person field. Below ``min_cohort`` members every
figure is withheld.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from brightline.core.delivery.health import NAIVE_EVENT_TIME, UNKNOWN_PERSON, UNKNOWN_TIME_ZONE, WorkEvent

__all__ = [
    "BAD_TIME_OFF_COHORT",
    "BAD_TIME_OFF_WINDOWS",
    "DEFAULT_TIME_OFF_WINDOWS",
    "REVERSED_SPAN",
    "TIME_OFF_DEFINITIONS",
    "TIME_OFF_LIMITS",
    "TeamMember",
    "TeamTimeOff",
    "TimeOffSpan",
    "TimeOffWithheld",
    "overlapping_spans",
    "summarise_team_time_off",
    "working_days_off",
]

TimeOffWithheld = Literal["below_min_cohort"]

DEFAULT_TIME_OFF_WINDOWS: Final = (90, 180)
MONDAY_TO_FRIDAY: Final = frozenset({0, 1, 2, 3, 4})

REVERSED_SPAN: Final = "Time off of person {person_id!r} ends ({end}) before it starts ({start})."
BAD_TIME_OFF_COHORT: Final = "min_cohort must be at least 1, got {value}."
BAD_TIME_OFF_WINDOWS: Final = "windows must be positive numbers of days, got {value!r}."

TIME_OFF_DEFINITIONS: Final[dict[str, str]] = {
    "No time off in the last N days": (
        "Share of members with no day of time off in the last N days (90 and 180), counting only members "
        "employed for the whole 180 days. A high share is a burnout-risk indicator for the team."),
    "Median working days off": (
        "Median number of working days (Monday to Friday) of time off per member in the last 180 days, "
        "members without time off counted as 0."),
    "Pages during time off": (
        "Pages that reached a member on a day of their own time off (on their local calendar), out of all "
        "pages to members in the last 180 days: on-call cover that did not hold."),
}
TIME_OFF_LIMITS: Final = (
    "Time off is never performance evidence. These figures cannot tell you why anyone took time off or did "
    "not, whether time off was refused or never requested, or anything about one person; they rest on the "
    "last import from the HR system, so leave not yet exported counts as none."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeOffSpan:
    """A person's time off from ``start`` to ``end``, both days included. No reason for leave."""

    person_id: str
    start: date
    end: date


@dataclass(frozen=True, slots=True, kw_only=True)
class TeamMember:
    """A member of the team: their IANA time zone (for pages) and first day of employment, if known."""

    person_id: str
    time_zone: str = "UTC"
    employed_since: date | None = None


@dataclass(frozen=True, slots=True)
class TeamTimeOff:
    """Aggregate time-off patterns of one team; every figure is None when ``withheld``.

    ``share_without_time_off`` maps a window in days to a fraction (0–1) of ``counted`` members.
    """

    as_of: date
    window_days: int
    members: int
    counted: int
    min_cohort: int
    withheld: TimeOffWithheld | None
    share_without_time_off: dict[int, float] | None
    median_working_days_off: float | None
    pages: int | None
    pages_during_time_off: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "window_days": self.window_days,
            "members": self.members,
            "counted": self.counted,
            "min_cohort": self.min_cohort,
            "withheld": self.withheld,
            "share_without_time_off": (None if self.share_without_time_off is None
                                       else {str(days): share for days, share in self.share_without_time_off.items()}),
            "median_working_days_off": self.median_working_days_off,
            "pages": self.pages,
            "pages_during_time_off": self.pages_during_time_off,
        }


def overlapping_spans(spans: Iterable[TimeOffSpan]) -> list[tuple[TimeOffSpan, TimeOffSpan]]:
    """Pairs of spans of the same person that share at least one day, each pair (earlier, later).

    Spans that merely touch (one ends the day before the other starts) do not overlap.
    """
    by_person: dict[str, list[TimeOffSpan]] = {}
    for span in spans:
        by_person.setdefault(span.person_id, []).append(span)
    pairs: list[tuple[TimeOffSpan, TimeOffSpan]] = []
    for person_spans in by_person.values():
        ordered = sorted(person_spans, key=lambda span: (span.start, span.end))
        for index, span in enumerate(ordered):
            for later in ordered[index + 1:]:
                if later.start > span.end:
                    break
                pairs.append((span, later))
    return pairs


def _days(span: TimeOffSpan, first: date, last: date) -> Iterable[date]:
    day, end = max(span.start, first), min(span.end, last)
    while day <= end:
        yield day
        day += timedelta(days=1)


def working_days_off(spans: Iterable[TimeOffSpan], *, first: date, last: date,
                     working_days: frozenset[int] = MONDAY_TO_FRIDAY) -> int:
    """Distinct working days (``weekday()`` numbers) from ``first`` to ``last`` inclusive covered by ``spans``.

    Overlapping spans count each day once.
    """
    return len({day for span in spans for day in _days(span, first, last) if day.weekday() in working_days})


def summarise_team_time_off(
    spans: Iterable[TimeOffSpan],
    members: Sequence[TeamMember],
    *,
    as_of: date,
    min_cohort: int,
    pages: Iterable[WorkEvent] = (),
    windows: Sequence[int] = DEFAULT_TIME_OFF_WINDOWS,
) -> TeamTimeOff:
    """Time-off patterns of ``members`` over windows ending on ``as_of`` (included), in days.

    Only members employed on the first day of the longest window are counted; spans and pages of
    anyone else are ignored. Events in ``pages`` whose ``kind`` is not ``"page"`` are ignored.
    Raises ``ValueError`` for a reversed span (:data:`REVERSED_SPAN`), a page with a naive time
    or to someone without a schedule, an unknown time zone, ``min_cohort < 1`` or a bad window.
    """
    if min_cohort < 1:
        raise ValueError(BAD_TIME_OFF_COHORT.format(value=min_cohort))
    if not windows or any(days < 1 for days in windows):
        raise ValueError(BAD_TIME_OFF_WINDOWS.format(value=tuple(windows)))
    longest = max(windows)
    first_day = as_of - timedelta(days=longest - 1)
    counted = {member.person_id: member for member in members
               if member.employed_since is None or member.employed_since <= first_day}
    spans_of: dict[str, list[TimeOffSpan]] = {person_id: [] for person_id in counted}
    for span in spans:
        if span.end < span.start:
            raise ValueError(REVERSED_SPAN.format(person_id=span.person_id, start=span.start, end=span.end))
        if span.person_id in spans_of and span.end >= first_day and span.start <= as_of:
            spans_of[span.person_id].append(span)
    known = {member.person_id for member in members}
    page_total, pages_off = 0, 0
    for event in pages:
        if event.kind != "page":
            continue
        if event.person_id not in known:
            raise ValueError(UNKNOWN_PERSON.format(person_id=event.person_id))
        if event.occurred_at.tzinfo is None or event.occurred_at.utcoffset() is None:
            raise ValueError(NAIVE_EVENT_TIME.format(moment=event.occurred_at))
        member = counted.get(event.person_id)
        if member is None:
            continue
        # The day a page lands on is the member's local day: a page at 23:30 UTC on the last day of
        # leave is already the first working morning in Tokyo.
        local_day = event.occurred_at.astimezone(_zone(member)).date()
        if not first_day <= local_day <= as_of:
            continue
        page_total += 1
        pages_off += any(span.start <= local_day <= span.end for span in spans_of[event.person_id])
    if len(counted) < min_cohort:
        return TeamTimeOff(as_of, longest, len(members), len(counted), min_cohort, "below_min_cohort",
                           None, None, None, None)
    shares: dict[int, float] = {}
    for days in sorted(windows):
        start = as_of - timedelta(days=days - 1)
        rested = sum(any(span.end >= start for span in person_spans) for person_spans in spans_of.values())
        shares[days] = (len(counted) - rested) / len(counted)
    median = float(statistics.median(working_days_off(person_spans, first=first_day, last=as_of)
                                     for person_spans in spans_of.values()))
    return TeamTimeOff(as_of, longest, len(members), len(counted), min_cohort, None, shares, median,
                       page_total, pages_off)


def _zone(member: TeamMember) -> ZoneInfo:
    try:
        return ZoneInfo(member.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(UNKNOWN_TIME_ZONE.format(person_id=member.person_id,
                                                  time_zone=member.time_zone)) from error
