"""Read a decision table from CSV and audit it.

Every field is read as the exact string in the file (the ``csv`` module; no type
inference, no stripping), so ``"M "`` and ``"M"`` are different groups and ``"01"`` stays
``"01"``. A UTF-8 byte-order mark at the start of the file is dropped (spreadsheet exports
often carry one; it would otherwise become part of the first column's name).
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterator, Sequence
from os import PathLike
from pathlib import Path

from brightline.core.csvsafe import CsvCellError, read_records
from brightline.core.fairness.errors import (
    DUPLICATE_COLUMN,
    EMPTY_FILE,
    HEADER_ONLY,
    MISSING_COLUMN,
    NOT_EXPECTED_CSV,
    NOT_UTF8,
    RAGGED_ROW,
    UNSAFE_FIELD,
    FairnessInputError,
    check_min_cohort,
    format_values,
)
from brightline.core.fairness.outcomes import (
    DEFAULT_MIN_COHORT,
    NOT_DISCLOSED,
    OutcomeAudit,
    _audit_rows,
)

__all__ = ["audit_outcomes_csv", "read_decision_rows"]


def audit_outcomes_csv(
    path: str | PathLike[str],
    *,
    outcome_column: str,
    favourable: str | Collection[str],
    group_columns: str | Sequence[str],
    min_cohort: int = DEFAULT_MIN_COHORT,
    not_disclosed_label: str = NOT_DISCLOSED,
) -> OutcomeAudit:
    """Audit a CSV decision table (header row, then one row per decision).

    Same options and results as :func:`~brightline.core.fairness.audit_outcomes`; an
    empty cell in a group column is ``not_disclosed_label``. Raises
    :class:`FairnessInputError` with ``EMPTY_FILE``, ``HEADER_ONLY``, ``NOT_UTF8``,
    ``MISSING_COLUMN`` (naming the column and listing the header), ``DUPLICATE_COLUMN``,
    ``RAGGED_ROW`` or ``FAVOURABLE_VALUE_ABSENT`` (listing the values seen).
    """
    check_min_cohort(min_cohort)
    columns = (group_columns,) if isinstance(group_columns, str) else tuple(group_columns)
    header, rows = read_decision_rows(path)
    if not any(column in header for column in (outcome_column, *columns)):
        # Not quoted back: a file with none of the named columns may be some other file altogether.
        raise FairnessInputError(NOT_EXPECTED_CSV.format(source=str(path),
                                                         columns=format_values((outcome_column, *columns))))
    for column in (outcome_column, *columns):
        if column not in header:
            raise FairnessInputError(
                MISSING_COLUMN.format(column=column, source=str(path), available=format_values(header))
            )
    return _audit_rows(
        rows,
        outcome_column=outcome_column,
        favourable=favourable,
        group_columns=columns,
        min_cohort=min_cohort,
        not_disclosed_label=not_disclosed_label,
        source=str(path),
    )


def read_decision_rows(path: str | PathLike[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Read a CSV file into ``(header, rows)``, every value an exact string.

    Raises :class:`FairnessInputError` for an empty file, a header without rows, a file
    that is not UTF-8, a repeated column name or a row whose field count differs from
    the header. Blank lines are skipped; a file of blank lines counts as empty.
    """
    file_path = Path(path)
    try:
        text = file_path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FairnessInputError(NOT_UTF8.format(path=path, offset=error.start)) from error
    # newline="" hands line endings to the csv module, which keeps quoted newlines intact.
    records = _safe(read_records(io.StringIO(text, newline="")), path)
    header = next((fields for _line, fields in records if fields), None)
    if header is None:
        raise FairnessInputError(EMPTY_FILE.format(path=path))
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise FairnessInputError(DUPLICATE_COLUMN.format(column=column, path=path))
        seen.add(column)
    rows: list[dict[str, str]] = []
    for line, fields in records:
        if not fields:
            continue
        if len(fields) != len(header):
            # line counts physical lines, so it points at the row even with quoted newlines.
            raise FairnessInputError(
                RAGGED_ROW.format(line=line, path=path, found=len(fields), expected=len(header))
            )
        rows.append(dict(zip(header, fields, strict=True)))
    if not rows:
        raise FairnessInputError(HEADER_ONLY.format(path=path))
    return header, rows


def _safe(records: Iterator[tuple[int, list[str]]], path: str | PathLike[str]) -> Iterator[tuple[int, list[str]]]:
    """The records, with a NUL byte, an over-long field or a malformed record as a :class:`FairnessInputError`."""
    try:
        yield from records
    except CsvCellError as error:
        raise FairnessInputError(UNSAFE_FIELD.format(path=path, problem=error)) from None
