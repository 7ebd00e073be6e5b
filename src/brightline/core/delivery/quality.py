"""Quality and reliability helpers (requirements A2, A3): escaped defects, rollback rate,
incident recurrence and incidents by severity, per service or team.

Same input tables as :mod:`brightline.core.delivery.dora`. Incidents may carry optional
``title`` and ``root_cause`` columns, used to fingerprint recurrences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from brightline.core.delivery.dora import (
    _ATTRIBUTION_CTES,
    EMPTY_WINDOW,
    DeliveryData,
    DeliveryDataError,
    Grouping,
    _connect,
    _group_sql,
    _register,
    _utc_naive,
)

__all__ = [
    "QUALITY_DEFINITIONS",
    "QualityMetrics",
    "compute_quality_metrics",
]

QUALITY_DEFINITIONS: Final[dict[str, str]] = {
    "escaped_defects": (
        "Incidents opened in the period that are attributed to a production deployment (declared, "
        "by root-cause commit, or inferred): defects that got past review and testing."
    ),
    "escaped_defect_rate": "Escaped defects divided by production deployments in the period.",
    "rollback_rate": "Rollbacks in the period divided by production deployments in the period.",
    "recurrent_incidents": (
        "Incidents of the same service with the same fingerprint (the root cause when recorded, "
        "otherwise the title with numbers and ids removed) as an earlier incident opened at most "
        "the recurrence window before."
    ),
    "incidents_by_severity": "Incidents opened in the period, counted per severity label.",
}


@dataclass(frozen=True, slots=True)
class QualityMetrics:
    """Quality of one service or team over a window. Rates are None without deployments."""

    group: str
    deployments: int
    incidents: int
    escaped_defects: int
    escaped_defect_rate: float | None
    rollbacks: int
    rollback_rate: float | None
    recurrent_incidents: int
    recurrence_rate: float | None
    """Recurrent incidents divided by incidents; None without incidents."""
    recurrence_window_days: float
    incidents_by_severity: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "deployments": self.deployments,
            "incidents": self.incidents,
            "escaped_defects": self.escaped_defects,
            "escaped_defect_rate": self.escaped_defect_rate,
            "rollbacks": self.rollbacks,
            "rollback_rate": self.rollback_rate,
            "recurrent_incidents": self.recurrent_incidents,
            "recurrence_rate": self.recurrence_rate,
            "recurrence_window_days": self.recurrence_window_days,
            "incidents_by_severity": dict(self.incidents_by_severity),
            "definitions": dict(QUALITY_DEFINITIONS),
        }


_FINGERPRINT_SQL: Final = (
    # lower-case, replace hex ids and numbers by '#', squash punctuation: "DB timeout #4312 on
    # node-7" and "db timeout #4400 on node-9" are the same problem recurring.
    "trim(regexp_replace(regexp_replace(lower(coalesce(nullif(trim({root}), ''), {title}, '')), "
    "'[0-9a-f]{{7,}}|[0-9]+', '#', 'g'), '[^a-z#]+', ' ', 'g'))"
)


def compute_quality_metrics(
    data: DeliveryData,
    *,
    start: datetime,
    end: datetime,
    group_by: Grouping = "service",
    recurrence_window: timedelta = timedelta(days=30),
    attribution_window: timedelta = timedelta(hours=24),
) -> dict[str, QualityMetrics]:
    """Escaped defects, rollback rate, incident recurrence and incidents by severity per group.

    Counts use events inside ``[start, end)``; an incident is recurrent if the previous
    incident with the same service and fingerprint (at any time, also before ``start``)
    opened at most ``recurrence_window`` earlier. Groups come back in name order.
    """
    start_utc, end_utc = _utc_naive(start), _utc_naive(end)
    if start_utc >= end_utc:
        raise DeliveryDataError(EMPTY_WINDOW.format(start=start, end=end))
    incidents = data.incidents
    columns = set() if incidents is None else set(incidents.column_names)
    # Optional columns: a missing one reads as NULL rather than failing the whole report.
    title = "i.title" if "title" in columns else "NULL"
    root = "i.root_cause" if "root_cause" in columns else "NULL"
    severity = "i.severity" if "severity" in columns else "NULL"
    groups = _group_sql(group_by)
    sql = (
        "WITH"
        + _ATTRIBUTION_CTES.format(**groups)
        + f""",
