"""Reading values typed into a page's form: a malformed value is an error the person sees, never a default.

A date field left empty means "not given"; a date field holding something that is not a date is refused
with the field's label and an example, so nobody's support plan silently starts today or loses its due
date because a browser without a date picker sent "31/03/2027".
"""

from __future__ import annotations

import datetime as dt


class FormValueError(ValueError):
    """A form value that cannot be read; the message names the field and is safe to show."""


def optional_date(value: str | None, label: str) -> dt.date | None:
    """The date typed into a field labelled ``label``; None when the field is empty."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FormValueError(f"{label}: “{text[:40]}” is not a date. "
                             "Use the date picker or type year-month-day, for example 2027-03-31.") from None
