"""Small CSV helpers shared by this app's imports (demographics, HRIS events, survey answers).

They follow the people import (``brightline.people.importer``): decode as UTF-8 (a byte-order
mark is dropped), read a header, report every bad row with its line, write nothing on error.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from brightline.people.importer import ERR_MISSING_COLUMNS, ERR_NOT_UTF8, ERR_WRONG_FIELDS, RowError

ERR_EMPTY = "the file is empty: expected a header row with {columns}"
ERR_NO_ROWS = "the file has a header but no rows"
ERR_UNKNOWN_COLUMNS = "unknown column(s): {columns}; the columns are {known}"

__all__ = ["CsvImportError", "CsvRow", "RowError", "check_columns", "describe_import", "raise_if_refused",
           "read_csv_rows"]


class CsvImportError(Exception):
    """The file could not be imported; ``errors`` lists every problem. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s) in the file; nothing was imported")
        self.errors = errors


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]


def read_csv_rows(raw: bytes, *, expected: str) -> tuple[list[str], Iterator[CsvRow | RowError]]:
    """Decode ``raw`` and return the header (lower-cased, stripped) and its rows, values stripped.

    A row whose field count differs from the header comes back as a ``RowError``; blank lines
    are skipped. ``expected`` describes the header for the empty-file message.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvImportError([RowError(0, ERR_NOT_UTF8.format(offset=error.start))]) from None
    if not text.strip():
        raise CsvImportError([RowError(0, ERR_EMPTY.format(columns=expected))])
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [column.strip().lower() for column in next(reader)]

    def rows() -> Iterator[CsvRow | RowError]:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                yield RowError(reader.line_num, ERR_WRONG_FIELDS.format(found=len(values), expected=len(header)))
                continue
            yield CsvRow(reader.line_num, {column: value.strip() for column, value in zip(header, values, strict=True)})

    return header, rows()


def check_columns(header: list[str], *, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    """Refuse a header that lacks a required column or has one outside ``required + optional`` (line 1)."""
    missing = [column for column in required if column not in header]
    if missing:
        raise CsvImportError([RowError(1, ERR_MISSING_COLUMNS.format(missing=", ".join(missing),
                                                                    found=", ".join(header)))])
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
