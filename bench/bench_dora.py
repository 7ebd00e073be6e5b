"""Benchmark: compute_dora_metrics against hand-written DuckDB SQL (and Polars for lead time).

Usage:
    .venv/bin/python bench/bench_dora.py [--deployments 2000000] [--changes 8000000] [--repeat 3]

Generates 10 million synthetic deployment + change rows for 1,000 services (plus 100k
incidents and 50k rollbacks/reverts/hotfixes), then times, in this one run:

* ``compute_dora_metrics`` (Arrow in, typed results out), group by service;
* the same metrics as one hand-written DuckDB query over the same Arrow tables;
* grouped lead-time percentiles in DuckDB vs Polars (the engine choice).

Each timing is the best of ``--repeat`` runs after one warm-up; ratios are printed.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from brightline.core.delivery import DeliveryData, compute_dora_metrics  # noqa: E402

SERVICES = 1_000
START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2025, 1, 1, tzinfo=UTC)
SECONDS = int((END - START).total_seconds())
BASE_US = int(START.timestamp() * 1_000_000)


def timestamps(seconds: np.ndarray) -> pa.Array:
    return pa.array(BASE_US + seconds.astype(np.int64) * 1_000_000, pa.timestamp("us", tz="UTC"))


def generate(deployments_n: int, changes_n: int, seed: int = 11) -> DeliveryData:
    rng = np.random.default_rng(seed)
    service_names = pa.array([f"svc-{i:04d}" for i in range(SERVICES)])
    dep_service = rng.integers(0, SERVICES, deployments_n)
    dep_seconds = rng.integers(0, SECONDS, deployments_n)
    dep_ids = np.arange(deployments_n, dtype=np.int64)
    deployments = pa.table(
        {
            "deployment_id": dep_ids,
            "service": service_names.take(pa.array(dep_service)),
            "environment": pa.array(np.where(rng.random(deployments_n) < 0.9, "production", "staging")),
            "deployed_at": timestamps(dep_seconds),
            "sha": pc.cast(pa.array(rng.integers(0, 2**62, deployments_n)), pa.string()),
            "status": pa.array(np.where(rng.random(deployments_n) < 0.98, "success", "failed")),
            "is_production": pa.array(rng.random(deployments_n) < 0.9),
        }
    )
    # Each change ships with a random deployment; its first commit is a log-normal time earlier
    # (median ~20 h), with ~1 % clock-skewed into the future.
    shipped_with = rng.integers(0, deployments_n, changes_n)
    lead_seconds = (rng.lognormal(mean=np.log(20 * 3600), sigma=1.5, size=changes_n)).astype(np.int64)
    lead_seconds[rng.random(changes_n) < 0.01] *= -1
    change_deployed = dep_seconds[shipped_with]
    change_sha = pc.cast(pa.array(rng.integers(0, 2**62, changes_n)), pa.string())
    changes = pa.table(
        {
            "service": service_names.take(pa.array(dep_service[shipped_with])),
            "sha": change_sha,
            "first_commit_author_time": timestamps(change_deployed - lead_seconds),
            "deployed_at": timestamps(change_deployed),
        }
    )
    incidents_n = 100_000
    inc_service = rng.integers(0, SERVICES, incidents_n)
    opened = rng.integers(0, SECONDS, incidents_n)
    resolved = opened + rng.exponential(6 * 3600, incidents_n).astype(np.int64)
    linked = np.where(rng.random(incidents_n) < 0.2, rng.integers(0, deployments_n, incidents_n), -1)
    root_pick = rng.integers(0, changes_n, incidents_n)
    has_root = rng.random(incidents_n) < 0.1
    incidents = pa.table(
        {
            "incident_id": np.arange(incidents_n, dtype=np.int64),
            "service": service_names.take(pa.array(inc_service)),
            "severity": pa.array(rng.choice(["sev1", "sev2", "sev3"], incidents_n)),
            "opened_at": timestamps(opened),
            "resolved_at": pa.array(
                timestamps(resolved).to_numpy(zero_copy_only=False),
                mask=rng.random(incidents_n) < 0.1,
                type=pa.timestamp("us", tz="UTC"),
            ),
            "linked_deployment_id": pa.array(linked, mask=linked < 0, type=pa.int64()),
            "root_cause_sha": pc.if_else(
                pa.array(has_root), change_sha.take(pa.array(root_pick)), pa.scalar(None, pa.string())
            ),
        }
    )
    remediations_n = 50_000
    rem_dep = rng.integers(0, deployments_n, remediations_n)
    rem_known = rng.random(remediations_n) < 0.5
    rem_fix = np.where(rng.random(remediations_n) < 0.3, rng.integers(0, deployments_n, remediations_n), -1)
    remediations = pa.table(
        {
            "service": service_names.take(pa.array(dep_service[rem_dep])),
            "kind": pa.array(rng.choice(["rollback", "revert", "hotfix"], remediations_n)),
            "occurred_at": timestamps(dep_seconds[rem_dep] + rng.integers(60, 7200, remediations_n)),
            "failed_deployment_id": pa.array(np.where(rem_known, rem_dep, -1), mask=~rem_known, type=pa.int64()),
            "remediation_deployment_id": pa.array(rem_fix, mask=rem_fix < 0, type=pa.int64()),
        }
    )
    return DeliveryData(deployments=deployments, changes=changes, incidents=incidents, remediations=remediations)


HAND_WRITTEN_SQL = """
WITH prod AS (
    SELECT deployment_id, service, deployed_at::TIMESTAMP AS deployed_at, sha
    FROM deployments WHERE is_production AND status = 'success'
),
inc AS (SELECT incident_id, service, opened_at::TIMESTAMP AS opened_at, resolved_at::TIMESTAMP AS resolved_at,
               linked_deployment_id, root_cause_sha FROM incidents),
