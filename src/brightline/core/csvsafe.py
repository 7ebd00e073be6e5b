"""Safe CSV cells: a writer that cannot emit a spreadsheet formula, a reader that refuses bad cells.

Pure standard library, so the core's own CSV commands (``nlp classify --output``, outcome audits)
use it; the apps reach it through :mod:`brightline.csvio`, which adds the import frame.

Writing (the OWASP "CSV injection" rule): a text cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is written with a leading single quote, so a spreadsheet shows it as
text instead of evaluating it. Two kinds of cell are left alone because no spreadsheet can read a
formula from them: Python numbers (``int``, ``float``, ``Decimal``; ``-3`` is written ``-3``) and
text that is exactly a decimal number (``"-3"``, ``"+1.5"``, ``"-2e3"``), so negative values stay
numeric when the file is opened.

Reading: :func:`read_records` yields each record with its line; a NUL byte, a field longer than the
``csv`` module's limit or a malformed quote raises :class:`CsvCellError` naming the line and the
(0-based) column instead of a ``_csv.Error``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

__all__ = ["FORMULA_PREFIXES", "CsvCellError", "SafeDictWriter", "SafeWriter", "neutralise", "read_records"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

ERR_NUL = "contains a NUL byte"
ERR_TOO_LONG = "is longer than {limit:,} characters"
ERR_MALFORMED = "is not valid CSV ({detail})"


def neutralise(value: Any) -> Any:
    """``value`` as a cell that a spreadsheet shows as written (see the module docstring)."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """``csv.writer`` whose cells pass through :func:`neutralise`."""

    def __init__(self, handle: IO[str], **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """``csv.DictWriter`` whose header and cells pass through :func:`neutralise`."""

    def __init__(self, handle: IO[str], fieldnames: Sequence[str], **options: Any) -> None:
        self._fieldnames = list(fieldnames)
        self._writer = SafeWriter(handle, **options)

    def writeheader(self) -> Any:
        return self._writer.writerow(self._fieldnames)

    def writerow(self, row: dict[str, Any]) -> Any:
        unknown = [key for key in row if key not in self._fieldnames]
        if unknown:
            raise ValueError(f"dict contains fields not in fieldnames: {', '.join(map(repr, unknown))}")
        return self._writer.writerow([row.get(name, "") for name in self._fieldnames])

    def writerows(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


class CsvCellError(ValueError):
    """A record that cannot be read safely: ``line`` (1-based), ``column`` (0-based, or None) and why."""

    def __init__(self, line: int, column: int | None, reason: str) -> None:
        where = f"line {line}" + (f", column {column + 1}" if column is not None else "")
        super().__init__(f"{where}: the field {reason}" if column is not None else f"{where}: {reason}")
        self.line = line
        self.column = column
        self.reason = reason
        self.where = where
        """Where the record is, as the message says it: "line 2, column 3"."""


def read_records(lines: Iterable[str], **options: Any) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record of ``lines`` (opened with ``newline=""``) as ``(last physical line, fields)``.

    Raises :class:`CsvCellError` at the first NUL byte, over-long field (longer than
    ``csv.field_size_limit()``) or malformed record; the records before it were yielded.
    """
    pending: list[str] = []

    def remembered() -> Iterator[str]:
        for line in lines:
            pending.append(line)
            yield line

    reader = csv.reader(remembered(), **options)
    while True:
        pending.clear()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            limit = csv.field_size_limit()
            if "field larger than field limit" in str(error):
                raise CsvCellError(reader.line_num, _column_past(pending, limit),
                                   ERR_TOO_LONG.format(limit=limit)) from None
            raise CsvCellError(reader.line_num, None, ERR_MALFORMED.format(detail=error)) from None
        for column, value in enumerate(fields):
            if "\x00" in value:
                raise CsvCellError(reader.line_num, column, ERR_NUL)
        yield reader.line_num, fields


def _column_past(lines: list[str], limit: int, delimiter: str = ",", quote: str = '"') -> int | None:
    """The 0-based column of the first field longer than ``limit`` in a record's raw text."""
    column, length, quoted = 0, 0, False
    text = "".join(lines)
    index = 0
    while index < len(text):
        char = text[index]
        if quoted:
            if char == quote:
                if text[index + 1:index + 2] == quote:
                    length += 1
                    index += 1
                else:
                    quoted = False
            else:
                length += 1
        elif char == quote:
            quoted = True
        elif char == delimiter:
            column, length = column + 1, 0
        elif char in "\r\n":
            return None
        else:
            length += 1
        if length > limit:
            return column
        index += 1
    return None
