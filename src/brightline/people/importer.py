"""People import from an HRIS export (CSV): validate everything, then write everything or nothing."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from brightline.audit.services import insert_objects, log_actions
from brightline.csvio import ERR_EMPTY as ERR_EMPTY  # the whole-file messages are the shared frame's
from brightline.csvio import ERR_MISSING_COLUMNS as ERR_MISSING_COLUMNS
from brightline.csvio import (
    ERR_TOO_LONG,
    CsvImportError,
    CsvSource,
    RowError,
    check_columns,
    max_lengths_of,
    read_csv_rows,
)
from brightline.people.accounts import create_logins, login_changes, taken_usernames
from brightline.people.models import Level, Organisation, Person, Team, WorkModality, rebuild_chain_paths
from brightline.people.rolechanges import record_applied_manager_changes

REQUIRED_COLUMNS = ("employee_id", "name", "email", "manager_id", "team", "level", "timezone", "start_date")
OPTIONAL_COLUMNS = ("work_modality", "end_date")

ERR_NO_ROWS = "the file has a header but no people"
ERR_REQUIRED = "{column} is empty"
ERR_DUPLICATE_ID = "employee_id {value!r} also appears on line {other}"
ERR_DUPLICATE_EMAIL = "email {value!r} also appears on line {other}"
ERR_EMAIL_TAKEN = "email {value!r} already belongs to employee {other} in Brightline"
ERR_BAD_EMAIL = "email {value!r} is not a valid address"
ERR_UNKNOWN_MANAGER = "manager_id {value!r} is neither in this file nor in Brightline"
ERR_SELF_MANAGER = "a person cannot be their own manager"
ERR_CYCLE = "reporting chain loops: {chain}"
ERR_UNKNOWN_LEVEL = "level {value!r} is not a level; give a level's title or its code (known: {known})"
ERR_NO_LADDER = ("level {value!r} is not a level, because no career ladder is installed yet; run "
                 "`brightline ladder install-default` to install the default engineering ladder (it lists its "
                 "titles and codes), then import the file again")
ERR_AMBIGUOUS_LEVEL = "level {value!r} is the title of more than one level; give its code: {codes}"
ERR_BAD_TIMEZONE = "timezone {value!r} is not an IANA name such as Europe/Berlin"
ERR_BAD_DATE = "{column} {value!r} is not a date in the form YYYY-MM-DD"
ERR_END_BEFORE_START = "end_date {end} is before start_date {start}"
ERR_BAD_MODALITY = "work_modality {value!r} is not one of: {choices}"

TRACKED_FIELDS = ("name", "email", "manager", "team", "level", "timezone", "start_date", "work_modality",
                  "left_on", "active")


class PeopleImportError(Exception):
    """The file could not be imported; ``errors`` lists every bad row. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the file; nothing was imported")
        self.errors = errors


@dataclass(frozen=True, slots=True)
class PersonRow:
    line: int
    employee_id: str
    name: str
    email: str
    manager_id: str
    team: str
    level_code: str
    timezone: str
    start_date: date | None
    work_modality: str
    end_date: date | None = None


@dataclass
class ImportResult:
    dry_run: bool
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    unchanged: int = 0
    teams_created: list[str] = field(default_factory=list)
    # Employee ids: people who left (an end date that has passed, or missing from a full import).
    left: list[str] = field(default_factory=list)
    logins_created: list[str] = field(default_factory=list)
    logins_deactivated: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "teams_created": self.teams_created,
            "left": sorted(self.left),
            "logins_created": len(self.logins_created),
            "logins_deactivated": len(self.logins_deactivated),
            "changes": self.updated,
            "errors": [],
        }


def _limits() -> dict[str, int]:
    # No limit for level: it is a level's code or its title, and anything else is "not a level", not "too long".
    return {**max_lengths_of(Person, {"employee_id": "employee_id", "manager_id": "employee_id", "name": "name",
                                      "email": "email", "timezone": "timezone"}),
            **max_lengths_of(Team, {"team": "name"})}


