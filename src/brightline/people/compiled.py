"""Questions every page asks (is the viewer a manager? do they manage a member of their team?), compiled once.

Each is a query whose shape never changes and whose only inputs are ids. Compiling it (Django building the SQL
from the query set) cost several times more CPU than running it, on every page, for the menus alone. So each is
compiled once per process and database, with stand-in ids, and then run with the real ids in their place: the
same SQL Django would have built, the same answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# No row has a negative id: these stand for the real ids in a compiled query, in order.
STAND_INS = (-1_987_654_321, -1_987_654_322, -1_987_654_323)
_COMPILED: dict[tuple[str, str, str], tuple[str, tuple[Any, ...]]] = {}


def exists(name: str, build: Callable[..., QuerySet[Any]], *ids: int, using: str = "default") -> bool:
    """``build(*ids).exists()``; ``build`` must depend on its arguments only as ids (``name`` names its shape)."""
    return _run(name, lambda stand_ins: build(*stand_ins).query.exists(), ids, using) is not None


def first_value(name: str, build: Callable[..., QuerySet[Any]], *ids: int, default: Any = None,
                using: str = "default") -> Any:
    """The first column of the first row of ``build(*ids)`` (a ``values_list`` query), or ``default`` if none."""
    row = _run(name, lambda stand_ins: build(*stand_ins).query, ids, using)
    return default if row is None else row[0]


def _run(name: str, query_of: Callable[[tuple[int, ...]], Any], ids: tuple[int, ...],
         using: str) -> tuple[Any, ...] | None:
    connection = connections[using]
    key = (using, connection.vendor, name)
    prepared = _COMPILED.get(key)
    if prepared is None:
        sql, params = query_of(STAND_INS[:len(ids)]).get_compiler(using=using).as_sql()
        prepared = _COMPILED[key] = (sql, tuple(params))
    sql, params = prepared
    real = dict(zip(STAND_INS, ids, strict=False))
    with connection.cursor() as cursor:
        cursor.execute(sql, [real.get(value, value) if type(value) is int else value for value in params])
        row: tuple[Any, ...] | None = cursor.fetchone()
        return row
