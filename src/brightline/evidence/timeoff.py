"""Time off (PTO) from the HR system: imported from a CSV, shown on team health as aggregates only (A5).

The CSV has the columns ``person,start_date,end_date,kind``. ``person`` is the employee id or the
work email (or a configured email alias) of a person already in Brightline; the dates are
``YYYY-MM-DD`` and both days are included; ``kind`` is ``vacation``, ``sick``, ``parental`` or
``other``. Every row is checked first; on any problem (a reversed range, two ranges of one person
that share a day, a range overlapping one already stored) nothing is written.

Importing the same file again changes nothing. A corrected export is imported with ``replace``:
the file then replaces every stored time off of the people it names.

Time off is never performance evidence (principle 1): nothing here creates an evidence item, no
packet kind can cite it, and the insights layer does not read it (``tests/test_evidence_time_off.py``
enforces this). Team views get aggregates without the kind of leave, which is private to the person.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from django.db import transaction
from django.db.models import Max

from brightline import access
from brightline.audit.services import log_action
from brightline.core.delivery import (
    DEFAULT_TIME_OFF_WINDOWS,
    TeamMember,
    TeamTimeOff,
    TimeOffSpan,
    WorkEvent,
    overlapping_spans,
    summarise_team_time_off,
)
from brightline.csvio import CsvImportError, CsvSource, RowError, check_columns, raise_if_refused, read_csv_rows
from brightline.evidence.identities import fold
from brightline.evidence.models import Page, TimeOff
from brightline.people.models import Identity, Person, Team
from brightline.policy.inventory import SOURCE_OFF_HOW
from brightline.policy.services import is_source_allowed

SOURCE_KEY: Final = "pto"  # the data inventory entry that must be on the policy's allow-list
REQUIRED_COLUMNS: Final = ("person", "start_date", "end_date", "kind")
KINDS: Final = tuple(TimeOff.Kind.values)

ERR_NOT_ALLOWED: Final = "only people partners can import time off"
ERR_SOURCE_OFF: Final = ("time off is not among the data sources Brightline may ingest: a people partner ticks "
                         "\"Time off from the HR system (imported)\" first" + SOURCE_OFF_HOW)
ERR_REQUIRED: Final = "{column} is empty"
ERR_BAD_DATE: Final = "{column} {value!r} is not a date in the form YYYY-MM-DD"
ERR_REVERSED: Final = "end_date {end} is before start_date {start}; the range is reversed"
ERR_BAD_KIND: Final = "kind {value!r} is not one of: {kinds}"
ERR_UNKNOWN_PERSON: Final = ("person {value!r} is neither an employee id nor a work email in Brightline; "
                             "import people first")
ERR_OVERLAP_IN_FILE: Final = ("{start} to {end} overlaps {other_start} to {other_end} on line {other} for the same "
                              "person; merge or correct the ranges")
ERR_OVERLAP_STORED: Final = ("{start} to {end} overlaps time off already stored for this person ({other_start} to "
                             "{other_end}); correct the file, or import it with --replace to replace the stored "
                             "time off of the people it names")


@dataclass(frozen=True)
class TimeOffRow:
    line: int
    person_id: int
    start_date: dt.date
    end_date: dt.date
    kind: str

    @property
    def key(self) -> tuple[int, dt.date, dt.date]:
        return self.person_id, self.start_date, self.end_date

    @property
    def span(self) -> TimeOffSpan:
        return TimeOffSpan(person_id=str(self.person_id), start=self.start_date, end=self.end_date)


@dataclass
class TimeOffImportResult:
    dry_run: bool
    replace: bool
    rows: int = 0
    people: int = 0
    created: int = 0
    updated: int = 0  # the same range stored with another kind
    unchanged: int = 0
    removed: int = 0  # stored ranges a --replace import withdrew
    by_kind: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "replace": self.replace, "rows": self.rows, "people": self.people,
                "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "removed": self.removed, "by_kind": self.by_kind, "errors": []}

    def describe(self) -> str:
        verb = "Would import" if self.dry_run else "Imported"
        text = (f"{verb} {self.rows} time-off ranges of {self.people} people: {self.created} new, "
                f"{self.updated} updated, {self.unchanged} unchanged")
        return text + (f", {self.removed} withdrawn." if self.replace else ".")


def _people_by_key(keys: set[str]) -> dict[str, int]:
    """``person`` values to person ids: employee ids as written, emails case-folded (work email or alias)."""
    found = dict(Person.objects.filter(employee_id__in=keys).values_list("employee_id", "pk"))
    emails = {fold(key) for key in keys if "@" in key}
    by_email = dict(Person.objects.filter(email__in=emails).values_list("email", "pk"))
    # An alias was configured deliberately, as in identity resolution; it does not override a work email.
    for value, person_id in Identity.objects.filter(kind="email", value__in=emails).values_list("value", "person_id"):
        by_email.setdefault(fold(value), person_id)
    for key in keys:
        if key not in found and fold(key) in by_email:
            found[key] = by_email[fold(key)]
    return found


def _date(values: dict[str, str], column: str, problems: list[str]) -> dt.date | None:
    if not values[column]:
        problems.append(ERR_REQUIRED.format(column=column))
        return None
    try:
        return dt.date.fromisoformat(values[column])
    except ValueError:
        problems.append(ERR_BAD_DATE.format(column=column, value=values[column]))
        return None


def _parse_row(line: int, values: dict[str, str], people: dict[str, int]) -> tuple[TimeOffRow | None, list[str]]:
    problems: list[str] = []
    person_id = None
    if not values["person"]:
        problems.append(ERR_REQUIRED.format(column="person"))
    else:
        person_id = people.get(values["person"])
        if person_id is None:
            problems.append(ERR_UNKNOWN_PERSON.format(value=values["person"]))
    start, end = _date(values, "start_date", problems), _date(values, "end_date", problems)
    if start is not None and end is not None and end < start:
        problems.append(ERR_REVERSED.format(start=start.isoformat(), end=end.isoformat()))
    kind = values["kind"].lower()
    if not kind:
        problems.append(ERR_REQUIRED.format(column="kind"))
    elif kind not in KINDS:
        problems.append(ERR_BAD_KIND.format(value=values["kind"], kinds=", ".join(KINDS)))
    if problems or person_id is None or start is None or end is None:
        return None, problems
    return TimeOffRow(line, person_id, start, end, kind), []


def parse_time_off(raw: CsvSource) -> list[TimeOffRow]:
    """Every range in the file, checked, in file order; raises :class:`CsvImportError` listing every problem."""
    header, records = read_csv_rows(raw, expected=",".join(REQUIRED_COLUMNS))
    check_columns(header, required=REQUIRED_COLUMNS, optional=())
    errors: list[RowError] = []
    checked = []
    for record in records:
        if isinstance(record, RowError):
            errors.append(record)
        else:
            checked.append(record)
    people = _people_by_key({record.values["person"] for record in checked} - {""})
    rows: list[TimeOffRow] = []
    for record in checked:
        row, problems = _parse_row(record.line, record.values, people)
        errors.extend(RowError(record.line, problem) for problem in problems)
        if row is not None:
            rows.append(row)
    # Spans are compared by identity: two identical rows are two ranges that overlap.
    row_of = {}
    for row in rows:
        span = row.span
        row_of[id(span)] = (span, row)
    for earlier, later in overlapping_spans(span for span, _row in row_of.values()):
        first, second = sorted((row_of[id(earlier)][1], row_of[id(later)][1]), key=lambda row: row.line)
        errors.append(RowError(second.line, ERR_OVERLAP_IN_FILE.format(
            start=second.start_date, end=second.end_date, other_start=first.start_date, other_end=first.end_date,
            other=first.line)))
    raise_if_refused(errors, any_rows=bool(rows), noun="time off")
    return rows


def _check_stored(rows: list[TimeOffRow], stored: dict[tuple[int, dt.date, dt.date], str]) -> None:
    """Refuse ranges that share a day with a *different* stored range of the same person."""
    errors = []
    stored_by_person: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for person_id, start, end in stored:
        stored_by_person.setdefault(person_id, []).append((start, end))
    for row in rows:
        for start, end in sorted(stored_by_person.get(row.person_id, [])):
            same = (start, end) == (row.start_date, row.end_date)
            if not same and start <= row.end_date and row.start_date <= end:
                errors.append(RowError(row.line, ERR_OVERLAP_STORED.format(
                    start=row.start_date, end=row.end_date, other_start=start, other_end=end)))
    raise_if_refused(errors, any_rows=True, noun="time off")


def import_time_off(raw: CsvSource, *, actor: Person | None, actor_label: str | None = None, dry_run: bool = False,
                    replace: bool = False) -> TimeOffImportResult:
    """Import time-off ranges: all rows or none. One audit entry records counts, never a date or a kind."""
    if not (actor is None and (actor_label or "").startswith("cli")) and not access.can_manage_people(actor):
        raise PermissionError(ERR_NOT_ALLOWED)
    if not is_source_allowed(SOURCE_KEY):
        raise CsvImportError([RowError(0, ERR_SOURCE_OFF)])
    rows = parse_time_off(raw)
    people = {row.person_id for row in rows}
    result = TimeOffImportResult(dry_run=dry_run, replace=replace, rows=len(rows), people=len(people),
                                 by_kind=dict(sorted(Counter(row.kind for row in rows).items())))
    with transaction.atomic():
        stored = {(person_id, start, end): kind for person_id, start, end, kind in TimeOff.objects.select_for_update()
                  .filter(person_id__in=people).values_list("person_id", "start_date", "end_date", "kind")}
        if not replace:
            _check_stored(rows, stored)
        in_file = {(row.person_id, row.start_date, row.end_date): row for row in rows}
        fresh, changed = [], []
        for key, row in in_file.items():
            if key not in stored:
                fresh.append(row)
            elif stored[key] != row.kind:
                changed.append(row)
        result.created, result.updated = len(fresh), len(changed)
        result.unchanged = len(rows) - len(fresh) - len(changed)
        withdrawn = [key for key in stored if key not in in_file] if replace else []
        result.removed = len(withdrawn)
        if dry_run:
            return result
        # In bulk: withdrawn ranges by id, changed kinds one statement per kind, new ranges in batches.
        ids = {(person_id, start, end): pk for pk, person_id, start, end in TimeOff.objects.filter(
            person_id__in={key[0] for key in [*withdrawn, *(row.key for row in changed)]}).values_list(
            "pk", "person_id", "start_date", "end_date")} if withdrawn or changed else {}
        gone = [ids[key] for key in withdrawn]
        for start in range(0, len(gone), 900):
            TimeOff.objects.filter(pk__in=gone[start:start + 900]).delete()
        for kind in sorted({row.kind for row in changed}):
            pks = [ids[row.key] for row in changed if row.kind == kind]
            for start in range(0, len(pks), 900):
                TimeOff.objects.filter(pk__in=pks[start:start + 900]).update(kind=kind)
        TimeOff.objects.bulk_create((TimeOff(person_id=row.person_id, start_date=row.start_date,
                                             end_date=row.end_date, kind=row.kind) for row in fresh), batch_size=1000)
        log_action("evidence.time_off.imported", actor, None,
                   {"rows": result.rows, "people": result.people, "created": result.created,
                    "updated": result.updated, "unchanged": result.unchanged, "removed": result.removed,
                    "replace": replace}, actor_label=actor_label)
    return result


# --------------------------------------------------------------------------------------------- read


@dataclass(frozen=True)
class TeamTimeOffReport:
    """What the team health page shows: the aggregates, or why there are none.

    ``available`` is False while the source is off or nothing was ever imported: a team without
    imported time off must not read as a team that never rests.
    """

    available: bool
    summary: TeamTimeOff | None
    last_imported: dt.date | None


def team_time_off(team: Team, *, as_of: dt.date, min_cohort: int) -> TeamTimeOffReport:
    """Time-off aggregates of the team's active members over the windows ending on ``as_of``."""
    if not is_source_allowed(SOURCE_KEY):
        return TeamTimeOffReport(False, None, None)
    last = TimeOff.objects.aggregate(last=Max("imported_at"))["last"]
    if last is None:
        return TeamTimeOffReport(False, None, None)
    members = list(Person.objects.filter(team=team, is_active=True).values_list("pk", "timezone", "start_date"))
    ids = [pk for pk, _zone, _start in members]
    first_day = as_of - dt.timedelta(days=max(DEFAULT_TIME_OFF_WINDOWS) - 1)
    spans = [TimeOffSpan(person_id=str(pk), start=start, end=end) for pk, start, end in
             TimeOff.objects.filter(person_id__in=ids, end_date__gte=first_day, start_date__lte=as_of)
             .values_list("person_id", "start_date", "end_date")]
    start_moment = dt.datetime.combine(first_day - dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    end_moment = dt.datetime.combine(as_of + dt.timedelta(days=2), dt.time(0), tzinfo=dt.UTC)
    pages = [WorkEvent(person_id=str(pk), occurred_at=moment.astimezone(dt.UTC), kind="page") for pk, moment in
             Page.objects.filter(person_id__in=ids, paged_at__gte=start_moment, paged_at__lt=end_moment)
             .values_list("person_id", "paged_at")]
    summary = summarise_team_time_off(
        spans, [TeamMember(person_id=str(pk), time_zone=zone or "UTC", employed_since=start)
                for pk, zone, start in members], as_of=as_of, min_cohort=min_cohort, pages=pages)
    return TeamTimeOffReport(True, summary, last.date())


def own_time_off(person: Person, *, since: dt.date) -> list[TimeOff]:
    """The person's own ranges ending on or after ``since``, oldest first: for the person alone to see."""
    return list(TimeOff.objects.filter(person=person, end_date__gte=since).order_by("start_date"))