def level_names() -> dict[str, list[Level]]:
    """Every way a file may name a level, case-insensitively: its code and its title."""
    names: dict[str, list[Level]] = {}
    for level in Level.objects.select_related("ladder").order_by("ladder__name", "rank"):
        for name in {level.code.casefold(), " ".join(level.title.split()).casefold()}:
            names.setdefault(name, []).append(level)
    return names


def levels_in_words() -> str:
    """The levels a file may name, as "Engineer II (IC2)", in ladder order."""
    return ", ".join(f"{level.title} ({level.code})"
                     for level in Level.objects.select_related("ladder").order_by("ladder__name", "rank")) or "none"


def parse_people_csv(raw: CsvSource) -> tuple[list[PersonRow], list[RowError]]:
    """Read and check each row on its own; cross-row and database checks come later.

    ``raw`` is the file's bytes or a binary handle, read row by row (the file is never held whole).
    Returns the rows that passed with the errors of those that did not; a file that cannot be
    read as a whole (encoding, header) raises ``PeopleImportError`` at once.
    """
    rows, errors, _failed = _parse_rows(raw)
    return rows, errors


def _parse_rows(raw: CsvSource) -> tuple[list[PersonRow], list[RowError], set[str]]:
    """``parse_people_csv`` and the employee ids of the rows that failed their own checks: those people are in
    the file, so a row naming one of them as manager is not wrong too (the real error is reported once)."""
    limits = _limits()
    failed: set[str] = set()
    try:
        header, records = read_csv_rows(raw, expected=", ".join(REQUIRED_COLUMNS))
        check_columns(header, required=REQUIRED_COLUMNS, optional=None)
    except CsvImportError as error:
        raise PeopleImportError(error.errors) from None
    errors: list[RowError] = []
    rows: list[PersonRow] = []
    known_zones = zoneinfo.available_timezones()  # reads the zone files: once per file, not once per row
    modalities = set(WorkModality.values)
    for checked in records:
        if isinstance(checked, RowError):
            errors.append(checked)
            continue
        line, record = checked.line, checked.values
        row_errors = [ERR_TOO_LONG.format(column=column, length=len(value), limit=limits[column])
                      for column, value in record.items() if column in limits and len(value) > limits[column]]
        if row_errors:  # as the shared reader reports it: the rest of the row is not checked
            errors.extend(RowError(line, reason) for reason in row_errors)
            failed.add(record.get("employee_id", ""))
            continue
        for column in ("employee_id", "name", "email"):
            if not record[column]:
                row_errors.append(ERR_REQUIRED.format(column=column))
        email = record["email"].lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                row_errors.append(ERR_BAD_EMAIL.format(value=record["email"]))
        timezone_name = record["timezone"] or "UTC"
        if timezone_name not in known_zones:
            row_errors.append(ERR_BAD_TIMEZONE.format(value=timezone_name))
        start, end = (_parse_date(record, column, row_errors) for column in ("start_date", "end_date"))
        if start and end and end < start:
            row_errors.append(ERR_END_BEFORE_START.format(end=end.isoformat(), start=start.isoformat()))
        modality = (record.get("work_modality") or WorkModality.UNSPECIFIED).lower()
        if modality not in modalities:
            row_errors.append(ERR_BAD_MODALITY.format(value=modality, choices=", ".join(WorkModality.values)))
        if record["manager_id"] and record["manager_id"] == record["employee_id"]:
            row_errors.append(ERR_SELF_MANAGER)
        errors.extend(RowError(line, reason) for reason in row_errors)
        if row_errors:
            failed.add(record["employee_id"])
        else:
            rows.append(
                PersonRow(line=line, employee_id=record["employee_id"], name=record["name"], email=email,
                          manager_id=record["manager_id"], team=record["team"], level_code=record["level"],
                          timezone=timezone_name, start_date=start, work_modality=modality, end_date=end)
            )
    if not rows and not errors:
        raise PeopleImportError([RowError(1, ERR_NO_ROWS)])
    failed.discard("")
    return rows, errors, failed


def _parse_date(record: dict[str, str], column: str, row_errors: list[str]) -> date | None:
    value = record.get(column) or ""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        row_errors.append(ERR_BAD_DATE.format(column=column, value=value))
        return None


