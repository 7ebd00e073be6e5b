"""CSV in and out for every app: the safe writer and the shared import frame.

Below the apps: this module imports no Brightline app (only ``brightline.core``, ``brightline.commands``
and Django's command classes), so any app may use it.

Writing: every CSV the product hands out goes through :func:`writer` or :func:`dict_writer`, which
neutralise spreadsheet formulas (a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading ``'``; numbers stay numbers, see :mod:`brightline.core.csvsafe`).

Reading: the imports (people, demographics, HRIS events, surveys, time off) decode as UTF-8 (a
byte-order mark is dropped), read a header, report every bad row with its line, and write nothing on
error. A NUL byte, a field longer than the column allows (``max_lengths``, usually the model field's
``max_length``) or a malformed record is reported with its line and column, and a file whose header
has none of the expected columns is refused without quoting it: it is probably not the file meant.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from brightline.commands import write_json
from brightline.core.csvsafe import CsvCellError, SafeDictWriter, SafeWriter, neutralise, read_records

ERR_NOT_UTF8 = "the file is not UTF-8 text (undecodable byte at offset {offset}); export it as UTF-8 CSV"
ERR_NOT_UTF8_LINE = ("the file is not UTF-8 text from line {line}, column {column} (undecodable byte at offset "
                     "{offset}); export it as UTF-8 CSV")
ERR_EMPTY = "the file is empty: expected a header row with {columns}"
ERR_NO_ROWS = "the file has a header but no rows"
ERR_MISSING_COLUMNS = "missing column(s): {missing}; the header has: {found}"
ERR_NOT_EXPECTED_CSV = "the file is not a CSV with the expected header ({columns})"
ERR_UNKNOWN_COLUMNS = "unknown column(s): {columns}; the columns are {known}"
ERR_WRONG_FIELDS = "this row has {found} fields where the header has {expected}"
ERR_TOO_LONG = "{column} is {length:,} characters long; at most {limit:,} are allowed"
ERR_CELL = "{column} {reason}"
ERR_NO_FILE = "no such file: {path}"

__all__ = ["CsvImportError", "CsvRow", "CsvSource", "NotUtf8Error", "RowError", "bulk_upsert", "check_columns",
           "describe_import", "dict_writer", "max_lengths_of", "neutralise", "raise_if_refused", "read_csv_rows",
           "run_import", "text_lines", "writer"]

# What the imports read: the file's bytes (an upload, a test) or a binary handle read as it goes (the CLI).
CsvSource = bytes | BinaryIO | IO[bytes]
_LINE_END = re.compile(r"(?<=\r)(?!\n)|(?<=\n)")


class NotUtf8Error(Exception):
    """An undecodable byte, met while reading: its ``line``, byte ``offset`` and ``column`` (1-based)."""

    def __init__(self, line: int, offset: int, column: int):
        super().__init__(line, offset, column)
        self.line, self.offset, self.column = line, offset, column


def text_lines(source: CsvSource) -> Iterator[str]:
    """The decoded lines of ``source``, ends kept as ``open(newline="")`` keeps them, read as they are used.

    A file is never held whole in memory: it is read one line at a time (a byte-order mark is dropped).
    An undecodable byte raises :class:`NotUtf8Error` with its line and byte offset when reading reaches it.
    """
    handle: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    offset, line = 0, 1
    for chunk in handle:  # binary lines end at b"\n", which is never inside a UTF-8 sequence
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as error:
            good = chunk[:error.start].decode("utf-8", "replace").lstrip("\ufeff")
            raise NotUtf8Error(line, offset + error.start, len(good) + 1) from None
        offset += len(chunk)
        for piece in _LINE_END.split(text):
            if piece:
                yield piece
                line += piece.endswith(("\n", "\r"))
    try:
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise NotUtf8Error(line, offset + error.start, 1) from None
    if tail:
        yield tail



def writer(handle: IO[str], **options: Any) -> SafeWriter:
    """A ``csv.writer`` for data going out of Brightline: formulas are neutralised."""
    return SafeWriter(handle, **options)


def dict_writer(handle: IO[str], fieldnames: Sequence[str], **options: Any) -> SafeDictWriter:
    """A ``csv.DictWriter`` for data going out of Brightline: formulas are neutralised."""
    return SafeDictWriter(handle, fieldnames, **options)


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


class CsvImportError(Exception):
    """The file could not be imported; ``errors`` lists every problem. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the file; nothing was imported")
        self.errors = errors


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]