root_changes AS MATERIALIZED (
    SELECT service, sha, deployed_at::TIMESTAMP AS deployed_at FROM changes
    WHERE sha IN (SELECT root_cause_sha FROM incidents WHERE root_cause_sha IS NOT NULL)
),
root AS (
    SELECT incident_id, arg_min(deployment_id, deployed_at) AS deployment_id FROM (
        SELECT i.incident_id, p.deployment_id, p.deployed_at FROM inc i
        JOIN prod p ON p.service = i.service AND p.sha = i.root_cause_sha
        UNION ALL
        SELECT i.incident_id, p.deployment_id, p.deployed_at FROM inc i
        JOIN root_changes c ON c.service = i.service AND c.sha = i.root_cause_sha
        JOIN prod p ON p.service = c.service AND p.deployed_at = c.deployed_at
    ) GROUP BY incident_id
),
inferred AS (
    SELECT i.incident_id, p.deployment_id FROM inc i
    ASOF JOIN prod p ON i.service = p.service AND i.opened_at >= p.deployed_at
    WHERE i.opened_at - p.deployed_at <= INTERVAL 24 HOUR
),
inc_dep AS (
    SELECT coalesce(d.deployment_id, r.deployment_id, f.deployment_id) AS deployment_id, i.resolved_at
    FROM inc i LEFT JOIN prod d ON d.deployment_id = i.linked_deployment_id
    LEFT JOIN root r USING (incident_id) LEFT JOIN inferred f USING (incident_id)
),
rem AS (
    SELECT r.*, coalesce(rp.deployed_at, r.occurred_at::TIMESTAMP) AS fixed_at
    FROM remediations r LEFT JOIN prod rp ON rp.deployment_id = r.remediation_deployment_id
),
rem_dep AS (
    SELECT coalesce(fp.deployment_id, p.deployment_id) AS deployment_id, r.fixed_at FROM rem r
    LEFT JOIN prod fp ON fp.deployment_id = r.failed_deployment_id
    ASOF LEFT JOIN prod p ON r.service = p.service AND r.fixed_at > p.deployed_at
),
fi AS (SELECT deployment_id, CASE WHEN count(*) = count(resolved_at) THEN max(resolved_at) END AS resolved_at,
              count(*) > count(resolved_at) AS open_incident
       FROM inc_dep WHERE deployment_id IS NOT NULL GROUP BY ALL),
fr AS (SELECT deployment_id, min(fixed_at) AS fixed_at FROM rem_dep WHERE deployment_id IS NOT NULL GROUP BY ALL),
rework AS (SELECT DISTINCT remediation_deployment_id AS deployment_id FROM remediations
           WHERE remediation_deployment_id IS NOT NULL),
flagged AS (
    SELECT p.service, p.deployed_at, fi.deployment_id IS NOT NULL OR fr.deployment_id IS NOT NULL AS failed,
           fi.resolved_at, coalesce(fi.open_incident, false) AS open_incident, fr.fixed_at,
           rw.deployment_id IS NOT NULL AS rework
    FROM prod p LEFT JOIN fi USING (deployment_id) LEFT JOIN fr USING (deployment_id)
    LEFT JOIN rework rw USING (deployment_id)
),
recovery AS (
    SELECT f.service, (epoch_us(CASE WHEN f.open_incident THEN NULL
                                 ELSE coalesce(f.resolved_at, f.fixed_at, g.deployed_at) END)
                       - epoch_us(f.deployed_at)) / 3.6e9 AS hours
    FROM (SELECT * FROM flagged WHERE failed AND deployed_at >= $start AND deployed_at < $end) f
    ASOF LEFT JOIN (SELECT service, deployed_at FROM flagged WHERE NOT failed) g
        ON f.service = g.service AND g.deployed_at > f.deployed_at
),
d AS (SELECT service, count(*) AS n, count(*) FILTER (WHERE failed) AS failed,
             count(*) FILTER (WHERE rework) AS rework
      FROM flagged WHERE deployed_at >= $start AND deployed_at < $end GROUP BY ALL),