def _resolve_levels(rows: list[PersonRow]) -> tuple[list[PersonRow], list[RowError]]:
    """Each row's level, given by code or by title in any case, as the level's code; or why it is not a level."""
    names = level_names()
    resolved: list[PersonRow] = []
    errors: list[RowError] = []
    for row in rows:
        if not row.level_code:
            resolved.append(row)
            continue
        found = names.get(" ".join(row.level_code.split()).casefold(), [])
        if len(found) == 1:
            resolved.append(replace(row, level_code=found[0].code))
            continue
        if found:
            errors.append(RowError(row.line, ERR_AMBIGUOUS_LEVEL.format(
                value=row.level_code, codes=", ".join(f"{level.code} ({level.ladder.name})" for level in found))))
        else:
            known = levels_in_words()
            message = ERR_NO_LADDER if known == "none" else ERR_UNKNOWN_LEVEL
            errors.append(RowError(row.line, message.format(value=row.level_code, known=known)))
        resolved.append(replace(row, level_code=""))
    return resolved, errors


def _check_against_each_other_and_database(rows: list[PersonRow], also_in_file: set[str] | None = None,
                                           ) -> list[RowError]:
    """Duplicates, e-mails taken, unknown managers and reporting loops. ``also_in_file``: employee ids of rows
    that failed their own checks; naming one of them as manager is not a second error."""
    errors: list[RowError] = []
    first_line_of_id: dict[str, int] = {}
    first_line_of_email: dict[str, int] = {}
    for row in rows:
        if row.employee_id in first_line_of_id:
            errors.append(RowError(row.line, ERR_DUPLICATE_ID.format(value=row.employee_id,
                                                                    other=first_line_of_id[row.employee_id])))
        else:
            first_line_of_id[row.employee_id] = row.line
        if row.email in first_line_of_email:
            errors.append(RowError(row.line, ERR_DUPLICATE_EMAIL.format(value=row.email,
                                                                       other=first_line_of_email[row.email])))
        else:
            first_line_of_email[row.email] = row.line

    existing_by_email = dict(Person.objects.filter(email__in=first_line_of_email).values_list("email", "employee_id"))
    known_ids = (set(Person.objects.values_list("employee_id", flat=True)) | set(first_line_of_id)
                 | (also_in_file or set()))
    for row in rows:
        owner = existing_by_email.get(row.email)
        if owner is not None and owner != row.employee_id:
            errors.append(RowError(row.line, ERR_EMAIL_TAKEN.format(value=row.email, other=owner)))
        if row.manager_id and row.manager_id not in known_ids:
            errors.append(RowError(row.line, ERR_UNKNOWN_MANAGER.format(value=row.manager_id)))
    errors.extend(_find_cycles(rows))
    return errors


def _find_cycles(rows: list[PersonRow]) -> list[RowError]:
    # The file's reporting lines override the database's for the people it names.
    manager_of = dict(Person.objects.filter(manager__isnull=False).values_list("employee_id", "manager__employee_id"))
    manager_of.update({row.employee_id: row.manager_id for row in rows})
    line_of = {row.employee_id: row.line for row in rows}
    in_cycle: set[str] = set()
    errors: list[RowError] = []
    for row in rows:
        path = [row.employee_id]
        current = manager_of.get(row.employee_id) or ""
        while current and current not in path and current not in in_cycle:
            path.append(current)
            current = manager_of.get(current) or ""
        if current and current in path:
            loop = path[path.index(current):]
            if row.employee_id in loop and row.employee_id not in in_cycle:
                in_cycle.update(loop)
                chain = " → ".join([*loop, current])
                errors.extend(RowError(line_of[member], ERR_CYCLE.format(chain=chain))
                              for member in loop if member in line_of)
    return errors


