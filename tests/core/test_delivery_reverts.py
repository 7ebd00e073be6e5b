"""The revert rules on their own, and the metric rule a declared remediation follows."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from brightline.core.delivery import DeliveryData, classify_reverts, compute_dora_metrics, resolve_sha, reverted_sha_in

RANK = {"v1": 0, "v2": 1, "v3": 2}


def decide(reverts: list[tuple[str, str]], first_release: dict[str, str]) -> list[tuple[str, str | None, str | None]]:
    return [(d.outcome, d.failed_deployment, d.fix_deployment) for d in classify_reverts(reverts, first_release, RANK)]


def test_the_outcome_of_each_kind_of_revert():
    released = {"c" * 40: "v1", "r" * 40: "v2", "s" * 40: "v2", "b" * 40: "v2"}
    assert decide([("r" * 40, "c" * 40)], released) == [("failure", "v1", "v2")]
    assert decide([("s" * 40, "b" * 40)], released) == [("rework", "v2", "v2")]  # same release
    assert decide([("u" * 40, "c" * 40)], released) == [("pending", None, None)]  # not deployed yet
    assert decide([("r" * 40, "f" * 40)], released) == [("unmatched", None, "v2")]  # not in this history


def test_a_chain_of_reverts_alternates_between_removing_and_reapplying_the_change():
    released = {"c" * 40: "v1", "r" * 40: "v2", "a" * 40: "v3"}
    chain = [("r" * 40, "c" * 40), ("a" * 40, "r" * 40)]
    assert decide(chain, released) == [("failure", "v1", "v2"), ("reapply", None, "v3")]
    # the revert is undone in the release that would have shipped it: the removal never went live
    undone = {"c" * 40: "v1", "r" * 40: "v2", "a" * 40: "v2"}
    assert decide(chain, undone) == [("rework", "v2", "v2"), ("rework", "v2", "v2")]
    # reverting the re-application removes the change again
    again = {"c" * 40: "v1", "r" * 40: "v2", "a" * 40: "v2", "z" * 40: "v3"}
    assert decide([*chain, ("z" * 40, "a" * 40)], again)[2] == ("failure", "v2", "v3")


def test_abbreviated_shas_resolve_only_when_unambiguous():
    candidates = sorted(["abcdef1" + "0" * 33, "abcdef2" + "0" * 33])
    assert resolve_sha("abcdef1", candidates) == candidates[0]
    assert resolve_sha("abcdef", candidates) is None
    assert reverted_sha_in('Revert "x"\n\nThis reverts commit ABCDEF1234.\n') == "abcdef1234"
    released = {"abcdef1" + "0" * 33: "v1", "r" * 40: "v2"}
    assert decide([("r" * 40, "abcdef1")], released) == [("failure", "v1", "v2")]


def at(day: int) -> datetime:
    return datetime(2026, 1, day, tzinfo=UTC)


def test_a_declared_remediation_fails_its_deployment_only_if_it_went_live_before_the_fix():
    stamp = pa.timestamp("us", tz="UTC")
    deployments = pa.table({
        "deployment_id": ["d1", "d2", "d3"], "service": ["api"] * 3, "environment": ["production"] * 3,
        "deployed_at": pa.array([at(1), at(2), at(3)], stamp), "sha": ["a", "b", "c"],
        "status": ["success"] * 3, "is_production": [True] * 3,
    })
    remediations = pa.table({
        "service": ["api", "api"], "kind": ["hotfix", "revert"],
        "occurred_at": pa.array([at(3), at(2)], stamp),
        "failed_deployment_id": ["d3", "d1"],  # d3 fixes itself (rework); d1 is fixed by d2
        "remediation_deployment_id": ["d3", "d2"],
    })
    metrics = compute_dora_metrics(DeliveryData(deployments=deployments, remediations=remediations),
                                   start=at(1), end=at(10))["api"]
    assert (metrics.deployments, metrics.failed_deployments, metrics.rework_deployments) == (3, 1, 2)
    assert metrics.failed_deployment_recovery_hours.median == 24.0