def max_lengths_of(model: Any, columns: Mapping[str, str]) -> dict[str, int]:
    """``{column: max_length}`` of the model fields the columns are stored in (``{column: field name}``)."""
    limits: dict[str, int] = {}
    for column, field_name in columns.items():
        limit = model._meta.get_field(field_name).max_length
        if limit:
            limits[column] = int(limit)
    return limits


def read_csv_rows(raw: CsvSource, *, expected: str, max_lengths: Mapping[str, int] | None = None,
                  ) -> tuple[list[str], Iterator[CsvRow | RowError]]:
    """Decode ``raw`` (bytes or a binary file handle, read as the rows are used) and return the header
    (lower-cased, stripped) and its rows, values stripped.

    A row whose field count differs from the header, or with a value longer than ``max_lengths``
    allows for its column, comes back as a ``RowError``; blank lines are skipped. A NUL byte, an
    over-long field, a malformed record or an undecodable byte ends the rows with a ``RowError``
    naming line and column. ``expected`` describes the header for the empty-file message.
    """
    lines = text_lines(raw)
    leading: list[str] = []
    try:
        for text in lines:  # blank lines before the header; a file of nothing else is empty
            leading.append(text)
            if text.strip():
                break
    except NotUtf8Error as error:
        raise CsvImportError([RowError(0, ERR_NOT_UTF8.format(offset=error.offset))]) from None
    if not any(text.strip() for text in leading):
        raise CsvImportError([RowError(0, ERR_EMPTY.format(columns=expected))])

    def all_lines() -> Iterator[str]:
        yield from leading
        yield from lines

    records = read_records(all_lines())
    try:
        _, first = next(records)
    except CsvCellError as error:
        # The header line is not quoted back: the file may not be a CSV at all.
        raise CsvImportError([RowError(error.line, ERR_NOT_EXPECTED_CSV.format(columns=expected))]) from None
    except NotUtf8Error as error:
        raise CsvImportError([RowError(0, ERR_NOT_UTF8.format(offset=error.offset))]) from None
    header = [column.strip().lower() for column in first]
    limits = dict(max_lengths or {})

    def column_name(index: int | None) -> str:
        if index is None:
            return "the row"
        return header[index] if index < len(header) and header[index] else f"column {index + 1}"

    def rows() -> Iterator[CsvRow | RowError]:
        try:
            for line, values in records:
                if not any(value.strip() for value in values):
                    continue
                if len(values) != len(header):
                    yield RowError(line, ERR_WRONG_FIELDS.format(found=len(values), expected=len(header)))
                    continue
                record = {column: value.strip() for column, value in zip(header, values, strict=True)}
                too_long = [RowError(line, ERR_TOO_LONG.format(column=column, length=len(value), limit=limits[column]))
                            for column, value in record.items() if column in limits and len(value) > limits[column]]
                if too_long:
                    yield from too_long
                    continue
                yield CsvRow(line, record)
        except CsvCellError as error:
            yield RowError(error.line, ERR_CELL.format(column=column_name(error.column), reason=error.reason))
        except NotUtf8Error as error:
            yield RowError(error.line, ERR_NOT_UTF8_LINE.format(line=error.line, offset=error.offset,
                                                                column=error.column))

    return header, rows()