def _stored_people(teams: dict[str, Team], levels: dict[str, Level]) -> tuple[dict[str, Person], dict[int, bool]]:
    """Everyone stored, by employee id, with their manager, team and level (shared instances, no joins), and
    whether each login is active; the logins themselves are read only for the people whose login changes."""
    by_pk = {person.pk: person for person in Person.objects.all()}
    team_of = {team.pk: team for team in teams.values()}
    level_of = {level.pk: level for level in levels.values()}
    manager_field, team_field, level_field = (Person._meta.get_field(name) for name in ("manager", "team", "level"))
    for person in by_pk.values():
        if person.manager_id is not None:
            manager_field.set_cached_value(person, by_pk[person.manager_id])  # type: ignore[union-attr]
        if person.team_id is not None:
            team_field.set_cached_value(person, team_of[person.team_id])  # type: ignore[union-attr]
        if person.level_id is not None:
            level_field.set_cached_value(person, level_of[person.level_id])  # type: ignore[union-attr]
    login_active = dict(get_user_model().objects.filter(person__isnull=False).values_list("pk", "is_active"))
    return {person.employee_id: person for person in by_pk.values()}, login_active


def _field_value(person: Person, name: str) -> Any:
    if name == "manager":
        return person.manager.employee_id if person.manager_id else None
    if name == "team":
        return person.team.slug if person.team_id else None
    if name == "level":
        return person.level.code if person.level_id else None
    if name == "active":
        return person.is_active
    value = getattr(person, name)
    return value.isoformat() if isinstance(value, date) else value


def _desired_values(row: PersonRow, team_slug: str | None) -> dict[str, Any]:
    return {
        "name": row.name,
        "email": row.email,
        "manager": row.manager_id or None,
        "team": team_slug,
        "level": row.level_code or None,
        "timezone": row.timezone,
        "start_date": row.start_date.isoformat() if row.start_date else None,
        "work_modality": row.work_modality,
        "left_on": row.end_date.isoformat() if row.end_date else None,
    }


def _desired_active(row: PersonRow, person: Person | None, today: date) -> bool:
    """Gone once the end date has passed; back when someone who had left is in the file without a past
    end date (a rehire); otherwise as they are (an administrator may have deactivated someone by hand)."""
    if row.end_date is not None and row.end_date <= today:
        return False
    if person is None:
        return True
    if person.left_on is not None and person.left_on <= today:
        return True
    return person.is_active


