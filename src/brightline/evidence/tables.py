"""The stored evidence as the Arrow tables ``brightline.core.delivery`` computes over.

One query per table (``values_list`` straight into ``pyarrow`` arrays), never a query per row.
Deployment ids are the database ids as strings, so attributions can be written back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pyarrow as pa

from brightline.core.delivery import DeliveryData
from brightline.evidence.models import CommitRecord, Deployment, Incident, PullRequest, Remediation, Service

_TIMESTAMP = pa.timestamp("us", tz="UTC")


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _pull_request_changes(service_ids: list[int]) -> list[tuple[int, str, datetime, datetime | None]]:
    """``(service id, merge sha, first commit time, deployed at)`` for every merged pull request with
    a first commit time. Deployed at: the first production deployment containing the merge commit
    (the release the ingested commit first shipped in, else a successful production deployment of
    exactly that sha); None while no deployment contains it."""
    pulls = list(PullRequest.objects.filter(service_id__in=service_ids, merged_at__isnull=False,
                                            first_commit_at__isnull=False).exclude(merge_sha="")
                 .values_list("service_id", "merge_sha", "first_commit_at"))
    if not pulls:
        return []
    shas = sorted({sha for _, sha, _ in pulls})
    released: dict[tuple[int, str], datetime] = {}
    services = {service.pk: service for service in Service.objects.filter(pk__in=service_ids)}
    for start in range(0, len(shas), 500):
        chunk = shas[start:start + 500]
        for service_id, sha, deployed_at in CommitRecord.objects.filter(
                repository__service_id__in=service_ids, sha__in=chunk, first_release__isnull=False).values_list(
                "repository__service_id", "sha", "first_release__deployed_at"):
            released[(service_id, sha)] = min(deployed_at, released.get((service_id, sha), deployed_at))
        for service_id, sha, environment, deployed_at in Deployment.objects.filter(
                service_id__in=service_ids, sha__in=chunk, status=Deployment.Status.SUCCESS).values_list(
                "service_id", "sha", "environment", "deployed_at"):
            if services[service_id].is_production(environment) and (service_id, sha) not in released:
                released[(service_id, sha)] = deployed_at
    return [(service_id, sha, first_commit_at, released.get((service_id, sha)))
            for service_id, sha, first_commit_at in pulls]


def build_delivery_data(services: Iterable[Service]) -> DeliveryData:
    """Deployments, changes, incidents, remediations and the service → team table for ``services``."""
    services = list(services)
    by_id = {service.pk: service for service in services}
    ids = list(by_id)

    deployment_rows = list(Deployment.objects.filter(service_id__in=ids).values_list(
        "id", "service_id", "environment", "deployed_at", "sha", "version", "status"))
    deployments = pa.table({
        "deployment_id": pa.array([str(row[0]) for row in deployment_rows], pa.string()),
        "service": pa.array([by_id[row[1]].name for row in deployment_rows], pa.string()),
        "environment": pa.array([row[2] for row in deployment_rows], pa.string()),
        "deployed_at": pa.array([_utc(row[3]) for row in deployment_rows], _TIMESTAMP),
        "sha": pa.array([row[4] or None for row in deployment_rows], pa.string()),
        "version": pa.array([row[5] for row in deployment_rows], pa.string()),
        "status": pa.array([row[6] for row in deployment_rows], pa.string()),
        "is_production": pa.array([by_id[row[1]].is_production(row[2]) for row in deployment_rows], pa.bool_()),
    })

    pull_rows = _pull_request_changes(ids)
    by_pull_requests = {row[0] for row in pull_rows if row[3] is not None}  # services with a deployed PR
    # Merges are left out of lead time: their author time is the merge, not the start of the work.
    change_rows = [row + ("commit",) for row in CommitRecord.objects.filter(
        repository__service_id__in=[pk for pk in ids if pk not in by_pull_requests], is_merge=False).values_list(
        "repository__service_id", "sha", "authored_at", "first_release__deployed_at")]
    change_rows += [row + ("pull_request",) for row in pull_rows if row[0] in by_pull_requests]
    changes = pa.table({
        "service": pa.array([by_id[row[0]].name for row in change_rows], pa.string()),
        "sha": pa.array([row[1] for row in change_rows], pa.string()),
        "first_commit_author_time": pa.array([_utc(row[2]) for row in change_rows], _TIMESTAMP),
        "deployed_at": pa.array([_utc(row[3]) for row in change_rows], _TIMESTAMP),
        "basis": pa.array([row[4] for row in change_rows], pa.string()),
    })

    incident_rows = list(Incident.objects.filter(service_id__in=ids).values_list(
        "id", "service_id", "severity", "opened_at", "resolved_at", "linked_deployment_id", "root_cause_sha",
        "title"))
    incidents = pa.table({
        "incident_id": pa.array([str(row[0]) for row in incident_rows], pa.string()),
        "service": pa.array([by_id[row[1]].name for row in incident_rows], pa.string()),
        "severity": pa.array([row[2] or None for row in incident_rows], pa.string()),
        "opened_at": pa.array([_utc(row[3]) for row in incident_rows], _TIMESTAMP),
        "resolved_at": pa.array([_utc(row[4]) for row in incident_rows], _TIMESTAMP),
        "linked_deployment_id": pa.array([_text(row[5]) for row in incident_rows], pa.string()),
        "root_cause_sha": pa.array([row[6] or None for row in incident_rows], pa.string()),
        "title": pa.array([row[7] for row in incident_rows], pa.string()),
    })

    remediation_rows = list(Remediation.objects.filter(service_id__in=ids).values_list(
        "service_id", "kind", "occurred_at", "failed_deployment_id", "remediation_deployment_id"))
    remediations = pa.table({
        "service": pa.array([by_id[row[0]].name for row in remediation_rows], pa.string()),
        "kind": pa.array([row[1] for row in remediation_rows], pa.string()),
        "occurred_at": pa.array([_utc(row[2]) for row in remediation_rows], _TIMESTAMP),
        "failed_deployment_id": pa.array([_text(row[3]) for row in remediation_rows], pa.string()),
        "remediation_deployment_id": pa.array([_text(row[4]) for row in remediation_rows], pa.string()),
    })

    teams = pa.table({
        "service": pa.array([service.name for service in services], pa.string()),
        "team": pa.array([service.team.slug if service.team_id else None for service in services], pa.string()),
    })
    return DeliveryData(deployments=deployments, changes=changes, incidents=incidents, remediations=remediations,
                        teams=teams)
