"""The PostgreSQL backend reads timestamps with psycopg's compiled loader, giving what Django's gives.

Django's own loader (pure Python) is kept wherever the two could disagree: a session whose time
zone is not the one Django asked for.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from brightline.postgresql.base import compiled_timestamptz_loader

pytestmark = pytest.mark.django_db

SERIES = """
    select ts from (values
        (timestamptz '0001-01-01 00:00:00+00'), (timestamptz '1969-12-31 23:59:59.999999+00'),
        (timestamptz '2026-03-29 00:59:59.5+00'), (timestamptz '2026-03-29 01:00:00+00'),
        (timestamptz '2026-10-25 01:30:00.000001+02'), (timestamptz '9999-12-31 23:59:59+00')
    ) v(ts)
    union all
    select timestamptz '2025-01-01 00:00:00+00' + g * interval '37 minutes 11.123457 seconds'
    from generate_series(0, 5000) g
"""


def _skip_without_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("a loader of PostgreSQL's wire format: nothing to read on SQLite")
    if compiled_timestamptz_loader() is None:
        pytest.skip("psycopg's C implementation is not installed")


def _with_djangos_loader(sql: str) -> list[tuple]:
    raw = connection.connection.cursor()
    register_tzloader(connection.timezone, raw)
    raw.execute(sql)
    return raw.fetchall()


def test_cursors_read_timestamps_with_the_compiled_loader_and_get_what_djangos_gives():
    _skip_without_postgresql()
    with connection.cursor() as cursor:
        cursor.execute(SERIES)
        rows = cursor.fetchall()
        loader = cursor.cursor.adapters.get_loader(1184, 0)
    assert loader is compiled_timestamptz_loader()
    expected = _with_djangos_loader(SERIES)
    assert len(rows) == 5007
    assert rows == expected
    # Equal and in the same zone object, as Django's loader gives them.
    assert all(value.tzinfo is datetime.UTC for (value,) in rows)
    assert all(a.isoformat() == b.isoformat() for (a,), (b,) in zip(rows, expected, strict=True))


def test_a_session_in_another_time_zone_keeps_djangos_loader():
    _skip_without_postgresql()
    with connection.cursor() as cursor:
        cursor.execute("set time zone 'Europe/Paris'")
    try:
        with connection.cursor() as cursor:
            loader = cursor.cursor.adapters.get_loader(1184, 0)
            cursor.execute("select timestamptz '2026-07-01 12:00:00+00'")
            (value,) = cursor.fetchone()
        assert loader is not compiled_timestamptz_loader()
        # Django's loader, whatever it makes of the session's zone, not the compiled one's answer.
        assert value == _with_djangos_loader("select timestamptz '2026-07-01 12:00:00+00'")[0][0]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("set time zone %s", [connection.timezone_name])