def import_people(raw: CsvSource, *, organisation: Organisation, actor: Person | None = None,
                  actor_label: str | None = None, dry_run: bool = False, full: bool = False) -> ImportResult:
    """Import an HRIS export. Raises ``PeopleImportError`` listing every bad row; then nothing is written.

    Re-importing the same file changes nothing. A changed field of an existing person is an
    audited update recording from → to. Logins follow people: a new active person gets a login
    without a usable password, a changed name or e-mail is copied to it, and a person who leaves
    (an ``end_date`` that has passed, or, with ``full``, absence from the file) is deactivated
    together with their login, which stops working on the next request. The whole file is checked
    first; people, reporting lines and audit entries are then written in bulk.
    """
    rows, errors, failed = _parse_rows(raw)
    rows, level_errors = _resolve_levels(rows)
    errors = sorted([*errors, *level_errors, *_check_against_each_other_and_database(rows, failed)],
                    key=lambda error: error.line)
    if errors:
        raise PeopleImportError(errors)

    today = timezone.localdate()
    result = ImportResult(dry_run=dry_run, rows=len(rows))
    teams = {team.slug: team for team in Team.objects.all()}
    levels = {level.code: level for level in Level.objects.all()}
    audit: list[tuple[str, Any, dict[str, Any]]] = []
    with transaction.atomic():
        team_slug_of_row: dict[str, str | None] = {}
        new_teams: list[Team] = []
        for row in rows:
            slug = slugify(row.team)[:80] if row.team else None
            team_slug_of_row[row.employee_id] = slug
            if slug and slug not in teams:
                teams[slug] = Team(organisation=organisation, slug=slug, name=row.team)
                result.teams_created.append(slug)
                new_teams.append(teams[slug])
        if not dry_run:
            Team.objects.bulk_create(new_teams, batch_size=1000)
            audit += [("people.team.created", team, {"slug": team.slug, "name": team.name, "source": "people import"})
                      for team in new_teams]

        people, login_active = _stored_people(teams, levels)
        # First pass: create or update everything but the reporting line (managers may be new too).
        written: list[tuple[Person, str, dict[str, Any], str | None]] = []
        to_create: list[Person] = []
        to_update: list[Person] = []
        for row in rows:
            person = people.get(row.employee_id)
            desired = _desired_values(row, team_slug_of_row[row.employee_id])
            desired["active"] = _desired_active(row, person, today)
            if not desired["active"] and (person is None or person.is_active):
                result.left.append(row.employee_id)
            if person is None:
                result.created.append(row.employee_id)
                if desired["active"]:
                    result.logins_created.append(row.employee_id)
                if dry_run:
                    continue
                person = Person(organisation=organisation, employee_id=row.employee_id)
                to_create.append(person)
                changes = {name: {"from": None, "to": value} for name, value in desired.items()
                           if value is not None and name != "active"}
            else:
                changes = {name: {"from": _field_value(person, name), "to": desired[name]} for name in TRACKED_FIELDS
                           if _field_value(person, name) != desired[name]}
                if desired["active"] and person.user_id is None:
                    result.logins_created.append(row.employee_id)
                elif not desired["active"] and login_active.get(person.user_id, False):
                    result.logins_deactivated.append(row.employee_id)
                if not changes:
                    result.unchanged += 1
                    continue
                result.updated[row.employee_id] = changes
                if dry_run:
                    continue
                to_update.append(person)
            person.name, person.email, person.timezone = row.name, row.email.strip().lower(), row.timezone
            person.start_date, person.work_modality = row.start_date, row.work_modality
            person.left_on, person.is_active = row.end_date, desired["active"]
            slug = team_slug_of_row[row.employee_id]
            person.team = teams[slug] if slug else None
            person.level = levels[row.level_code] if row.level_code else None
            people[row.employee_id] = person
            action = "people.person.updated" if row.employee_id in result.updated else "people.person.created"
            written.append((person, action, changes, row.manager_id or None))
        if dry_run:
            if full:
                _leave_everyone_missing(people, {row.employee_id for row in rows}, today, result, login_active,
                                        actor=actor, actor_label=actor_label)
            return result
        # In bulk: a few statements per thousand rows rather than several per row. Logins first, so that new
        # people are inserted with theirs; new people level by level from the top of the file's reporting
        # lines, each with their manager already stored.
        made_logins = _make_logins(people, result)
        for layer in _layers([item for item in written if item[0].pk is None]):
            for person, _action, _changes, manager_id in layer:
                person.manager = people[manager_id] if manager_id else None
            insert_objects(Person, [person for person, *_rest in layer], key="employee_id")
        Person.objects.bulk_update(to_update, ["name", "email", "timezone", "start_date", "work_modality", "team",
                                               "level", "left_on", "is_active"], batch_size=1000)
        # Reporting lines of the people who were already there, now that every manager exists.
        moved: list[tuple[Person, str]] = []
        relinked: list[Person] = []
        created = set(result.created)
        for person, action, changes, manager_id in written:
            if person.employee_id in created:
                if person.manager_id is not None:
                    moved.append((person, ""))
            else:
                manager = people[manager_id] if manager_id else None
                if person.manager_id != (manager.pk if manager else None):
                    moved.append((person, str(person.manager_id or "")))
                    person.manager = manager
                    relinked.append(person)
            audit.append((action, person, {"changes": changes, "source": "people import"}))
        Person.objects.bulk_update(relinked, ["manager"], batch_size=1000)
        if moved or to_create:
            rebuild_chain_paths()
        # The HRIS's record: applied without a second approver, and shown to the people it affects.
        record_applied_manager_changes(moved, actor=actor, actor_label=actor_label or "people import")
        log_actions(audit, actor, actor_label=actor_label)
        if full:
            _leave_everyone_missing(people, {row.employee_id for row in rows}, today, result, login_active,
                                    actor=actor, actor_label=actor_label)
        _follow_with_logins(people, made_logins, result, actor=actor, actor_label=actor_label)
    return result


