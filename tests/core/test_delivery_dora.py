"""DORA metrics: a hand-computed fixture per metric, and property tests for the maths."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brightline.core.delivery import (
    DEFINITIONS,
    DUPLICATE_TEAM_FOR_SERVICE,
    EMPTY_WINDOW,
    MISSING_COLUMNS,
    TEAMS_REQUIRED,
    DeliveryData,
    DeliveryDataError,
    DoraOptions,
    attribute_incidents,
    compute_dora_metrics,
    compute_dora_metrics_by_period,
)

START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
END = datetime(2024, 1, 29, tzinfo=UTC)  # four weeks later


def at(day: int, hour: int = 0, month: int = 1, year: int = 2024) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def deployments_table(rows: list[tuple[str, str, datetime, str, str, bool]]) -> pa.Table:
    ids, services, times, shas, statuses, production = zip(*rows, strict=True)
    return pa.table(
        {
            "deployment_id": list(ids),
            "service": list(services),
            "environment": ["production" if p else "staging" for p in production],
            "deployed_at": pa.array(times, pa.timestamp("us", tz="UTC")),
            "sha": list(shas),
            "status": list(statuses),
            "is_production": list(production),
        }
    )


def incidents_table(rows: list[tuple[str, str, datetime, datetime | None, str | None, str | None]]) -> pa.Table:
    ids, services, opened, resolved, links, roots = zip(*rows, strict=True)
    return pa.table(
        {
            "incident_id": list(ids),
            "service": list(services),
            "severity": ["sev2"] * len(ids),
            "opened_at": pa.array(opened, pa.timestamp("us", tz="UTC")),
            "resolved_at": pa.array(resolved, pa.timestamp("us", tz="UTC")),
            "linked_deployment_id": pa.array(links, pa.string()),
            "root_cause_sha": pa.array(roots, pa.string()),
        }
    )


def changes_table(rows: list[tuple[str, str, datetime, datetime | None]]) -> pa.Table:
    services, shas, authored, deployed = zip(*rows, strict=True)
    return pa.table(
        {
            "service": list(services),
            "sha": list(shas),
            "first_commit_author_time": pa.array(authored, pa.timestamp("us", tz="UTC")),
            "deployed_at": pa.array(deployed, pa.timestamp("us", tz="UTC")),
        }
    )


def remediations_table(rows: list[tuple[str, str, datetime, str | None, str | None]]) -> pa.Table:
    services, kinds, occurred, failed, remediation = zip(*rows, strict=True)
    return pa.table(
        {
            "service": list(services),
            "kind": list(kinds),
            "occurred_at": pa.array(occurred, pa.timestamp("us", tz="UTC")),
            "failed_deployment_id": pa.array(failed, pa.string()),
            "remediation_deployment_id": pa.array(remediation, pa.string()),
        }
    )


@pytest.fixture
def data() -> DeliveryData:
    deployments = deployments_table(
        [
            ("d1", "api", at(1), "s1", "success", True),
            ("d2", "api", at(2), "s2", "success", True),  # incident i1 two hours later: inferred
            ("d3", "api", at(3), "s3", "success", True),  # rolled back after an hour
            ("d4", "api", at(4), "s4", "success", True),  # fixed by hotfix d5
            ("d5", "api", at(4, 6), "s5", "success", True),  # the hotfix: rework
            ("d6", "api", at(10), "s6", "success", True),  # declared incident, still open
            ("d7", "api", at(11), "s7", "success", False),  # staging: ignored
            ("d8", "api", at(12), "s8", "failed", True),  # never went live: ignored
            ("d9", "api", at(15), "s9", "success", True),  # shipped root-cause commit c9
            ("d10", "api", at(20), "s10", "success", True),
            ("d11", "api", at(30), "s11", "success", True),  # after the window
            ("w1", "web", at(5), "w1", "success", True),
        ]
    )
    incidents = incidents_table(
        [
            ("i1", "api", at(2, 2), at(2, 5), None, None),
            ("i2", "api", at(10, 3), None, "d6", None),
            # opened two hours after d10, but the root-cause commit shipped with d9: d9 wins
            ("i3", "api", at(20, 2), at(20, 12), None, "c9"),
            ("i4", "search", at(6), at(6, 1), None, None),
        ]
    )
    changes = changes_table(
        [
            ("api", "c1", at(31, 12, month=12, year=2023), at(1)),  # 12 h
            ("api", "c2", at(1), at(2)),  # 24 h
            ("api", "c3", at(2), at(4)),  # 48 h
            ("api", "c4", at(4, 1), at(4)),  # -1 h: clock skew, skipped
            ("api", "c5", at(10), at(10)),  # 0 h: skipped
            ("api", "c9", at(14), at(15)),  # 24 h
            ("api", "c-old", at(1, month=6, year=2023), at(20)),  # 5592 h
            ("api", "c-undeployed", at(20), None),
            ("api", "c-late", at(29), at(30)),  # deployed after the window
        ]
    )
    remediations = remediations_table(
        [
            ("api", "rollback", at(3, 1), "d3", None),
            ("api", "hotfix", at(4, 5), None, "d5"),  # repairs the deployment before d5: d4
        ]
    )
    teams = pa.table({"service": ["api", "web"], "team": ["payments", "payments"]})
    return DeliveryData(
        deployments=deployments, changes=changes, incidents=incidents, remediations=remediations, teams=teams
    )


def test_hand_computed_metrics_for_one_service(data: DeliveryData) -> None:
    api = compute_dora_metrics(data, start=START, end=END)["api"]
    assert api.deployments == 8
    assert api.deployment_frequency_per_week == 2.0
    assert api.failed_deployments == 5  # d2, d3, d4, d6, d9
    assert api.change_fail_rate == 5 / 8
    assert api.rework_deployments == 1
    assert api.rework_rate == 1 / 8
    lead = api.lead_time_hours
    assert (lead.n, lead.skipped) == (5, 2)
    # sorted 12, 24, 24, 48, 5592; linear interpolation
    assert lead.median == 24
    assert lead.p75 == 48
    assert lead.p90 == pytest.approx(48 + 0.6 * (5592 - 48))
    recovery = api.failed_deployment_recovery_hours
    # d3 1 h (rollback), d2 5 h (incident resolved), d4 6 h (hotfix live), d9 132 h; d6 still open
    assert (recovery.n, recovery.unrecovered) == (4, 1)
    assert recovery.median == 5.5
    assert recovery.p75 == pytest.approx(6 + 0.25 * 126)
    assert recovery.p90 == pytest.approx(6 + 0.7 * 126)
    assert api.levels.deployment_frequency == "high"
    assert api.levels.lead_time == "high"
    assert api.levels.change_fail_rate == "low"
    assert api.levels.failed_deployment_recovery == "high"


def test_change_fail_rate_counts_failed_deployments_not_incidents() -> None:
    deployments = deployments_table(
        [("d1", "api", at(1), "a", "success", True), ("d2", "api", at(5), "b", "success", True)]
    )
    incidents = incidents_table([(f"i{n}", "api", at(1, n + 1), at(1, n + 2), "d1", None) for n in range(5)])
    api = compute_dora_metrics(DeliveryData(deployments=deployments, incidents=incidents), start=START, end=END)["api"]
    assert api.change_fail_rate == 0.5  # five incidents, but one failed deployment out of two


def test_lookback_window_excludes_ancient_changes_and_says_so(data: DeliveryData) -> None:
    options = DoraOptions(lead_time_lookback=timedelta(days=90))
    api = compute_dora_metrics(data, start=START, end=END, options=options)["api"]
    lead = api.lead_time_hours
    assert (lead.n, lead.skipped, lead.beyond_lookback, lead.lookback_days) == (4, 2, 1, 90)
    assert (lead.median, lead.p75, lead.p90) == (24, 30, pytest.approx(40.8))
    assert "90 days" in api.definitions["lead_time_hours"]


def test_json_has_exactly_the_documented_shape(data: DeliveryData) -> None:
    payload = compute_dora_metrics(data, start=START, end=END)["api"].to_json()
    assert set(payload) == {
        "deployments",
        "deployment_frequency_per_week",
        "lead_time_hours",
        "change_fail_rate",
        "failed_deployment_recovery_hours",
        "rework_rate",
        "lead_time_basis",
        "levels",
        "definitions",
    }
    assert set(payload["lead_time_hours"]) == {"median", "p75", "p90", "n", "skipped"}
    assert set(payload["failed_deployment_recovery_hours"]) == {"median", "p75", "p90", "n"}
    assert set(DEFINITIONS) <= set(payload["definitions"])
    json.dumps(payload)  # serialisable as is


def test_incident_attribution_prefers_declared_then_root_cause_then_inferred(data: DeliveryData) -> None:
    rows = attribute_incidents(data, window=timedelta(hours=24)).to_pylist()
    by_id = {row["incident_id"]: row for row in rows}
    assert (by_id["i1"]["deployment_id"], by_id["i1"]["attribution"]) == ("d2", "inferred")
    assert "24 hours" in by_id["i1"]["rule"]
    assert (by_id["i2"]["deployment_id"], by_id["i2"]["attribution"]) == ("d6", "declared")
    assert (by_id["i3"]["deployment_id"], by_id["i3"]["attribution"]) == ("d9", "root_cause")
    assert (by_id["i4"]["deployment_id"], by_id["i4"]["attribution"]) == (None, "none")


def test_inference_respects_the_window(data: DeliveryData) -> None:
    rows = attribute_incidents(data, window=timedelta(hours=1)).to_pylist()
    assert {row["incident_id"]: row["attribution"] for row in rows}["i1"] == "none"


def test_per_week_results_add_up_to_the_window(data: DeliveryData) -> None:
    weeks = compute_dora_metrics_by_period(data, start=START, end=END, period="week")["api"]
    assert [w.period_start for w in weeks] == [at(1), at(8), at(15), at(22)]
    assert [w.deployments for w in weeks] == [5, 1, 2, 0]
    assert [w.failed_deployments for w in weeks] == [3, 1, 1, 0]
    assert weeks[3].change_fail_rate is None
    assert weeks[3].levels.deployment_frequency == "low"
    assert weeks[0].to_period_json()["period_end"] == "2024-01-08T00:00:00+00:00"


def test_monthly_periods_clip_frequency_to_the_window(data: DeliveryData) -> None:
    months = compute_dora_metrics_by_period(data, start=START, end=END, period="month")["api"]
    assert len(months) == 1
    assert months[0].period_end == at(1, month=2)
    assert months[0].deployment_frequency_per_week == 2.0  # 8 deployments over the 4 observed weeks


def test_grouping_by_team_merges_its_services(data: DeliveryData) -> None:
    payments = compute_dora_metrics(data, start=START, end=END, group_by="team")["payments"]
    assert payments.deployments == 9
    assert payments.deployment_frequency_per_week == 9 / 4


def test_team_grouping_needs_a_consistent_teams_table(data: DeliveryData) -> None:
    with pytest.raises(DeliveryDataError) as error:
        compute_dora_metrics(DeliveryData(deployments=data.deployments), start=START, end=END, group_by="team")
    assert str(error.value) == TEAMS_REQUIRED
    twice = pa.table({"service": ["api", "api"], "team": ["a", "b"]})
    with pytest.raises(DeliveryDataError) as error:
        compute_dora_metrics(
            DeliveryData(deployments=data.deployments, teams=twice), start=START, end=END, group_by="team"
        )
    assert str(error.value) == DUPLICATE_TEAM_FOR_SERVICE.format(service="api")


def test_it_names_missing_columns_and_refuses_an_empty_window(data: DeliveryData) -> None:
    with pytest.raises(DeliveryDataError) as error:
        compute_dora_metrics(DeliveryData(deployments=data.deployments.drop(["sha"])), start=START, end=END)
    assert str(error.value) == MISSING_COLUMNS.format(table="deployments", columns="sha")
    with pytest.raises(DeliveryDataError) as error:
        compute_dora_metrics(data, start=END, end=START)
    assert str(error.value) == EMPTY_WINDOW.format(start=END, end=START)


# --- properties ---------------------------------------------------------------------------
hours = st.integers(min_value=0, max_value=27 * 24 - 1)


@st.composite
def delivery_data(draw: st.DrawFn) -> tuple[DeliveryData, list[float]]:
    deploy_hours = draw(st.lists(hours, min_size=1, max_size=25, unique=True))
    rows = [(f"d{i}", draw(st.sampled_from(["api", "web"])), START + timedelta(hours=h), f"s{i}", "success", True)
            for i, h in enumerate(deploy_hours)]
    deployments = deployments_table(rows)
    incident_rows = []
    for i in range(draw(st.integers(0, 10))):
        opened = START + timedelta(hours=draw(hours))
        resolved = draw(st.one_of(st.none(), st.integers(0, 200).map(lambda h, o=opened: o + timedelta(hours=h))))
        link = draw(st.one_of(st.none(), st.sampled_from([r[0] for r in rows])))
        incident_rows.append((f"i{i}", draw(st.sampled_from(["api", "web"])), opened, resolved, link, None))
    incidents = incidents_table(incident_rows) if incident_rows else None
    remediation_rows = [
        ("api", draw(st.sampled_from(["rollback", "revert", "hotfix"])), START + timedelta(hours=draw(hours)),
         None, draw(st.one_of(st.none(), st.sampled_from([r[0] for r in rows]))))
        for _ in range(draw(st.integers(0, 5)))
    ]
    remediations = remediations_table(remediation_rows) if remediation_rows else None
    leads = draw(st.lists(st.integers(-50, 5000), min_size=1, max_size=30))
    change_rows = [("api", f"c{i}", START + timedelta(days=10) - timedelta(hours=lead), START + timedelta(days=10))
                   for i, lead in enumerate(leads)]
    data = DeliveryData(deployments=deployments, changes=changes_table(change_rows), incidents=incidents,
                        remediations=remediations)
    return data, [float(lead) for lead in leads]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(delivery_data())
def test_rates_are_fractions_and_percentiles_are_monotone(generated: tuple[DeliveryData, list[float]]) -> None:
    data, leads = generated
    results = compute_dora_metrics(data, start=START, end=END)
    for metrics in results.values():
        assert 0 <= metrics.failed_deployments <= metrics.deployments
        if metrics.deployments:
            assert metrics.change_fail_rate is not None and 0 <= metrics.change_fail_rate <= 1
            assert metrics.rework_rate is not None and 0 <= metrics.rework_rate <= 1
        recovery = metrics.failed_deployment_recovery_hours
        assert recovery.n + recovery.unrecovered <= metrics.failed_deployments
        if recovery.n:
            assert recovery.median is not None and recovery.p75 is not None and recovery.p90 is not None
            assert 0 <= recovery.median <= recovery.p75 <= recovery.p90
    lead = results["api"].lead_time_hours
    positive = [value for value in leads if value > 0]
    assert lead.skipped == len(leads) - len(positive)
    assert lead.n == len(positive)
    if positive:
        assert lead.median is not None and lead.p75 is not None and lead.p90 is not None
        assert lead.median <= lead.p75 <= lead.p90
        assert lead.median == pytest.approx(float(np.percentile(positive, 50)))
        assert lead.p90 == pytest.approx(float(np.percentile(positive, 90)))
    else:
        assert lead.median is None
