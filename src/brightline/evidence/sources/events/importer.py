"""Validate and apply deployment, incident, page and support-ticket events.

All records of one batch (a file, a webhook delivery) are checked first; if any is malformed
or refused, nothing is written and the problems are reported with their record number (and, for
a CSV file, their line). A valid batch is applied in one transaction, so no event is ever
half-applied. Records are upserted by ``(source, id)``, so sending the same events again (an
incident now resolved) updates them.

Memory stays bounded whatever the size of the file: a CSV file is read record by record (a JSON array element
by element and JSON Lines line by line, see :mod:`.jsonstream`; a vendor export is read whole), each
checked record is spooled to a temporary table of the same transaction (``BATCH_SIZE`` at a time),
the checks that span records (an id sent twice, an incident linked to an unknown deployment) are
queries on that table, and the writes read it back in batches, deployments first, so links within
the file resolve. At most ``MAX_ERRORS`` problems are listed; all of them are counted.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import IO, Any, Final

from django.db import connection, transaction

from brightline.audit.services import log_action
from brightline.core.csvsafe import CsvCellError, read_records
from brightline.csvio import (
    ERR_CELL,
    ERR_NOT_UTF8,
    ERR_NOT_UTF8_LINE,
    CsvSource,
    NotUtf8Error,
    bulk_upsert,
    text_lines,
)
from brightline.evidence.identities import IdentityResolver
from brightline.evidence.models import (
    Deployment,
    EvidenceItem,
    Incident,
    Page,
    Remediation,
    Service,
    SupportTicket,
)
from brightline.evidence.sources.events.jsonstream import JsonText, JsonTextError
from brightline.evidence.sources.events.mappers import detect_and_map
from brightline.evidence.touched import DEPLOYMENT_INPUTS, INCIDENT_INPUTS, AttributionTouches
from brightline.people.models import Person
from brightline.policy.services import is_source_allowed

TYPES: Final = {"deployment": "deployments", "incident": "incidents", "page": "incidents",
                "support_ticket": "incidents"}
TYPE_ALIASES: Final = {"ticket": "support_ticket", "deploy": "deployment", "release": "deployment"}
STATUS_ALIASES: Final = {"success": "success", "succeeded": "success", "successful": "success", "ok": "success",
                         "failure": "failure", "failed": "failure", "error": "failure",
                         "in_progress": "in_progress", "running": "in_progress", "pending": "in_progress",
                         "cancelled": "cancelled", "canceled": "cancelled"}
KINDS: Final = {"deployment", "rollback", "hotfix"}

ERR_NOT_OBJECT: Final = "a record must be an object with a 'type'"
ERR_TYPE: Final = "unknown type {value!r}; expected deployment, incident, page or support_ticket"
ERR_REQUIRED: Final = "{field} is required"
ERR_TIME: Final = "{field} must be an ISO 8601 time with a UTC offset (e.g. 2026-03-01T14:05:00Z), not {value!r}"
ERR_NAIVE: Final = "{field} has no time zone: {value!r}; add Z or an offset such as +01:00"
ERR_SERVICE: Final = "unknown service {value!r}; add it to the service catalogue first"
ERR_STATUS: Final = "status {value!r} is not one of success, failure, in_progress, cancelled"
ERR_KIND: Final = "kind {value!r} is not one of deployment, rollback, hotfix"
ERR_ORDER: Final = "{later} ({later_value}) is before {earlier} ({earlier_value})"
ERR_NOT_ALLOWED: Final = "the policy does not allow ingesting {key!r} data; this {type} was refused"
ERR_LINK: Final = "linked deployment {value!r} is not known (send the deployment first, or in the same batch)"
ERR_DUPLICATE: Final = "id {value!r} appears twice in this batch"
ERR_FORMAT: Final = "the file is neither JSON nor CSV with a header row: {error}"
ERR_NO_EVENTS: Final = "the file has a header but no events"
ERR_JSON_BROKEN: Final = ("the JSON breaks off or is malformed in element {number}, so nothing after it was read: "
                          "{error}")
ERR_JSON_AFTER: Final = "the JSON is malformed after the last event: {error}"
ERR_JSON_LINE: Final = "the line is not valid JSON: {error}"
JSON_LINES_SUFFIXES: Final = (".jsonl", ".ndjson")
SNIFF: Final = 1 << 12
"""Bytes read at a time to find a file's first character, which tells JSON from CSV."""

