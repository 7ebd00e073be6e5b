"""One set of deployments per service: deployment events win over release tags.

A service can be told about its production deployments twice: a git sync reads its release tags (one
deployment per tag, source ``git``) and a deployment source (``brightline import events``, the events webhook,
CI, a code platform) sends what actually went out. Counting both would count every release twice and dilute its
change-fail rate. The rule, applied wherever deployments are saved and whichever is read first:

- a service with at least one production deployment from a source other than release tags has those events as
  its deployments, and its release tags are not saved as deployments (a sync after the events skips them);
- when the events arrive after the tags, the tag deployments are deleted, and what pointed at one of them (the
  commits it first shipped, remediations, incidents' declared deployment) moves to the event deployment of the
  same commit, or to none until the next git sync finds the first deployment that contains it.

The tags stay what they are in git: release points the sync reads to place commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from django.db import models, transaction

from brightline.evidence.models import CommitRecord, Deployment, Incident, Remediation, Service
from brightline.evidence.touched import AttributionTouches

TAG_SOURCE: Final = "git"
"""The source of the deployments a git sync saves, one per release tag."""


def services_with_deployment_events(services: Iterable[Service]) -> set[int]:
    """The ids of ``services`` with a production deployment (of any status) from a source other than release tags:
    the services whose release tags are not deployments."""
    by_id = {service.pk: service for service in services}
    found: set[int] = set()
    for service_id, environment in (Deployment.objects.filter(service_id__in=list(by_id)).exclude(source=TAG_SOURCE)
                                    .values_list("service_id", "environment").distinct().order_by()):
        if by_id[service_id].is_production(environment):
            found.add(service_id)
    return found


def drop_tag_deployments(services: Iterable[Service], *, touches: AttributionTouches | None = None) -> int:
    """Delete the release-tag deployments of those ``services`` that have deployment events, moving what pointed at
    each to the service's successful production event deployment of the same commit (else to none); how many were
    deleted. ``touches`` is told of each deleted deployment, so attribution looks again at the incidents it could
    decide."""
    services = list(services)
    by_id = {service.pk: service for service in services}
    chosen = services_with_deployment_events(services)
    if not chosen:
        return 0
    tags = list(Deployment.objects.filter(source=TAG_SOURCE, service_id__in=chosen)
                .values_list("id", "service_id", "deployed_at", "sha"))
    if not tags:
        return 0
    events: dict[int, list[tuple[str, int]]] = {}
    for pk, service_id, sha, environment in (Deployment.objects.filter(service_id__in=chosen,
                                                                       status=Deployment.Status.SUCCESS)
                                             .exclude(source=TAG_SOURCE).exclude(sha="")
                                             .order_by("deployed_at", "id")
                                             .values_list("id", "service_id", "sha", "environment")):
        if by_id[service_id].is_production(environment):
            events.setdefault(service_id, []).append((sha.lower(), pk))
    moved: dict[int, int | None] = {}
    for pk, service_id, _, sha in tags:
        full = sha.lower()
        # An event may name the commit abbreviated; the earliest event deployment of it is the one that shipped it.
        moved[pk] = next((event for short, event in events.get(service_id, [])
                          if short and (full.startswith(short) or short.startswith(full))), None) if full else None
    # The incidents declared on or attributed to a tag deployment: attribution looks at each again.
    incidents = list(Incident.objects.filter(models.Q(linked_deployment_id__in=list(moved))
                                             | models.Q(attributed_deployment_id__in=list(moved)))
                     .values_list("id", flat=True)) if touches is not None else []
    with transaction.atomic():
        for old, new in moved.items():
            if new is None:
                continue  # deleting sets the links to none
            CommitRecord.objects.filter(first_release_id=old).update(first_release_id=new)
            Remediation.objects.filter(failed_deployment_id=old).update(failed_deployment_id=new)
            Remediation.objects.filter(remediation_deployment_id=old).update(remediation_deployment_id=new)
            Incident.objects.filter(linked_deployment_id=old).update(linked_deployment_id=new)
        Deployment.objects.filter(pk__in=list(moved)).delete()
    if touches is not None:
        touches.touch(deployments=[(pk, service_id, deployed_at, sha) for pk, service_id, deployed_at, sha in tags],
                      incidents=incidents)
    return len(tags)