r AS (SELECT service, quantile_cont(hours, [0.5, 0.75, 0.9]) FILTER (WHERE hours >= 0) AS q,
             count(hours) FILTER (WHERE hours >= 0) AS n FROM recovery GROUP BY ALL),
l AS (SELECT service, quantile_cont(h, [0.5, 0.75, 0.9]) FILTER (WHERE h > 0) AS q,
             count(*) FILTER (WHERE h > 0) AS n, count(*) FILTER (WHERE h <= 0) AS skipped
      FROM (SELECT service, (epoch_us(deployed_at::TIMESTAMP) - epoch_us(first_commit_author_time::TIMESTAMP))
                            / 3.6e9 AS h
            FROM changes WHERE deployed_at::TIMESTAMP >= $start AND deployed_at::TIMESTAMP < $end)
      GROUP BY ALL)
SELECT service, d.n, d.failed / d.n AS change_fail_rate, d.rework / d.n AS rework_rate,
       l.q AS lead_q, l.n AS lead_n, l.skipped, r.q AS recovery_q, r.n AS recovery_n
FROM d FULL JOIN l USING (service) LEFT JOIN r USING (service) ORDER BY service
"""


def run_hand_written(data: DeliveryData) -> list[tuple[Any, ...]]:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.register("deployments", data.deployments)
    connection.register("changes", data.changes)
    connection.register("incidents", data.incidents)
    connection.register("remediations", data.remediations)
    rows = connection.execute(
        HAND_WRITTEN_SQL, {"start": START.replace(tzinfo=None), "end": END.replace(tzinfo=None)}
    ).fetchall()
    connection.close()
    return rows


def lead_time_duckdb(changes: pa.Table) -> pa.Table:
    connection = duckdb.connect()
    connection.register("changes", changes)
    result = connection.sql(
        "SELECT service, quantile_cont(h, [0.5, 0.75, 0.9]) AS q FROM ("
        " SELECT service, (epoch_us(deployed_at) - epoch_us(first_commit_author_time)) / 3.6e9 AS h FROM changes)"
        " WHERE h > 0 GROUP BY service"
    ).to_arrow_table()
    connection.close()
    return result


def lead_time_polars(changes: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(changes)
    assert isinstance(frame, pl.DataFrame)
    hours = (pl.col("deployed_at") - pl.col("first_commit_author_time")).dt.total_microseconds() / 3.6e9
    return (
        frame.lazy()
        .select(pl.col("service"), hours.alias("h"))
        .filter(pl.col("h") > 0)
        .group_by("service")
        .agg(
            pl.col("h").quantile(0.5, interpolation="linear").alias("p50"),
            pl.col("h").quantile(0.75, interpolation="linear").alias("p75"),
            pl.col("h").quantile(0.9, interpolation="linear").alias("p90"),
        )
        .collect()
    )


def best_of(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    function()  # warm-up
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, default=2_000_000)
    parser.add_argument("--changes", type=int, default=8_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    data = generate(args.deployments, args.changes)
    assert data.changes is not None
    print(
        f"generated {args.deployments:,} deployments + {args.changes:,} changes "
        f"({args.deployments + args.changes:,} rows) for {SERVICES:,} services in {time.perf_counter() - start:.1f} s"
    )

    ours_time, ours = best_of(lambda: compute_dora_metrics(data, start=START, end=END), args.repeat)
    hand_time, hand = best_of(lambda: run_hand_written(data), args.repeat)
    # Same answers, or the comparison means nothing.
    hand_by_service = {row[0]: row for row in hand}
    assert set(hand_by_service) == set(ours), "different services"
    for service, metrics in ours.items():
        row = hand_by_service[service]
        assert metrics.deployments == row[1]
        assert abs((metrics.change_fail_rate or 0) - row[2]) < 1e-12
        assert metrics.lead_time_hours.n == row[5] and metrics.lead_time_hours.skipped == row[6]
        assert metrics.lead_time_hours.median is not None
        assert abs(metrics.lead_time_hours.median - row[4][0]) < 1e-6
        assert metrics.failed_deployment_recovery_hours.n == row[8]

    duck_time, _ = best_of(lambda: lead_time_duckdb(data.changes), args.repeat)
    polars_time, _ = best_of(lambda: lead_time_polars(data.changes), args.repeat)

    print(f"compute_dora_metrics (group by service):     {ours_time:7.2f} s")
    print(f"hand-written DuckDB SQL, same metrics:        {hand_time:7.2f} s")
    print(f"RATIO ours / hand-written SQL:                {ours_time / hand_time:7.2f}x  (target <= 1.5x)")
    print(f"lead-time percentiles by service, DuckDB:     {duck_time:7.2f} s")
    print(f"lead-time percentiles by service, Polars:     {polars_time:7.2f} s")
    print(f"RATIO Polars / DuckDB:                        {polars_time / duck_time:7.2f}x")
    print(f"results agree for {len(ours):,} services; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