BATCH_SIZE: Final = 1000
"""Records checked, spooled and written per statement batch: what the import holds in memory at once."""
MAX_ERRORS: Final = 200
"""Problems listed when a file is refused (all of them are counted)."""
STAGE_PREFIX: Final = "brightline_event_stage_"
"""The names of an import's temporary tables begin so; they go with its transaction."""
PHASES: Final = ("deployment", "remediation", "incident", "page", "support_ticket")
"""The order records are written in, so that links within one file resolve."""


@dataclass(frozen=True)
class EventError:
    record: int
    """1-based record number (for CSV, the data row number; the header is row 0)."""
    reason: str
    line: int | None = None
    """For a CSV file, the line the record ends on (the header is line 1)."""

    def to_json(self) -> dict[str, Any]:
        return {"record": self.record, "reason": self.reason} | ({} if self.line is None else {"line": self.line})


class EventImportError(ValueError):
    def __init__(self, errors: list[EventError], *, total: int | None = None):
        self.total = len(errors) if total is None else total
        super().__init__(f"{self.total} event(s) refused; nothing was written")
        self.errors = errors


class JsonRecord(dict[str, Any]):
    """One JSON Lines record, with the line of the file it was read from."""

    line: int | None = None


class CsvRecord(dict[str, Any]):
    """One CSV data row as an event record, with the (last) line of the file it was read from."""

    line: int | None = None


def _csv_record(values: dict[str, Any], line: int | None) -> CsvRecord:
    record = CsvRecord(values)
    record.line = line
    return record


def _csv_records(header: list[str], records: Iterator[tuple[int, list[str]]]) -> Iterator[CsvRecord]:
    """The data rows as records, read as they are used. A row that cannot be read (a NUL byte, a malformed
    record, an undecodable byte) ends the rows with a record the check refuses, naming its line and column."""
    try:
        for line, values in records:
            if values:
                # As csv.DictReader reads them: a missing trailing value is None, surplus values are dropped.
                yield _csv_record({key: (values[index] if index < len(values) and values[index] != "" else None)
                                   for index, key in enumerate(header) if key}, line)
    except CsvCellError as error:
        column = "the row" if error.column is None else (
            header[error.column] if error.column < len(header) and header[error.column] else
            f"column {error.column + 1}")
        yield _csv_record({"_unreadable": f"{error.where}: " + ERR_CELL.format(column=column, reason=error.reason)},
                          error.line)
    except NotUtf8Error as error:
        yield _csv_record({"_unreadable": ERR_NOT_UTF8_LINE.format(line=error.line, offset=error.offset,
                                                                    column=error.column)}, error.line)


@dataclass
class EventImportResult(AttributionTouches):
    source: str
    deployments: int = 0
    incidents: int = 0
    pages: int = 0
    support_tickets: int = 0
    remediations: int = 0
    created: int = 0
    updated: int = 0
    services: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "deployments": self.deployments, "incidents": self.incidents,
                "pages": self.pages, "support_tickets": self.support_tickets, "remediations": self.remediations,
                "created": self.created, "updated": self.updated, "services": sorted(self.services)}


