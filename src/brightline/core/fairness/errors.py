"""Errors raised by the fairness core, with their messages as module constants.

Every message is a ``str.format`` template so callers (and tests) can rebuild the exact
text. Lists of names or values are rendered by :func:`format_values` – each item
``repr``-quoted so that a trailing space (``'M '``) stays visible.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "DUPLICATE_COLUMN",
    "EMPTY_FILE",
    "FAVOURABLE_VALUE_ABSENT",
    "GROUP_LABEL_COLLISION",
    "HEADER_ONLY",
    "INVALID_MIN_COHORT",
    "MISSING_COLUMN",
    "NOT_EXPECTED_CSV",
    "NOT_UTF8",
    "NO_FAVOURABLE_VALUES",
    "NO_GROUP_COLUMNS",
    "NO_ROWS",
    "RAGGED_ROW",
    "UNSAFE_FIELD",
    "FairnessInputError",
    "format_values",
]

MISSING_COLUMN = "Column {column!r} is not in {source}; available columns: {available}."
FAVOURABLE_VALUE_ABSENT = "None of the favourable values {favourable} occur in column {column!r}; values seen: {seen}."
NO_FAVOURABLE_VALUES = "At least one favourable outcome value is required."
NO_GROUP_COLUMNS = "At least one group column is required."
NO_ROWS = "{source} has no data rows; an audit needs at least one row."
EMPTY_FILE = "{path} is empty; expected a header row followed by data rows."
HEADER_ONLY = "{path} has a header row but no data rows."
NOT_UTF8 = "{path} is not UTF-8 text (undecodable byte at offset {offset}); re-save it as UTF-8."
NOT_EXPECTED_CSV = "{source} is not a CSV with the expected header: it has none of the columns {columns}."
UNSAFE_FIELD = "{path}: {problem}."
RAGGED_ROW = "Line {line} of {path} has {found} fields but the header has {expected}."
DUPLICATE_COLUMN = "Column {column!r} appears more than once in the header of {path}."
INVALID_MIN_COHORT = "min_cohort must be a whole number of at least 1, got {min_cohort!r}."
GROUP_LABEL_COLLISION = (
    "Group values {first} and {second} both give the label {label!r}; "
    "a value contains the separator ' | ' – rename the value before auditing."
)

#: How many values an error message lists before it says "and N more".
MAX_LISTED_VALUES = 20


class FairnessInputError(ValueError):
    """The audit input cannot be audited as given; the message says what to fix."""


def format_values(values: Iterable[str]) -> str:
    """Render values for an error message: ``'a', 'b'`` in the given order, at most 20.

    Values are ``repr``-quoted so whitespace and empty strings are visible; a longer list
    ends with ``… and N more``; an empty list reads ``none``.
    """
    items = list(values)
    if not items:
        return "none"
    shown = ", ".join(repr(value) for value in items[:MAX_LISTED_VALUES])
    if len(items) > MAX_LISTED_VALUES:
        shown += f", … and {len(items) - MAX_LISTED_VALUES} more"
    return shown


def check_min_cohort(min_cohort: int) -> None:
    """Raise :class:`FairnessInputError` unless ``min_cohort`` is an int ≥ 1 (bools refused)."""
    if isinstance(min_cohort, bool) or not isinstance(min_cohort, int) or min_cohort < 1:
        raise FairnessInputError(INVALID_MIN_COHORT.format(min_cohort=min_cohort))