inc_groups AS (
    SELECT i.incident_id, {groups["group_expression"].replace("d.", "i.")} AS grp,
           CAST(i.opened_at AS TIMESTAMP) AS opened_at,
           coalesce(CAST({severity} AS VARCHAR), 'unknown') AS severity,
           {_FINGERPRINT_SQL.format(root=root, title=title)} AS fingerprint,
           a.attribution
    FROM incidents_in i {groups["team_join"].replace("d.service", "i.service")}
    JOIN inc_attributed a USING (incident_id)
),
inc_flagged AS (
    SELECT *, opened_at - lag(opened_at) OVER (
               PARTITION BY grp, fingerprint ORDER BY opened_at) <= $recurrence_window AS recurrent
    FROM inc_groups
),
inc_stats AS (
    SELECT grp, count(*) AS incidents,
           count(*) FILTER (WHERE attribution <> 'none') AS escaped,
           count(*) FILTER (WHERE recurrent) AS recurrent
    FROM inc_flagged WHERE opened_at >= $start AND opened_at < $end GROUP BY grp
),
severity_stats AS (
    SELECT grp, severity, count(*) AS n
    FROM inc_flagged WHERE opened_at >= $start AND opened_at < $end GROUP BY ALL
),
severity_maps AS (
    SELECT grp, map_from_entries(list((severity, n) ORDER BY severity)) AS by_severity
    FROM severity_stats GROUP BY grp
),
dep_stats AS (
    SELECT grp, count(*) AS deployments FROM prod
    WHERE deployed_at >= $start AND deployed_at < $end GROUP BY grp
),
rollback_stats AS (
    SELECT {groups["group_expression"].replace("d.", "r.")} AS grp, count(*) AS rollbacks
    FROM remediations_in r {groups["team_join"].replace("d.service", "r.service")}
    WHERE r.kind = 'rollback' AND CAST(r.occurred_at AS TIMESTAMP) >= $start
      AND CAST(r.occurred_at AS TIMESTAMP) < $end
    GROUP BY ALL
),
all_groups AS (
    SELECT grp FROM prod UNION SELECT grp FROM inc_groups UNION SELECT grp FROM rollback_stats
)
SELECT g.grp, coalesce(d.deployments, 0), coalesce(i.incidents, 0), coalesce(i.escaped, 0),
       coalesce(r.rollbacks, 0), coalesce(i.recurrent, 0), s.by_severity
FROM all_groups g
LEFT JOIN dep_stats d USING (grp)
LEFT JOIN inc_stats i USING (grp)
LEFT JOIN rollback_stats r USING (grp)
LEFT JOIN severity_maps s USING (grp)
ORDER BY g.grp
"""
    )
    connection = _connect()
    try:
        _register(connection, data, group_by=group_by)
        rows = connection.execute(
            sql,
            {
                "start": start_utc,
                "end": end_utc,
                "attribution_window": attribution_window,
                "recurrence_window": recurrence_window,
            },
        ).fetchall()
    finally:
        connection.close()
    results: dict[str, QualityMetrics] = {}
    for group, deployments, incidents_count, escaped, rollbacks, recurrent, by_severity in rows:
        results[group] = QualityMetrics(
            group=group,
            deployments=deployments,
            incidents=incidents_count,
            escaped_defects=escaped,
            escaped_defect_rate=escaped / deployments if deployments else None,
            rollbacks=rollbacks,
            rollback_rate=rollbacks / deployments if deployments else None,
            recurrent_incidents=recurrent,
            recurrence_rate=recurrent / incidents_count if incidents_count else None,
            recurrence_window_days=recurrence_window.total_seconds() / 86400,
            incidents_by_severity=dict(by_severity or {}),
        )
    return results