def parse_event_file(raw: CsvSource) -> tuple[str, Iterable[Any]]:
    """``(source, records)`` from a JSON document (generic, PagerDuty or Opsgenie), JSON Lines or a CSV file.

    ``raw`` is the file's bytes or a binary handle; the records are read as :func:`import_events` uses them, so
    the handle must stay open until then. A CSV file is read record by record, a JSON array of events (also the
    ``events`` array of ``{"events": [...]}``) element by element and JSON Lines (one event object per line: a
    ``.jsonl`` or ``.ndjson`` file, or objects one after another) line by line; a vendor export is one document
    and is read whole. A JSON text that breaks off or goes wrong after the first event ends the records with one
    the check refuses, naming where it broke."""
    handle: IO[bytes] = io.BytesIO(raw) if isinstance(raw, bytes | bytearray) else raw
    if str(getattr(handle, "name", "")).lower().endswith(JSON_LINES_SUFFIXES):
        return "events", _json_lines(JsonText(handle))
    head = b""  # the first bytes, up to the first that is not whitespace, read again by what follows
    while not head.lstrip(b"\xef\xbb\xbf \t\r\n"):
        data = handle.read(SNIFF)
        if not data:
            break
        head += data
    handle = io.BufferedReader(_Prefixed(head, handle))
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in {b"[", b"{"}:
        return _parse_json(JsonText(handle))
    lines = text_lines(handle)
    try:
        records = read_records(lines)
        header = next((fields for _line, fields in records if fields), [])
    except CsvCellError as error:
        raise EventImportError([EventError(0, ERR_FORMAT.format(error=error))]) from None
    except NotUtf8Error as error:
        raise EventImportError([EventError(0, ERR_NOT_UTF8.format(offset=error.offset))]) from None
    if "type" not in header:
        raise EventImportError([EventError(0, ERR_FORMAT.format(error="no 'type' column"))])
    rows = _csv_records(header, records)
    first_row = next(rows, None)
    if first_row is None:
        raise EventImportError([EventError(0, ERR_NO_EVENTS)])
    return "events", chain([first_row], rows)


