"""Quality helpers: escaped defects, rollback rate, incident recurrence, incidents by severity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from brightline.core.delivery import DeliveryData, compute_quality_metrics

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 2, 1, tzinfo=UTC)


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=UTC)


def ts(values: list[datetime | None]) -> pa.Array:
    return pa.array(values, pa.timestamp("us", tz="UTC"))


def make_data() -> DeliveryData:
    deployments = pa.table(
        {
            "deployment_id": ["d1", "d2", "d3", "d4"],
            "service": ["api", "api", "api", "api"],
            "deployed_at": ts([at(2), at(10), at(20), at(25)]),
            "sha": ["a", "b", "c", "d"],
            "status": ["success"] * 4,
            "is_production": [True] * 4,
        }
    )
    incidents = pa.table(
        {
            "incident_id": ["i1", "i2", "i3", "i4"],
            "service": ["api"] * 4,
            "severity": ["sev1", "sev2", "sev2", None],
            "opened_at": ts([at(2, 3), at(9), at(20, 1), at(28)]),
            "resolved_at": ts([at(2, 4), at(9, 1), None, None]),
            "linked_deployment_id": pa.array([None, None, None, None], pa.string()),
            "root_cause_sha": pa.array([None, None, None, None], pa.string()),
            # same problem, different numbers: i3 recurs i1 within 30 days
            "title": ["DB timeout #4312 on node-7", "Login page slow", "db timeout #4400 on node-9", "Disk full"],
            "root_cause": [None, None, None, "  "],
        }
    )
    remediations = pa.table(
        {
            "service": ["api", "api"],
            "kind": ["rollback", "hotfix"],
            "occurred_at": ts([at(20, 2), at(21)]),
            "failed_deployment_id": pa.array(["d3", "d3"], pa.string()),
            "remediation_deployment_id": pa.array([None, None], pa.string()),
        }
    )
    return DeliveryData(deployments=deployments, incidents=incidents, remediations=remediations)


def test_hand_computed_quality_metrics() -> None:
    api = compute_quality_metrics(make_data(), start=START, end=END)["api"]
    assert api.deployments == 4
    assert api.incidents == 4
    # i1 follows d1 by 3 h, i3 follows d3 by 1 h; i2 precedes any deployment in 24 h; i4 is 3 days late
    assert api.escaped_defects == 2
    assert api.escaped_defect_rate == 0.5
    assert api.rollbacks == 1
    assert api.rollback_rate == 0.25
    assert api.recurrent_incidents == 1
    assert api.recurrence_rate == 0.25
    assert api.incidents_by_severity == {"sev1": 1, "sev2": 2, "unknown": 1}
    assert api.to_json()["definitions"]["escaped_defects"].startswith("Incidents opened")


def test_recurrence_needs_the_repeat_inside_the_window() -> None:
    api = compute_quality_metrics(make_data(), start=START, end=END, recurrence_window=timedelta(days=7))["api"]
    assert api.recurrent_incidents == 0


def test_quality_without_incidents_or_remediations() -> None:
    data = make_data()
    api = compute_quality_metrics(DeliveryData(deployments=data.deployments), start=START, end=END)["api"]
    assert (api.incidents, api.escaped_defects, api.rollbacks, api.recurrence_rate) == (0, 0, 0, None)
    assert api.rollback_rate == 0
