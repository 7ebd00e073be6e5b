"""A delivery page's window ends at midnight after its last day; the page names that last day, not the next one."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string

from brightline.evidence.metrics import default_window
from brightline.templatetags.brightline_labels import last_day


def test_the_last_day_of_a_window_ending_at_midnight_is_the_day_before() -> None:
    start, end = default_window(dt.datetime(2026, 12, 7, 19, 15, tzinfo=dt.UTC))
    assert end == dt.datetime(2026, 12, 8, tzinfo=dt.UTC)
    assert last_day(end) == "7 Dec 2026"
    assert last_day(dt.datetime(2026, 12, 8, 9, 30, tzinfo=dt.UTC)) == "8 Dec 2026"  # not a midnight: its own day
    assert last_day(dt.date(2026, 12, 8)) == "8 Dec 2026" and last_day(None) == ""


def test_the_delivery_caption_names_today_as_the_last_day() -> None:
    start, end = default_window(dt.datetime(2026, 12, 7, 19, 15, tzinfo=dt.UTC))
    html = render_to_string("evidence/_levels.html", {"start": start, "end": end, "current": None})
    assert "to 7 Dec 2026 (UTC), both days included" in html and "8 Dec 2026" not in html
