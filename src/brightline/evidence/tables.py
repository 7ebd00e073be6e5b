"""The stored evidence as the Arrow tables ``brightline.core.delivery`` computes over.

One query per table (``values_list`` straight into ``pyarrow`` arrays), never a query per row.
Deployment ids are the database ids as strings, so attributions can be written back.

Given the window the figures are for, the changes (commits or pull requests: by far the largest table,
one row per change over the whole history) are read for that window only: those deployed inside it (lead
time), those an incident names as its root cause (attribution), and one row per service that stands for
its other changes, with no sha and no times, so the basis of its lead time is still stated. Incidents and
remediations stay whole: attribution and recovery look before and after the window. Deployments stay whole
too, unless the caller asks only for DORA figures from a given moment on (``deployments_from``): then the
ones from that moment and the few earlier rows those figures can depend on are read. Every DORA and quality
figure of a window inside the one read equals the figure computed from every row
(``tests/test_delivery_window.py`` checks it on generated organisations).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pyarrow as pa
from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from brightline.core.delivery import DeliveryData
from brightline.evidence.models import (
    CommitRecord,
    Deployment,
    Incident,
    PullRequest,
    Remediation,
    Repository,
    Service,
)

_TIMESTAMP = pa.timestamp("us", tz="UTC")


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


Window = tuple[datetime, datetime]


def _merged_pull_requests(service_ids: list[int]) -> QuerySet[PullRequest]:
    return PullRequest.objects.filter(service_id__in=service_ids, merged_at__isnull=False,
                                      first_commit_at__isnull=False).exclude(merge_sha="")


def _root_cause_shas(service_ids: list[int]) -> QuerySet[Incident]:
    """The commits incidents of these services name as their root cause (a sub-query, not a list)."""
    return Incident.objects.filter(service_id__in=service_ids).exclude(root_cause_sha="").values("root_cause_sha")


def _pull_request_changes(service_ids: list[int],
                          window: Window | None = None) -> list[tuple[int, str, datetime, datetime | None]]:
    """``(service id, merge sha, first commit time, deployed at)`` for every merged pull request with
    a first commit time. Deployed at: the first production deployment containing the merge commit
    (the release the ingested commit first shipped in, else a successful production deployment of
    exactly that sha); None while no deployment contains it.

    With a ``window``: only the pull requests whose merge commit a deployment in the window shipped, or
    an incident names as its root cause (their deployed at still from every release of the sha)."""
    pulls_query = _merged_pull_requests(service_ids)
    if window is not None:
        start, end = window
        shipped = CommitRecord.objects.filter(repository__service_id__in=service_ids, first_release__isnull=False,
                                              first_release__deployed_at__gte=start,
                                              first_release__deployed_at__lt=end).values("sha")
        deployed = Deployment.objects.filter(service_id__in=service_ids, status=Deployment.Status.SUCCESS,
                                             deployed_at__gte=start, deployed_at__lt=end).values("sha")
        pulls_query = pulls_query.filter(Q(merge_sha__in=shipped) | Q(merge_sha__in=deployed)
                                         | Q(merge_sha__in=_root_cause_shas(service_ids)))
    pulls = list(pulls_query.values_list("service_id", "merge_sha", "first_commit_at"))
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


def _services_with_deployed_pull_requests(services: dict[int, Service]) -> set[int]:
    """The services with a merged pull request that a production deployment has shipped, at any time: two
    queries that the database answers, not one row per pull request."""
    ids = list(services)
    merged = _merged_pull_requests(ids)
    found = set(merged.filter(Exists(CommitRecord.objects.filter(
        repository__service_id=OuterRef("service_id"), sha=OuterRef("merge_sha"), first_release__isnull=False)))
        .values_list("service_id", flat=True).distinct().order_by())
    # Only services with a merged pull request can have one shipped: SQLite would otherwise look for a pull request
    # of each successful deployment among every pull request of its service.
    rest = sorted(set(merged.filter(service_id__in=[pk for pk in ids if pk not in found])
                      .values_list("service_id", flat=True).distinct().order_by()))
    if rest:
        for service_id, environment in Deployment.objects.filter(
                service_id__in=rest, status=Deployment.Status.SUCCESS).filter(Exists(merged.filter(
                service_id=OuterRef("service_id"), merge_sha=OuterRef("sha")))).values_list(
                "service_id", "environment").distinct().order_by():
            if services[service_id].is_production(environment):
                found.add(service_id)
    return found


def _services_with_commits(service_ids: list[int]) -> set[int]:
    """The services with at least one commit that is not a merge (a change), at any time."""
    return set(Repository.objects.filter(service_id__in=service_ids).filter(Exists(CommitRecord.objects.filter(
        repository=OuterRef("pk"), is_merge=False))).values_list("service_id", flat=True).distinct().order_by())


_DEPLOYMENT_FIELDS = ("id", "service_id", "environment", "deployed_at", "sha", "version", "status")


def _deployment_rows(by_id: dict[int, Service], only: Q, since: datetime | None) -> list[tuple]:
    """Every deployment of the services, or with ``since``: those from ``since`` on (with no upper bound, so
    attribution and recovery still find the later ones), and before it only the rows a figure from ``since``
    on can depend on: each service's latest production deployment (an inferred attribution or an undeclared
    remediation after ``since`` may land on it; it also keeps a service with no later deployment among the
    groups), and the deployments incidents and remediations name, or that first shipped a root-cause commit
    (a link to them must not fall through to a later deployment)."""
    ids = list(by_id)
    deployments = Deployment.objects.filter(only, service_id__in=ids)
    if since is None:
        return list(deployments.values_list(*_DEPLOYMENT_FIELDS))
    rows = list(deployments.filter(deployed_at__gte=since).values_list(*_DEPLOYMENT_FIELDS))
    earlier = deployments.filter(deployed_at__lt=since)
    latest: dict[int, datetime] = {}
    for service_id, environment, moment in earlier.filter(status=Deployment.Status.SUCCESS).values(
            "service_id", "environment").annotate(last=Max("deployed_at")).values_list(
            "service_id", "environment", "last").order_by():
        if by_id[service_id].is_production(environment) and (service_id not in latest or moment > latest[service_id]):
            latest[service_id] = moment
    root_causes = _root_cause_shas(ids)
    named = (Q(pk__in=Incident.objects.filter(service_id__in=ids).values("linked_deployment_id"))
             | Q(pk__in=Remediation.objects.filter(service_id__in=ids).values("failed_deployment_id"))
             | Q(pk__in=Remediation.objects.filter(service_id__in=ids).values("remediation_deployment_id"))
             | Q(sha__in=root_causes)
             | Q(deployed_at__in=CommitRecord.objects.filter(
                 repository__service_id__in=ids, sha__in=root_causes, first_release__isnull=False)
                 .values("first_release__deployed_at")))
    # Rows of another service at the same moment come along; any true row more leaves the figures unchanged.
    rows += earlier.filter(named | Q(deployed_at__in=sorted(set(latest.values())))).values_list(*_DEPLOYMENT_FIELDS)
    return rows


def build_delivery_data(services: Iterable[Service], *, window: Window | None = None,
                        only: dict[str, Q] | None = None, changes_of: Iterable[int] | None = None,
                        deployments_from: datetime | None = None) -> DeliveryData:
    """Deployments, changes, incidents, remediations and the service → team table for ``services``.

    ``window`` (start, end): the changes are read for figures of windows inside it only (see above).
    ``deployments_from``: the deployments are read for DORA figures of windows from that moment on only
    (see ``_deployment_rows``).
    ``only``: a further filter of the ``"deployments"``, ``"incidents"`` or ``"remediations"`` read;
    ``changes_of``: the ids of the services whose changes are read (all by default)."""
    services = list(services)
    by_id = {service.pk: service for service in services}
    ids = list(by_id)
    only = only or {}

    deployment_rows = _deployment_rows(by_id, only.get("deployments", Q()), deployments_from)
    production = {pk: {name.strip().lower() for name in service.production_environments}
                  for pk, service in by_id.items()}
    deployments = pa.table({
        "deployment_id": pa.array([str(row[0]) for row in deployment_rows], pa.string()),
        "service": pa.array([by_id[row[1]].name for row in deployment_rows], pa.string()),
        "environment": pa.array([row[2] for row in deployment_rows], pa.string()),
        "deployed_at": pa.array([_utc(row[3]) for row in deployment_rows], _TIMESTAMP),
        "sha": pa.array([row[4] or None for row in deployment_rows], pa.string()),
        "version": pa.array([row[5] for row in deployment_rows], pa.string()),
        "status": pa.array([row[6] for row in deployment_rows], pa.string()),
        "is_production": pa.array([row[2].strip().lower() in production[row[1]] for row in deployment_rows],
                                  pa.bool_()),
    })

    change_ids = ids if changes_of is None else [pk for pk in ids if pk in set(changes_of)]
    pull_rows = _pull_request_changes(change_ids, window)
    if window is None:
        by_pull_requests = {row[0] for row in pull_rows if row[3] is not None}  # services with a deployed PR
    else:
        by_pull_requests = _services_with_deployed_pull_requests({pk: by_id[pk] for pk in change_ids})
    by_commits = [pk for pk in change_ids if pk not in by_pull_requests]
    # Merges are left out of lead time: their author time is the merge, not the start of the work.
    commits = CommitRecord.objects.filter(repository__service_id__in=by_commits, is_merge=False)
    if window is not None:
        start, end = window
        commits = commits.filter(Q(first_release__deployed_at__gte=start, first_release__deployed_at__lt=end)
                                 | Q(sha__in=_root_cause_shas(change_ids)))
    change_rows: list[tuple[int, str | None, datetime | None, datetime | None, str]] = [
        row + ("commit",) for row in commits.values_list(
            "repository__service_id", "sha", "authored_at", "first_release__deployed_at")]
    change_rows += [row + ("pull_request",) for row in pull_rows if row[0] in by_pull_requests]
    if window is not None:  # one row with no sha and no times per service: its basis, counted in no figure
        change_rows += [(pk, None, None, None, "pull_request") for pk in sorted(by_pull_requests)]
        change_rows += [(pk, None, None, None, "commit") for pk in sorted(_services_with_commits(by_commits))]
    changes = pa.table({
        "service": pa.array([by_id[row[0]].name for row in change_rows], pa.string()),
        "sha": pa.array([row[1] for row in change_rows], pa.string()),
        "first_commit_author_time": pa.array([_utc(row[2]) for row in change_rows], _TIMESTAMP),
        "deployed_at": pa.array([_utc(row[3]) for row in change_rows], _TIMESTAMP),
        "basis": pa.array([row[4] for row in change_rows], pa.string()),
    })

    incident_rows = list(Incident.objects.filter(only.get("incidents", Q()), service_id__in=ids).values_list(
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

    remediation_rows = list(Remediation.objects.filter(only.get("remediations", Q()), service_id__in=ids).values_list(
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


def build_attribution_data(services: Iterable[Service], *, deployments: Q | None = None,
                           incidents: Q | None = None) -> DeliveryData:
    """What incident attribution reads for ``services``: the deployments and incidents (every one, or those the
    filters keep), no remediation, and of the changes only those an incident names as its root cause (and each
    service's basis row), not every change ever made. With an incident filter, only the services of the
    incidents it keeps that name a root cause have their changes read: a change counts for its own service's
    incidents only.

    An empty window gives exactly that: no change was deployed inside it. The attribution equals the one
    computed from every row (``tests/test_delivery_window.py``)."""
    moment = datetime(1970, 1, 1, tzinfo=UTC)
    only = {"remediations": Q(pk__in=[])}
    if deployments is not None:
        only["deployments"] = deployments
    changes_of: set[int] | None = None
    if incidents is not None:
        only["incidents"] = incidents
        services = list(services)
        changes_of = set(Incident.objects.filter(incidents, service__in=services).exclude(root_cause_sha="")
                         .values_list("service_id", flat=True).distinct().order_by())
    return build_delivery_data(services, window=(moment, moment), only=only, changes_of=changes_of)