def bulk_upsert(model: Any, *, match: Mapping[str, Any], key_field: str, rows: Mapping[str, Mapping[str, Any]],
                batch_size: int = 500) -> tuple[dict[str, Any], int, int]:
    """Create or update the rows of ``model`` that match ``match`` and whose ``key_field`` is a key of ``rows``
    (``{key: {attname: value}}``), in a few statements inside the caller's transaction.

    What ``update_or_create(**match, key_field=key, defaults=values)`` does row by row, except that a stored
    row that already has these values is not written again, and no ``save()`` or signal runs. Returns
    ``({key: instance}, created, changed)``."""
    keys = list(rows)
    found: dict[str, Any] = {}
    for start in range(0, len(keys), batch_size):
        found.update((getattr(row, key_field), row) for row in
                     model.objects.filter(**match, **{f"{key_field}__in": keys[start:start + batch_size]}))
    fresh, changed, fields = [], [], set()
    for key, values in rows.items():
        row = found.get(key)
        if row is None:
            found[key] = row = model(**match, **{key_field: key}, **values)
            fresh.append(row)
            continue
        differing = [name for name, value in values.items() if getattr(row, name) != value]
        for name in differing:
            setattr(row, name, values[name])
        if differing:
            changed.append(row)
            fields.update(differing)
    model.objects.bulk_create(fresh, batch_size=batch_size)
    if changed:
        model.objects.bulk_update(changed, sorted(fields), batch_size=batch_size)
    return found, len(fresh), len(changed)


def check_columns(header: list[str], *, required: tuple[str, ...], optional: tuple[str, ...] | None) -> None:
    """Refuse a header that lacks a required column or has one outside ``required + optional`` (line 1).

    ``optional=None`` accepts any further column. A header with none of the required columns is
    refused without being quoted: it is most likely some other file.
    """
    missing = [column for column in required if column not in header]
    if missing and len(missing) == len(required):
        raise CsvImportError([RowError(1, ERR_NOT_EXPECTED_CSV.format(columns=", ".join(required)))])
    if missing:
        raise CsvImportError([RowError(1, ERR_MISSING_COLUMNS.format(missing=", ".join(missing),
                                                                    found=", ".join(header)))])
    if optional is None:
        return
    unknown = [column for column in header if column not in required + optional]
    if unknown:
        raise CsvImportError([RowError(1, ERR_UNKNOWN_COLUMNS.format(columns=", ".join(unknown),
                                                                    known=", ".join(required + optional)))])


def raise_if_refused(errors: list[RowError], *, any_rows: bool, noun: str) -> None:
    """Raise every problem, in line order; a file with a header and no ``noun`` is refused too."""
    if not any_rows and not errors:
        raise CsvImportError([RowError(1, f"the file has a header but no {noun}")])
    if errors:
        raise CsvImportError(sorted(errors, key=lambda error: error.line))


def describe_import(result: Any, noun: str) -> str:
    """One line for a finished import: the result's own wording when it has one (surveys count rounds)."""
    if hasattr(result, "describe"):
        return str(result.describe())
    verb = "Would import" if result.dry_run else "Imported"
    return (f"{verb} {result.rows} {noun}: {result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged" + (f", {result.removed} withdrawn" if hasattr(result, "removed") else "")
            + ".")


def report_refusal(errors: list[RowError], *, path: Path, options: dict[str, Any], command: BaseCommand) -> None:
    """Print a refused import: every problem with its line (stderr), or the JSON document."""
    if options["json"]:
        write_json(command, {"dry_run": options["dry_run"], "errors": [e.to_json() for e in errors]})
        return
    for row_error in errors:
        where = f"line {row_error.line}" if row_error.line else "file"
        command.stderr.write(f"{path}: {where}: {row_error.reason}")
    command.stderr.write(f"{len(errors)} problem(s); nothing was imported.")


def run_import(options: dict[str, Any], command: BaseCommand, importer: Callable[..., Any], noun: str, *,
               actor_label: str) -> int:
    """The ``brightline import …`` runner shared by the CSV imports: file check, per-line errors, ``--json``."""
    path: Path = options["file"]
    if not path.is_file():
        raise CommandError(ERR_NO_FILE.format(path=path))
    try:
        with path.open("rb") as handle:  # read as the rows are checked, never whole into memory
            result = importer(handle, actor=None, actor_label=actor_label, dry_run=options["dry_run"])
    except CsvImportError as error:
        report_refusal(error.errors, path=path, options=options, command=command)
        return 1
    if options["json"]:
        write_json(command, result.to_json())
    else:
        command.stdout.write(describe_import(result, noun))
    return 0


def add_import_arguments(parser: CommandParser) -> None:
    """The arguments every ``brightline import <kind>`` of a CSV file takes."""
    parser.add_argument("file", type=Path, help="CSV file")
    parser.add_argument("--dry-run", action="store_true", help="validate and report changes; write nothing")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
