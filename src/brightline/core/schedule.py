"""Cadences of periodic work: when a schedule is due, and when it is next due.

A cadence is written the way a person says it: ``hourly at :15``, ``daily at 03:30``,
``weekly on monday at 06:00``, ``fortnightly on monday at 06:00``. Times are UTC: a cadence
in a local time zone would run twice or not at all on the nights clocks change.

The scheduler keeps one value per schedule, the last *slot* it ran for. A schedule is due when
:meth:`Cadence.previous_slot` of now is later than that value, so however many slots a
stopped server missed, the schedule runs once, for the latest one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal

__all__ = ["ERR_CADENCE", "ERR_NAIVE", "Cadence", "CadenceKind", "parse_cadence"]

CadenceKind = Literal["hourly", "daily", "weekly", "fortnightly"]

WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Fortnightly slots fall in the even weeks counted from this Monday, so every process agrees on them.
FORTNIGHT_ANCHOR: Final = date(2024, 1, 1)
_PERIOD: Final[dict[str, timedelta]] = {"hourly": timedelta(hours=1), "daily": timedelta(days=1),
                                        "weekly": timedelta(days=7), "fortnightly": timedelta(days=14)}

ERR_CADENCE: Final = ("{text!r} is not a cadence; write 'hourly at :MM', 'daily at HH:MM', "
                      "'weekly on DAY at HH:MM' or 'fortnightly on DAY at HH:MM' (UTC)")
ERR_NAIVE: Final = "a cadence needs a time zone-aware moment, not {moment!r}"

_PATTERNS: Final = (
    re.compile(r"^(?P<kind>hourly) at :(?P<minute>\d{2})$"),
    re.compile(r"^(?P<kind>daily) at (?P<hour>\d{2}):(?P<minute>\d{2})$"),
    re.compile(r"^(?P<kind>weekly|fortnightly) on (?P<day>[a-z]+) at (?P<hour>\d{2}):(?P<minute>\d{2})$"),
)


@dataclass(frozen=True)
class Cadence:
    """When periodic work runs. ``weekday`` is 0 for Monday (Python's ``date.weekday()``)."""

    kind: CadenceKind
    minute: int = 0
    hour: int = 0
    weekday: int = 0

    def __str__(self) -> str:
        if self.kind == "hourly":
            return f"hourly at :{self.minute:02d}"
        if self.kind == "daily":
            return f"daily at {self.hour:02d}:{self.minute:02d}"
        return f"{self.kind} on {WEEKDAYS[self.weekday]} at {self.hour:02d}:{self.minute:02d}"

    @property
    def period(self) -> timedelta:
        return _PERIOD[self.kind]

    def previous_slot(self, now: datetime) -> datetime:
        """The latest moment at or before ``now`` (aware) when this cadence was due, in UTC."""
        if now.tzinfo is None:
            raise ValueError(ERR_NAIVE.format(moment=now))
        now = now.astimezone(UTC)
        if self.kind == "hourly":
            slot = now.replace(minute=self.minute, second=0, microsecond=0)
        else:
            slot = now.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
            if self.kind in {"weekly", "fortnightly"}:
                slot -= timedelta(days=(slot.weekday() - self.weekday) % 7)
        if slot > now:
            slot -= _PERIOD["weekly" if self.kind == "fortnightly" else self.kind]
        if self.kind == "fortnightly" and ((slot.date() - FORTNIGHT_ANCHOR).days // 7) % 2:
            slot -= timedelta(days=7)
        return slot

    def next_slot(self, now: datetime) -> datetime:
        """The first moment after ``now`` (aware) when this cadence is due, in UTC. UTC has no
        daylight-saving jumps, so it is always one period after the previous slot."""
        return self.previous_slot(now) + self.period

    def crontab_fields(self) -> dict[str, str]:
        """The cadence as cron fields (``minute``, ``hour``, ``day_of_week`` with 0 for Sunday).

        Cron cannot say "every other week": a fortnightly cadence fires weekly and the scheduler
        skips the odd weeks (its due check uses :meth:`previous_slot`)."""
        fields = {"minute": str(self.minute), "hour": "*", "day_of_week": "*"}
        if self.kind != "hourly":
            fields["hour"] = str(self.hour)
        if self.kind in {"weekly", "fortnightly"}:
            fields["day_of_week"] = str((self.weekday + 1) % 7)
        return fields


def parse_cadence(text: str) -> Cadence:
    """Read ``hourly at :MM``, ``daily at HH:MM``, ``weekly on DAY at HH:MM`` or ``fortnightly on DAY
    at HH:MM`` (UTC, 24-hour clock, day in English); raises ``ValueError`` with :data:`ERR_CADENCE`."""
    cleaned = " ".join(text.strip().lower().split())
    for pattern in _PATTERNS:
        match = pattern.match(cleaned)
        if match is None:
            continue
        parts = match.groupdict()
        minute, hour = int(parts["minute"]), int(parts.get("hour") or 0)
        day = parts.get("day")
        if minute > 59 or hour > 23 or (day is not None and day not in WEEKDAYS):
            break
        kind: CadenceKind = parts["kind"]  # type: ignore[assignment]  # the pattern allows only these
        return Cadence(kind=kind, minute=minute, hour=hour, weekday=WEEKDAYS.index(day) if day else 0)
    raise ValueError(ERR_CADENCE.format(text=text))