class _Prefixed(io.RawIOBase):
    """``head`` (bytes already read from ``rest``) and then the rest of ``rest``: one stream, read once."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        super().__init__()
        self.head, self.used, self.rest = head, 0, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.used < len(self.head):
            size = min(len(buffer), len(self.head) - self.used)
            buffer[:size] = self.head[self.used:self.used + size]
            self.used += size
            return size
        data = self.rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _parse_json(text: JsonText) -> tuple[str, Iterable[Any]]:
    """A JSON file at its first ``[`` or ``{``: an array of events, ``{"events": [...]}``, a vendor export, one event
    or JSON Lines (an object followed by more). Malformed JSON before the first event refuses the file."""
    try:
        if text.peek() == "[":
            return "events", _json_elements(text, None)
        line = text.where(text.pos)[0]
        head: dict[str, Any] = {}
        names = text.members(first=True)
        for name in names:
            if name == "events" and text.peek() == "[" and not (
                    isinstance(head.get("incidents"), list) or isinstance(head.get("data"), list)):
                return "events", _json_elements(text, names)  # its other members are read and set aside
            head[name] = text.value(limit=None)  # a vendor export's list is read whole
        if text.peek():  # another value follows the first object: JSON Lines
            return "events", chain([_json_record(head, line)], _json_lines(text))
        return detect_and_map(head)
    except (JsonTextError, ValueError) as error:
        raise EventImportError([EventError(0, ERR_FORMAT.format(error=error))]) from None


def _json_elements(text: JsonText, rest: Iterator[str] | None) -> Iterator[Any]:
    """The events of a JSON array, read as they are used; ``rest``: the names of the enclosing object's members
    after the array (their values are read and set aside). Malformed JSON ends the events with a record the check
    refuses, naming the element (or the end of the events) where it broke."""
    number, done = 0, False
    try:
        for element in text.elements():
            number += 1
            yield element
        done = True
        for _name in rest or ():
            text.value(limit=None)
        text.end()
    except JsonTextError as error:
        reason = ERR_JSON_AFTER if done else ERR_JSON_BROKEN
        yield _csv_record({"_unreadable": reason.format(number=number + 1, error=error)}, None)


def _json_record(values: dict[str, Any], line: int) -> JsonRecord:
    record = JsonRecord(values)
    record.line = line
    return record


def _json_lines(text: JsonText) -> Iterator[Any]:
    """One event object per line, read line by line; a line that is not a JSON object is refused by the check,
    with its line, and the lines after it are still read. An undecodable byte ends the records."""
    decoder = json.JSONDecoder()
    try:
        for line, content in text.lines():
            try:
                value = decoder.decode(content)
            except json.JSONDecodeError as error:
                yield _json_record({"_unreadable": ERR_JSON_LINE.format(error=f"{error.msg} (column {error.colno})")},
                                   line)
                continue
            yield _json_record(value if isinstance(value, dict) else {"_invalid": True}, line)
    except JsonTextError as error:
        yield _csv_record({"_unreadable": str(error)}, error.line)


def _time(record: dict[str, Any], name: str, errors: list[str], *, required: bool) -> datetime | None:
    value = record.get(name)
    if value is None or value == "":
        if required:
            errors.append(ERR_REQUIRED.format(field=name))
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        errors.append(ERR_TIME.format(field=name, value=value))
        return None
    if moment.tzinfo is None:
        errors.append(ERR_NAIVE.format(field=name, value=value))
        return None
    return moment


def _text(record: dict[str, Any], name: str, limit: int = 300) -> str:
    value = record.get(name)
    return "" if value is None else str(value).strip()[:limit]


@dataclass
class _Checked:
    number: int
    type: str
    record: dict[str, Any]
    service: Service
    times: dict[str, datetime | None]


@dataclass(frozen=True)
class _Key:
    """What the checks spanning records need of one record, valid or not: its type, id and linked deployment."""

    type: str
    external_id: str
    link: str


def _check(number: int, raw: Any, services: dict[str, Service], allowed: dict[str, bool],
           ) -> tuple[_Checked | None, list[str], _Key | None]:
    errors: list[str] = []
    if isinstance(raw, dict) and raw.get("_unreadable"):
        return None, [str(raw["_unreadable"])], None
    if not isinstance(raw, dict) or raw.get("_invalid"):
        return None, [ERR_NOT_OBJECT], None
    kind = TYPE_ALIASES.get(str(raw.get("type", "")).strip().lower(), str(raw.get("type", "")).strip().lower())
    if kind not in TYPES:
        return None, [ERR_TYPE.format(value=raw.get("type"))], None
    if not allowed[TYPES[kind]]:
        return None, [ERR_NOT_ALLOWED.format(key=TYPES[kind], type=kind)], None
    external_id = _text(raw, "id")
    if not external_id:
        errors.append(ERR_REQUIRED.format(field="id"))
    key = _Key(kind, external_id, _text(raw, "linked_deployment") if kind == "incident" else "") \
        if external_id else None
    service = services.get(_text(raw, "service"))
    if service is None:
        errors.append(ERR_SERVICE.format(value=raw.get("service")) if raw.get("service")
                      else ERR_REQUIRED.format(field="service"))
    times: dict[str, datetime | None] = {}
    if kind == "deployment":
        times["deployed_at"] = _time(raw, "deployed_at" if raw.get("deployed_at") else "time", errors, required=True)
        status = STATUS_ALIASES.get(_text(raw, "status").lower() or "success")
        if status is None:
            errors.append(ERR_STATUS.format(value=raw.get("status")))
        deploy_kind = _text(raw, "kind").lower() or "deployment"
        if deploy_kind not in KINDS:
            errors.append(ERR_KIND.format(value=raw.get("kind")))
        if not _text(raw, "version") and not _text(raw, "sha"):
            errors.append(ERR_REQUIRED.format(field="version or sha"))
        raw = {**raw, "status": status, "kind": deploy_kind}
    elif kind == "incident":
        times["opened_at"] = _time(raw, "opened_at", errors, required=True)
        times["resolved_at"] = _time(raw, "resolved_at", errors, required=False)
    elif kind == "page":
        times["paged_at"] = _time(raw, "paged_at" if raw.get("paged_at") else "time", errors, required=True)
        times["acknowledged_at"] = _time(raw, "acknowledged_at", errors, required=False)
        times["resolved_at"] = _time(raw, "resolved_at", errors, required=False)
    else:
        times["opened_at"] = _time(raw, "opened_at", errors, required=True)
        times["resolved_at"] = _time(raw, "resolved_at", errors, required=False)
    opened = times.get("opened_at") or times.get("paged_at")
    resolved = times.get("resolved_at")
    if opened and resolved and resolved < opened:
        errors.append(ERR_ORDER.format(later="resolved_at", later_value=raw.get("resolved_at"),
                                       earlier="opened_at", earlier_value=raw.get("opened_at") or raw.get("paged_at")))
    if errors or service is None:
        return None, errors, key
    return _Checked(number=number, type=kind, record=raw, service=service, times=times), [], key


def _deployments_by_external_id(external_ids: set[str], source: str) -> dict[str, int]:
    """Deployment ids by external id: this source's deployment, else the first stored from any source."""
    own: dict[str, int] = {}
    first: dict[str, int] = {}
    wanted = sorted(external_ids)
    for start in range(0, len(wanted), 500):
        for external_id, deployment_source, pk in Deployment.objects.filter(
                external_id__in=wanted[start:start + 500]).order_by("id").values_list("external_id", "source", "pk"):
            first.setdefault(external_id, pk)
            if deployment_source == source:
                own.setdefault(external_id, pk)
    return {**first, **own}


Progress = Callable[[str, int, int | None], None]
"""``(stage, done, total)``: ``checking`` as records are read (no total), then ``writing``."""


class _Stage:
    """The checked records of one import, spooled to a temporary table of the import's transaction.

    Every record with a type and an id gets a row (for the checks that span records); a valid record's row
    also holds what writing it needs (``data``, JSON). The table goes with the transaction.
    """

    def __init__(self) -> None:
        self.table = f"{STAGE_PREFIX}{uuid.uuid4().hex[:12]}"
        self.pending: list[tuple[Any, ...]] = []
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {self.table} (number integer NOT NULL, line integer, "
                           "kind varchar(20) NOT NULL, external_id text NOT NULL, link text NOT NULL, "
                           "remedy boolean NOT NULL, service_id integer, data text)")
            cursor.execute(f"CREATE INDEX {self.table}_key ON {self.table} (kind, external_id)")
            cursor.execute(f"CREATE INDEX {self.table}_order ON {self.table} (kind, number)")

    def add(self, number: int, line: int | None, key: _Key, item: _Checked | None) -> None:
        data = None if item is None else json.dumps(
            {"record": item.record, "times": {name: None if moment is None else moment.isoformat()
                                              for name, moment in item.times.items()}}, default=str)
        remedy = item is not None and item.type == "deployment" and item.record["kind"] in {"rollback", "hotfix"}
        self.pending.append((number, line, key.type, key.external_id, key.link, remedy,
                             None if item is None else item.service.pk, data))
        if len(self.pending) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {self.table} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", self.pending)
            self.pending = []

    def problems(self, *, read_to_the_end: bool) -> tuple[list[EventError], int]:
        """The checks spanning records: an id sent twice, an incident linked to a deployment neither in the
        file nor stored (when the whole file could be read). The first ``MAX_ERRORS`` problems and how many
        there are."""
        self.flush()
        # Written so that both SQLite and PostgreSQL read each table once: the ids sent twice by grouping, and
        # the stored deployments the links name copied first (the stored ids are indexed with their source).
        twice = (f"FROM {self.table} s JOIN (SELECT kind, external_id, MIN(number) AS first FROM {self.table} "
                 "GROUP BY kind, external_id HAVING COUNT(*) > 1) f ON f.kind = s.kind AND "
                 "f.external_id = s.external_id AND s.number > f.first")
        unknown = (f"FROM {self.table} s WHERE s.kind = 'incident' AND s.link <> '' AND NOT EXISTS (SELECT 1 FROM "
                   f"{self.table} d WHERE d.kind = 'deployment' AND d.external_id = s.link) AND NOT EXISTS "
                   f"(SELECT 1 FROM {self.table}_known k WHERE k.external_id = s.link)")
        if read_to_the_end:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE TEMPORARY TABLE {self.table}_known (external_id text PRIMARY KEY)")
                cursor.execute(f"INSERT INTO {self.table}_known SELECT DISTINCT external_id FROM "
                               f"{Deployment._meta.db_table} WHERE external_id IN (SELECT link FROM {self.table} "
                               "WHERE kind = 'incident' AND link <> '')")
        errors: list[EventError] = []
        total = 0
        with connection.cursor() as cursor:
            checks = [(twice, "external_id", ERR_DUPLICATE)]
            checks += [(unknown, "link", ERR_LINK)] if read_to_the_end else []
            for condition, column, message in checks:
                cursor.execute(f"SELECT COUNT(*) {condition}")
                total += cursor.fetchone()[0]
                cursor.execute(f"SELECT s.number, s.line, s.{column} {condition} ORDER BY s.number "
                               f"LIMIT {MAX_ERRORS}")
                errors.extend(EventError(number, message.format(value=value), line)
                              for number, line, value in cursor.fetchall())
        return errors, total

    def batches(self, phase: str, services: dict[int, Service]) -> Iterator[list[_Checked]]:
        """The valid records of one phase, in file order, ``BATCH_SIZE`` at a time."""
        kind, remedy = ("deployment", " AND remedy") if phase == "remediation" else (phase, "")
        last = 0
        with connection.cursor() as cursor:
            while True:
                cursor.execute(f"SELECT number, service_id, data FROM {self.table} WHERE kind = %s AND number > %s "
                               f"AND data IS NOT NULL{remedy} ORDER BY number LIMIT {BATCH_SIZE}", [kind, last])
                rows = cursor.fetchall()
                if not rows:
                    return
                batch = []
                for number, service_id, data in rows:
                    stored = json.loads(data)
                    times = {name: None if value is None else datetime.fromisoformat(value)
                             for name, value in stored["times"].items()}
                    batch.append(_Checked(number=number, type=kind, record=stored["record"],
                                          service=services[service_id], times=times))
                yield batch
                last = rows[-1][0]

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {self.table}")
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}_known")


def import_events(records: Iterable[Any], *, source: str = "events", actor: Person | None = None,
                  actor_label: str | None = None, dry_run: bool = False,
                  on_progress: Progress | None = None) -> EventImportResult:
    """Check every record, then apply all of them in one transaction (or none: :class:`EventImportError`).

    ``records`` is read once, as it goes (a CSV file from :func:`parse_event_file` is never whole in memory).
    """
    services = {service.name: service for service in Service.objects.select_related("team")}
    by_pk = {service.pk: service for service in services.values()}
    allowed = {key: is_source_allowed(key) for key in set(TYPES.values())}  # read once, not once per record
    report = on_progress or (lambda _stage, _done, _total: None)
    result = EventImportResult(source=source)
    errors: list[EventError] = []
    refused = 0
    with transaction.atomic():
        stage = _Stage()
        number, unreadable = 0, False
        for number, raw in enumerate(records, start=1):
            unreadable = isinstance(raw, CsvRecord) and "_unreadable" in raw  # the last one read, if any
            line = getattr(raw, "line", None)
            item, problems, key = _check(number, raw, services, allowed)
            refused += len(problems)
            errors.extend(EventError(number, problem, line) for problem in problems[:MAX_ERRORS - len(errors)])
            if key is not None:
                stage.add(number, line, key, item)
            if item is not None:
                setattr(result, _counter(item.type), getattr(result, _counter(item.type)) + 1)
                result.services.add(item.service.name)
            if number % BATCH_SIZE == 0:
                report("checking", number, None)
        report("checking", number, number)
        spanning, spanning_total = stage.problems(read_to_the_end=not unreadable)
        if errors or spanning:
            raise EventImportError(sorted(errors + spanning, key=lambda error: error.record)[:MAX_ERRORS],
                                   total=refused + spanning_total)
        if dry_run:  # say what writing would do: a record whose (source, id) is stored would be updated
            for phase, model in (("deployment", Deployment), ("incident", Incident), ("page", Page),
                                 ("support_ticket", SupportTicket)):
                for batch in stage.batches(phase, by_pk):
                    ids = [_text(item.record, "id") for item in batch]
                    stored = model.objects.filter(source=source, external_id__in=ids).count()
                    result.created += len(ids) - stored
                    result.updated += stored
            stage.drop()
            return result
        total = result.deployments + result.incidents + result.pages + result.support_tickets
        resolver = IdentityResolver(source=source)
        written = 0
        for phase in PHASES:
            for batch in stage.batches(phase, by_pk):
                _apply_batch(phase, batch, source, resolver, result)
                resolver.queue_unmatched()  # what is queued stays bounded by one batch
                result.flush()  # and so is what attribution will look at again (to its temporary table)
                if phase != "remediation":
                    written += len(batch)
                    report("writing", written, total)
        stage.drop()
        from brightline.evidence.deployment_rule import drop_tag_deployments
        from brightline.evidence.metrics import update_touched_incident_attribution

        # The deployments of this file are their services' deployments: release tags stop being counted as such.
        drop_tag_deployments([service for service in services.values() if service.name in result.services],
                             touches=result)
        update_touched_incident_attribution(result)
        log_action("evidence.events.imported", actor, None, result.to_json(), actor_label=actor_label)
    return result


def _counter(kind: str) -> str:
    return {"deployment": "deployments", "incident": "incidents", "page": "pages",
            "support_ticket": "support_tickets"}[kind]


def _person(resolver: IdentityResolver, value: str) -> int | None:
    if not value:
        return None
    return resolver.resolve_handle("email" if "@" in value else "name", value)


# What incident attribution reads of a deployment (the first three, with its id, say where it can matter) and
# of an incident.
def _attribution_inputs(model: Any, source: str, rows: dict[str, Any], names: tuple[str, ...]
                        ) -> dict[str, tuple[Any, ...]]:
    """``{external id: values of names}`` of the stored rows of this batch, before it is written."""
    return {row[0]: tuple(row[1:]) for row in model.objects.filter(source=source, external_id__in=list(rows))
            .values_list("external_id", *names)}


def _apply_batch(phase: str, items: list[_Checked], source: str, resolver: IdentityResolver,
                 result: EventImportResult) -> None:
    """Upsert one batch of checked records of one phase by ``(source, id)`` in a few statements. The phases run
    in :data:`PHASES` order: deployments, the remediations that rollbacks and hotfixes are (once every deployment
    of the file is stored), incidents with the evidence of who handled them, pages and support tickets, so that
    links within the file resolve."""

    def upsert(model: Any, rows: dict[str, dict[str, Any]], *, key_field: str = "external_id",
               count: bool = True) -> dict[str, Any]:
        found, created, _changed = bulk_upsert(model, match={"source": source}, key_field=key_field, rows=rows)
        if count:
            result.created += created
            result.updated += len(rows) - created
        return found

    if phase == "deployment":
        rows = {_text(item.record, "id"): {
            "service_id": item.service.pk, "environment": _text(item.record, "environment", 100) or "production",
            "version": _text(item.record, "version", 200), "sha": _text(item.record, "sha", 64),
            "status": item.record["status"], "deployed_at": item.times["deployed_at"],
            "url": _text(item.record, "url", 500)} for item in items}
        before = _attribution_inputs(Deployment, source, rows, DEPLOYMENT_INPUTS)
        for key, deployment in upsert(Deployment, rows).items():
            result.touch_deployment(deployment.pk, before.get(key),
                                    tuple(getattr(deployment, name) for name in DEPLOYMENT_INPUTS))
    elif phase == "remediation":
        linked = _deployments_by_external_id({_text(item.record, "fixes") for item in items} - {""}, source)
        own = dict(Deployment.objects.filter(source=source, external_id__in=[_text(item.record, "id")
                                                                             for item in items])
                   .values_list("external_id", "pk"))
        upsert(Remediation, {_text(item.record, "id"): {
            "service_id": item.service.pk, "kind": item.record["kind"], "occurred_at": item.times["deployed_at"],
            "failed_deployment_id": linked.get(_text(item.record, "fixes")),
            "remediation_deployment_id": own[_text(item.record, "id")]} for item in items}, count=False)
        result.remediations += len(items)
    elif phase == "incident":
        linked = _deployments_by_external_id({_text(item.record, "linked_deployment") for item in items} - {""},
                                             source)
        handlers = {_text(item.record, "id"): _person(resolver, _text(item.record, "handled_by")) for item in items}
        rows = {_text(item.record, "id"): {
            "service_id": item.service.pk, "title": _text(item.record, "title"),
            "severity": _text(item.record, "severity", 32), "opened_at": item.times["opened_at"],
            "resolved_at": item.times["resolved_at"],
            "linked_deployment_id": linked.get(_text(item.record, "linked_deployment")),
            "root_cause_sha": _text(item.record, "root_cause_sha", 64),
            "handled_by_id": handlers[_text(item.record, "id")], "url": _text(item.record, "url", 500)}
            for item in items}
        before = _attribution_inputs(Incident, source, rows, INCIDENT_INPUTS)
        incidents = upsert(Incident, rows)
        moved = [key for key, incident in incidents.items()
                 if before.get(key) != tuple(getattr(incident, name) for name in INCIDENT_INPUTS)]
        if moved:
            result.touch(incidents=Incident.objects.filter(source=source, external_id__in=moved)
                         .values_list("pk", flat=True))
        evidence = {}
        for item in items:
            external_id = _text(item.record, "id")
            incident = incidents[external_id]
            if handlers[external_id] is not None:
                evidence[f"incident:{external_id}"] = {
                    "kind": EvidenceItem.Kind.INCIDENT_HANDLED,
                    "title": f"Handled incident: {incident.title or external_id}"[:300],
                    "summary": f"Severity {incident.severity or 'unknown'} on {item.service.name}.",
                    "occurred_at": item.times["opened_at"], "person_id": handlers[external_id],
                    "team_id": item.service.team_id, "service": item.service.name, "url": incident.url}
        upsert(EvidenceItem, evidence, key_field="source_ref", count=False)
    elif phase == "page":
        paged = {_text(item.record, "incident") for item in items} - {""}
        incident_ids = dict(Incident.objects.filter(source=source, external_id__in=paged)
                            .values_list("external_id", "pk"))
        upsert(Page, {_text(item.record, "id"): {
            "service_id": item.service.pk, "responder": _text(item.record, "person"),
            "person_id": _person(resolver, _text(item.record, "person")), "paged_at": item.times["paged_at"],
            "acknowledged_at": item.times["acknowledged_at"], "resolved_at": item.times["resolved_at"],
            "urgency": _text(item.record, "urgency", 32),
            "incident_id": incident_ids.get(_text(item.record, "incident"))} for item in items})
    else:
        upsert(SupportTicket, {_text(item.record, "id"): {
            "service_id": item.service.pk, "title": _text(item.record, "title"),
            "priority": _text(item.record, "priority", 32), "opened_at": item.times["opened_at"],
            "resolved_at": item.times["resolved_at"], "handler": _text(item.record, "handled_by"),
            "handled_by_id": _person(resolver, _text(item.record, "handled_by"))} for item in items})
