"""What an ingestion added or changed that incident attribution must look at again.

The events import and the GitHub and GitLab syncs both collect it as they write, and hand it to
``update_touched_incident_attribution``, which then recomputes only the incidents those rows can move instead of
every incident of the services.

Whatever the size of the import, what is held in memory stays bounded: the touched rows are written, a batch at a
time, to a temporary table of the connection, and attribution finds the incidents they can move by joins on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from django.db import connection

# The columns of a deployment and of an incident that attribution reads: a row whose values of these did not
# change moves no incident.
DEPLOYMENT_INPUTS: Final = ("service_id", "deployed_at", "sha", "status", "environment")
INCIDENT_INPUTS: Final = ("service_id", "opened_at", "linked_deployment_id", "root_cause_sha")
ATTRIBUTION_WINDOW: Final = timedelta(hours=24)
"""How long before an incident opened a deployment may be taken as its cause (the inferred attribution)."""
TOUCH_BATCH: Final = 1000
"""Touched rows held in memory before they are written to the touch table."""
TOUCH_TABLE_PREFIX: Final = "brightline_touched_"


@dataclass
class AttributionTouches:
    """Each added or changed deployment as (id, service id, deployed at, sha), before and after the change, and the
    ids of the added or changed incidents, kept in a temporary table (:attr:`touch_table`, made on the first
    :meth:`flush`) with, for a deployment, the end of the attribution window that starts at it. Counts of what was
    touched stay on the object; :meth:`release` drops the table."""

    touched_deployments: int = field(default=0, kw_only=True)
    """Deployment states held (one for a new deployment, two for a changed one)."""
    touched_incidents: int = field(default=0, kw_only=True)
    touch_table: str | None = field(default=None, repr=False, kw_only=True)
    pending_touches: list[tuple[Any, ...]] = field(default_factory=list, repr=False, kw_only=True)

    @property
    def touched(self) -> bool:
        return bool(self.touched_deployments or self.touched_incidents)

    def touch(self, deployments: Iterable[tuple[int, int, datetime, str]] = (), incidents: Iterable[int] = ()
              ) -> None:
        for pk, service_id, moment, sha in deployments:
            self.pending_touches.append(("d", pk, service_id, moment, moment + ATTRIBUTION_WINDOW, sha or ""))
            self.touched_deployments += 1
        for pk in incidents:
            self.pending_touches.append(("i", pk, None, None, None, ""))
            self.touched_incidents += 1
        if len(self.pending_touches) >= TOUCH_BATCH:
            self.flush()

    def touch_deployment(self, pk: int, before: tuple[Any, ...] | None, after: tuple[Any, ...]) -> None:
        """A deployment written: ``before`` and ``after`` are its values of :data:`DEPLOYMENT_INPUTS` (``before``
        None when it is new); nothing is held when they are equal."""
        if before != after:
            self.touch(deployments=[(pk, *state[:3]) for state in (before, after) if state is not None])

    def flush(self) -> str | None:
        """Write what is pending to the touch table (made first if need be); its name, None when nothing was
        touched."""
        if not self.pending_touches:
            return self.touch_table
        with connection.cursor() as cursor:
            if self.touch_table is None:
                table = f"{TOUCH_TABLE_PREFIX}{uuid.uuid4().hex[:12]}"
                moment = connection.data_types["DateTimeField"]
                cursor.execute(f"CREATE TEMPORARY TABLE {table} (kind char(1) NOT NULL, row_id bigint NOT NULL, "
                               f"service_id bigint, at {moment}, reach {moment}, sha varchar(64) NOT NULL)")
                cursor.execute(f"CREATE INDEX {table}_row ON {table} (kind, row_id)")
                cursor.execute(f"CREATE INDEX {table}_at ON {table} (kind, service_id, at)")
                self.touch_table = table
            insert_rows(cursor, self.touch_table, self.pending_touches)
        self.pending_touches = []
        return self.touch_table

    def release(self) -> None:
        """Drop the touch table and anything pending (the counts stay)."""
        self.pending_touches = []
        if self.touch_table is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.touch_table}")
            self.touch_table = None


ROWS_PER_INSERT: Final = 200


def insert_rows(cursor: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (all of one width; datetimes adapted as Django stores them) into ``table``, a few hundred
    per statement rather than one round trip each."""
    adapt = connection.ops.adapt_datetimefield_value
    for start in range(0, len(rows), ROWS_PER_INSERT):
        batch = rows[start:start + ROWS_PER_INSERT]
        row = "(" + ", ".join(["%s"] * len(batch[0])) + ")"
        cursor.execute(f"INSERT INTO {table} VALUES {', '.join([row] * len(batch))}",
                       [adapt(value) if isinstance(value, datetime) else value for values in batch
                        for value in values])