Written = tuple[Person, str, dict[str, Any], str | None]


def _layers(new: list[Written]) -> list[list[Written]]:
    """New people grouped by how many new managers are above them in the file: each group's managers exist
    once the groups before it are inserted (the file has no loops: it was checked)."""
    by_id = {item[0].employee_id: item for item in new}
    depth: dict[str, int] = {}
    for employee_id in by_id:
        line = []
        current: str | None = employee_id
        while current is not None and current in by_id and current not in depth:
            line.append(current)
            current = by_id[current][3]
        level = depth[current] + 1 if current is not None and current in depth else 0
        for member in reversed(line):
            depth[member] = level
            level += 1
    layers: list[list[Written]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for item in new:
        layers[depth[item[0].employee_id]].append(item)
    return layers


def _make_logins(people: dict[str, Person], result: ImportResult) -> dict[str, Any]:
    """Logins for the active people who have none, usernames given in employee-id order; new people's are linked
    when they are inserted, those of people already stored here. ``{employee id: user}``."""
    needing = [people[employee_id] for employee_id in sorted(set(result.logins_created))
               if people[employee_id].is_active and people[employee_id].user_id is None]
    users = create_logins(needing, taken=taken_usernames(person.email for person in needing))
    stored = [person for person in needing if person.pk is not None]
    Person.objects.bulk_update(stored, ["user"], batch_size=1000)
    return {person.employee_id: user for person, user in zip(needing, users, strict=True)}


def _leave_everyone_missing(people: dict[str, Person], in_file: set[str], today: date, result: ImportResult,
                            login_active: dict[int, bool], *, actor: Person | None, actor_label: str | None) -> None:
    """A full import is the whole organisation: an active person it does not name has left today."""
    leavers: list[Person] = []
    audit: list[tuple[str, Any, dict[str, Any]]] = []
    for employee_id, person in sorted(people.items()):
        if employee_id in in_file or not person.is_active or person.pk is None:
            continue
        result.left.append(employee_id)
        if login_active.get(person.user_id, False):  # type: ignore[arg-type]
            result.logins_deactivated.append(employee_id)
        if result.dry_run:
            continue
        changes = {"left_on": {"from": _field_value(person, "left_on"), "to": today.isoformat()},
                   "active": {"from": True, "to": False}}
        person.left_on, person.is_active = today, False
        leavers.append(person)
        audit.append(("people.person.left", person, {"changes": changes, "source": "people import"}))
    Person.objects.bulk_update(leavers, ["left_on", "is_active"], batch_size=1000)
    log_actions(audit, actor, actor_label=actor_label)


def _follow_with_logins(people: dict[str, Person], made: dict[str, Any], result: ImportResult, *,
                        actor: Person | None, actor_label: str | None) -> None:
    """Record the logins made for people who had none; copy name, e-mail and active state to the rest."""
    if result.dry_run:
        return
    wanted = set(result.logins_created)
    log_actions([("people.login.created", people[employee_id], {"username": user.get_username(),
                                                                 "source": "people import"})
                 for employee_id, user in made.items()], actor, actor_label=actor_label)
    syncing = [people[employee_id] for employee_id in sorted((set(result.updated) | set(result.left)) - wanted)
               if people[employee_id].user_id is not None]
    users = get_user_model().objects.in_bulk([person.user_id for person in syncing])
    changed_users: list[Any] = []
    fields: set[str] = set()
    deactivated: list[tuple[str, Any, dict[str, Any]]] = []
    for person in syncing:
        person.user = users[person.user_id]
        was_active = person.user.is_active
        changed = login_changes(person)
        if not changed:
            continue
        changed_users.append(person.user)
        fields.update(changed)
        if was_active and not person.user.is_active:
            deactivated.append(("people.login.deactivated", person, {"username": person.user.get_username(),
                                                                     "source": "people import"}))
    if changed_users:
        type(changed_users[0]).objects.bulk_update(changed_users, sorted(fields), batch_size=1000)
    log_actions(deactivated, actor, actor_label=actor_label)
