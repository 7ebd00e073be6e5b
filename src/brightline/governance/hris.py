"""HRIS movement events (leavers, internal transfers, promotions) for system-health measures (G6).

The CSV has the columns ``employee_id,event,date`` and optionally ``regretted`` (yes/no, leavers
only), ``from_team``, ``to_team``, ``from_level``, ``to_level``. ``event`` is ``left``,
``transferred`` or ``promoted``. Every row is checked first; on any problem nothing is written.
Re-importing the same file changes nothing: an event is identified by employee, event and date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from brightline import access
from brightline.audit.services import log_action
from brightline.csvio import CsvSource, RowError, check_columns, max_lengths_of, raise_if_refused, read_csv_rows
from brightline.governance.models import HrisEvent
from brightline.people.models import Person

REQUIRED_COLUMNS = ("employee_id", "event", "date")
OPTIONAL_COLUMNS = ("regretted", "from_team", "to_team", "from_level", "to_level")
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})

ERR_NOT_ALLOWED = "only people partners can import HRIS events"
ERR_REQUIRED = "{column} is empty"
ERR_BAD_EVENT = "event {value!r} is not one of: left, transferred, promoted"
ERR_BAD_DATE = "date {value!r} is not a date in the form YYYY-MM-DD"
ERR_BAD_REGRETTED = "regretted {value!r} is not yes or no"
ERR_REGRETTED_NOT_LEAVER = "regretted applies to leavers only (event 'left')"
ERR_TRANSFER_TEAM = "a transfer needs to_team"
ERR_PROMOTION_LEVEL = "a promotion needs to_level"
ERR_DUPLICATE = "the same event for {employee_id!r} on {date} also appears on line {other}"


@dataclass(frozen=True)
class EventRow:
    line: int
    employee_id: str
    event: str
    date: dt.date
    regretted: bool | None
    from_team: str
    to_team: str
    from_level: str
    to_level: str


@dataclass
class HrisImportResult:
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_event: dict[str, int] = field(default_factory=dict)
    unknown_people: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "rows": self.rows, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "by_event": self.by_event, "unknown_people": self.unknown_people,
                "errors": []}


def _parse_row(line: int, values: dict[str, str]) -> tuple[EventRow | None, list[str]]:
    problems = [ERR_REQUIRED.format(column=column) for column in REQUIRED_COLUMNS if not values[column]]
    event = values["event"].lower()
    if event and event not in HrisEvent.Kind.values:
        problems.append(ERR_BAD_EVENT.format(value=values["event"]))
    day: dt.date | None = None
    if values["date"]:
        try:
            day = dt.date.fromisoformat(values["date"])
        except ValueError:
            problems.append(ERR_BAD_DATE.format(value=values["date"]))
    raw_regretted = values.get("regretted", "").lower()
    regretted: bool | None = None
    if raw_regretted in YES:
        regretted = True
    elif raw_regretted in NO:
        regretted = False
    elif raw_regretted:
        problems.append(ERR_BAD_REGRETTED.format(value=values["regretted"]))
    if regretted is not None and event != HrisEvent.Kind.LEFT:
        problems.append(ERR_REGRETTED_NOT_LEAVER)
    if event == HrisEvent.Kind.TRANSFERRED and not values.get("to_team"):
        problems.append(ERR_TRANSFER_TEAM)
    if event == HrisEvent.Kind.PROMOTED and not values.get("to_level"):
        problems.append(ERR_PROMOTION_LEVEL)
    if problems or day is None:
        return None, problems
    return EventRow(line, values["employee_id"], event, day, regretted, values.get("from_team", ""),
                    values.get("to_team", ""), values.get("from_level", "").upper(),
                    values.get("to_level", "").upper()), []


def parse_hris_events(raw: CsvSource) -> list[EventRow]:
    limits = max_lengths_of(HrisEvent, {column: column for column in ("employee_id", "event", "from_team", "to_team",
                                                                      "from_level", "to_level")})
    header, records = read_csv_rows(raw, expected=",".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS), max_lengths=limits)
    check_columns(header, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    errors: list[RowError] = []
    rows: list[EventRow] = []
    first_line: dict[tuple[str, str, dt.date], int] = {}
    for record in records:
        if isinstance(record, RowError):
            errors.append(record)
            continue
        row, problems = _parse_row(record.line, record.values)
        errors.extend(RowError(record.line, problem) for problem in problems)
        if row is None:
            continue
        key = (row.employee_id, row.event, row.date)
        if key in first_line:
            errors.append(RowError(row.line, ERR_DUPLICATE.format(employee_id=row.employee_id,
                                                                 date=row.date.isoformat(), other=first_line[key])))
            continue
        first_line[key] = row.line
        rows.append(row)
    raise_if_refused(errors, any_rows=bool(rows), noun="events")
    return rows


def import_hris_events(raw: CsvSource, *, actor: Person | None, actor_label: str | None = None,
                       dry_run: bool = False) -> HrisImportResult:
    """Import leavers, transfers and promotions: all rows or none; one audit entry with the counts."""
    if not (actor is None and (actor_label or "").startswith("cli")) and not access.can_manage_people(actor):
        raise PermissionError(ERR_NOT_ALLOWED)
    rows = parse_hris_events(raw)
    result = HrisImportResult(dry_run=dry_run, rows=len(rows))
    people = dict(Person.objects.filter(employee_id__in={row.employee_id for row in rows})
                  .values_list("employee_id", "pk"))
    existing = {(event.employee_id, event.event, event.date): event for event in
                HrisEvent.objects.filter(employee_id__in={row.employee_id for row in rows})}
    fields = ("regretted", "from_team", "to_team", "from_level", "to_level")
    fresh: list[HrisEvent] = []
    changed_events: list[HrisEvent] = []
    with transaction.atomic():
        for row in rows:
            result.by_event[row.event] = result.by_event.get(row.event, 0) + 1
            person_id = people.get(row.employee_id)
            result.unknown_people += person_id is None
            stored = existing.get((row.employee_id, row.event, row.date))
            if stored is None:
                result.created += 1
                fresh.append(HrisEvent(employee_id=row.employee_id, person_id=person_id, event=row.event,
                                       date=row.date, **{name: getattr(row, name) for name in fields}))
                continue
            changed = [name for name in fields if getattr(stored, name) != getattr(row, name)]
            if stored.person_id != person_id:
                changed.append("person")
            if not changed:
                result.unchanged += 1
                continue
            result.updated += 1
            for name in fields:
                setattr(stored, name, getattr(row, name))
            stored.person_id = person_id
            changed_events.append(stored)
        if not dry_run:  # in bulk: a few statements per thousand rows
            HrisEvent.objects.bulk_create(fresh, batch_size=1000)
            HrisEvent.objects.bulk_update(changed_events, [*fields, "person"], batch_size=1000)
            log_action("fairness.hris_events.imported", actor, None,
                       {"rows": result.rows, "created": result.created, "updated": result.updated,
                        "unchanged": result.unchanged, "by_event": result.by_event,
                        "unknown_people": result.unknown_people}, actor_label=actor_label)
    return result
