"""Writing what GitHub and GitLab report, in one neutral shape both packages map onto."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from django.db import transaction

from brightline.evidence.identities import IdentityResolver
from brightline.evidence.models import CodeReview, Deployment, EvidenceItem, Incident, PullRequest, Service
from brightline.evidence.touched import DEPLOYMENT_INPUTS, INCIDENT_INPUTS, AttributionTouches

_SEVERITY = re.compile(r"^(?:sev(?:erity)?|priority|p)[\s:_-]*([0-9a-z]+)$", re.IGNORECASE)
STAGES: Final = ("pull_requests", "releases", "deployments", "incidents")
STAGE_POLICY_KEYS: Final = {"pull_requests": "code_review", "releases": "deployments",
                            "deployments": "deployments", "incidents": "incidents"}


@dataclass(frozen=True)
class ReviewRecord:
    external_id: str
    reviewer: str
    state: str
    submitted_at: datetime


@dataclass(frozen=True)
class PullRequestRecord:
    external_id: str
    number: int
    title: str
    url: str
    author: str
    state: str
    opened_at: datetime
    updated_at: datetime
    merged_at: datetime | None
    merge_sha: str
    first_commit_at: datetime | None
    reviews: list[ReviewRecord] = field(default_factory=list)
    approvals_at: list[datetime] = field(default_factory=list)
    """Approval times by someone other than the author (one per approver, the first)."""


@dataclass
class PlatformSyncResult(AttributionTouches):
    """What a sync read and wrote; the deployments and incidents it added or changed are held for the incident
    attribution that follows (:class:`~brightline.evidence.touched.AttributionTouches`)."""

    platform: str
    pull_requests: int = 0
    reviews: int = 0
    releases: int = 0
    deployments: int = 0
    incidents: int = 0
    requests: int = 0
    complete: bool = True
    skipped: list[str] = field(default_factory=list)
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "pull_requests": self.pull_requests, "reviews": self.reviews,
                "releases": self.releases, "deployments": self.deployments, "incidents": self.incidents,
                "requests": self.requests, "complete": self.complete, "skipped": self.skipped,
                "message": self.message}


def severity_from_labels(labels: list[str]) -> str:
    for label in labels:
        match = _SEVERITY.match(label.strip())
        if match:
            return match.group(1).lower()
    return ""


def save_pull_request(service: Service, source: str, record: PullRequestRecord, resolver: IdentityResolver) -> None:
    reviews = sorted(record.reviews, key=lambda review: review.submitted_at)
    first_review = next((review.submitted_at for review in reviews
                         if review.reviewer.casefold() != record.author.casefold()), None)
    person_id = resolver.resolve_handle(source, record.author)
    with transaction.atomic():
        pull_request, _ = PullRequest.objects.update_or_create(source=source, external_id=record.external_id, defaults={
            "service": service, "number": record.number, "title": record.title[:500], "url": record.url[:500],
            "author": record.author, "person_id": person_id, "state": record.state, "opened_at": record.opened_at,
            "first_commit_at": record.first_commit_at, "first_review_at": first_review,
            "approved_at": min(record.approvals_at) if record.approvals_at else None,
            "approvals": len(record.approvals_at), "merged_at": record.merged_at, "merge_sha": record.merge_sha,
            "updated_at": record.updated_at})
        for review in reviews:
            reviewer_id = resolver.resolve_handle(source, review.reviewer)
            CodeReview.objects.update_or_create(source=source, external_id=review.external_id, defaults={
                "pull_request": pull_request, "reviewer": review.reviewer, "person_id": reviewer_id,
                "state": review.state, "submitted_at": review.submitted_at})
            if reviewer_id is not None and review.state in {"approved", "changes_requested"}:
                EvidenceItem.objects.update_or_create(source=source, source_ref=f"review:{review.external_id}",
                                                      defaults={
                    "kind": EvidenceItem.Kind.CODE_REVIEW, "title": f"Reviewed: {record.title}"[:300],
                    "summary": f"Review ({review.state.replace('_', ' ')}) of {record.external_id}.",
                    "url": record.url[:500], "occurred_at": review.submitted_at, "person_id": reviewer_id,
                    "team_id": service.team_id, "service": service.name})
        if record.merged_at is not None and person_id is not None:
            EvidenceItem.objects.update_or_create(source=source, source_ref=record.external_id, defaults={
                "kind": EvidenceItem.Kind.MERGED_CHANGE, "title": record.title[:300] or record.external_id,
                "summary": f"Merged {record.external_id} into {service.name}.", "url": record.url[:500],
                "occurred_at": record.merged_at, "person_id": person_id, "team_id": service.team_id,
                "service": service.name})
        resolver.queue_unmatched()


def save_deployment(service: Service, source: str, *, external_id: str, environment: str, version: str, sha: str,
                    status: str, deployed_at: datetime, url: str = "",
                    touches: AttributionTouches | None = None) -> None:
    """Stored by ``(source, external_id)``; ``touches`` is told when what attribution reads of it changed."""
    before = (Deployment.objects.filter(source=source, external_id=external_id)
              .values_list(*DEPLOYMENT_INPUTS).first() if touches is not None else None)
    deployment, _ = Deployment.objects.update_or_create(source=source, external_id=external_id, defaults={
        "service": service, "environment": environment[:100], "version": version[:200], "sha": sha[:64],
        "status": status, "deployed_at": deployed_at, "url": url[:500]})
    if touches is not None:
        touches.touch_deployment(deployment.pk, before, tuple(getattr(deployment, name) for name in DEPLOYMENT_INPUTS))


def save_release(service: Service, source: str, *, external_id: str, name: str, sha: str, released_at: datetime,
                 url: str, touches: AttributionTouches | None = None) -> None:
    """A platform release: a deployment to the ``release`` environment (counted as production only when
    the service lists ``release`` among its production environments) and a team-level evidence item."""
    with transaction.atomic():
        save_deployment(service, source, external_id=external_id, environment="release", version=name, sha=sha,
                        status=Deployment.Status.SUCCESS, deployed_at=released_at, url=url, touches=touches)
        EvidenceItem.objects.update_or_create(source=source, source_ref=external_id, defaults={
            "kind": EvidenceItem.Kind.RELEASE, "title": f"Release {name} of {service.name}"[:300], "url": url[:500],
            "occurred_at": released_at, "team_id": service.team_id, "service": service.name})


def save_incident(service: Service, source: str, *, external_id: str, title: str, severity: str,
                  opened_at: datetime, resolved_at: datetime | None, url: str,
                  touches: AttributionTouches | None = None) -> None:
    """Stored by ``(source, external_id)``; ``touches`` is told when what attribution reads of it changed."""
    before = (Incident.objects.filter(source=source, external_id=external_id)
              .values_list(*INCIDENT_INPUTS).first() if touches is not None else None)
    incident, _ = Incident.objects.update_or_create(source=source, external_id=external_id, defaults={
        "service": service, "title": title[:300], "severity": severity[:32], "opened_at": opened_at,
        "resolved_at": resolved_at, "url": url[:500]})
    if touches is not None and before != tuple(getattr(incident, name) for name in INCIDENT_INPUTS):
        touches.touch(incidents=[incident.pk])


# --- the stage runner both platforms share ------------------------------------------------------
@dataclass
class Stage:
    """One resumable pass over a feed: where to resume, what was already seen, the new high-water mark."""

    name: str
    since: str | None
    resume_url: str | None = None
    high_water: str | None = None

    def see(self, moment: str | None) -> None:
        if moment and (self.high_water is None or moment > self.high_water):
            self.high_water = moment


def run_stages(*, platform: str, key: str, service: Service, fetcher: Any,
               stages: dict[str, Any], result: PlatformSyncResult,
               actor_label: str | None = None) -> PlatformSyncResult:
    """Run the allowed stages in order from the stored cursor; on a long rate limit store where we
    stopped (stage, page URL, high-water mark) and return an incomplete result."""
    from brightline.evidence.sources.base import ERR_SOURCE_NOT_ALLOWED, SourceNotAllowed, load_cursor, save_cursor
    from brightline.evidence.sources.http import RateLimited
    from brightline.policy.services import is_source_allowed

    allowed = [stage for stage in STAGES if is_source_allowed(STAGE_POLICY_KEYS[stage])]
    if not allowed:
        raise SourceNotAllowed(ERR_SOURCE_NOT_ALLOWED.format(key="code_review"))
    result.skipped = [f"{stage} (policy does not allow {STAGE_POLICY_KEYS[stage]!r})"
                      for stage in STAGES if stage not in allowed]
    cursor = load_cursor(platform, key)
    since: dict[str, str] = dict(cursor.position.get("since", {}))
    resume: dict[str, Any] | None = cursor.position.get("resume")
    first = STAGES.index(resume["stage"]) if resume else 0
    for name in STAGES[first:]:
        if name not in allowed:
            continue
        stage = Stage(name=name, since=since.get(name))
        if resume and resume["stage"] == name:
            stage.resume_url, stage.high_water = resume.get("url"), resume.get("high_water")
        try:
            stages[name](stage)
        except RateLimited as error:
            result.complete, result.message, result.requests = False, str(error), fetcher.requests
            save_cursor(cursor, position={"since": since, "resume": {"stage": name, "url": error.url,
                                                                     "high_water": stage.high_water}},
                        complete=False, message=str(error), service=service)
            _finish(platform, key, service, result, actor_label)
            return result
        if stage.high_water:
            since[name] = stage.high_water
        resume = None
    result.requests = fetcher.requests
    save_cursor(cursor, position={"since": since}, complete=True, service=service)
    _finish(platform, key, service, result, actor_label)
    return result


def _finish(platform: str, key: str, service: Service, result: PlatformSyncResult, actor_label: str | None) -> None:
    from brightline.audit.services import log_action
    from brightline.evidence.deployment_rule import drop_tag_deployments
    from brightline.evidence.metrics import update_touched_incident_attribution

    result.reviews = CodeReview.objects.filter(source=platform, pull_request__service=service).count()
    # Deployments (or releases counted as production) from the platform are the service's deployments: its release
    # tags stop being counted as deployments (see brightline.evidence.deployment_rule).
    drop_tag_deployments([service], touches=result)
    # Only the incidents the deployments and incidents this sync added or changed can move (none: nothing read).
    update_touched_incident_attribution(result)
    with transaction.atomic():
        log_action(f"evidence.{platform}.synced", None, service, {"feed": key, **result.to_json()},
                   actor_label=actor_label)
