"""Sync one GitLab project through the REST API v4.

Endpoints (all ``GET``, ``per_page=100``, following ``X-Next-Page`` or ``Link: rel="next"``);
``:id`` is the numeric id or the URL-encoded path (``group%2Fproject``):

* ``/projects/:id/merge_requests?state=all&order_by=updated_at&sort=asc&updated_after=…``;
* ``/projects/:id/merge_requests/:iid/notes?sort=asc&order_by=created_at`` — the first note by
  someone other than the author is the first review; system notes "approved this merge request"
  are approvals (GitLab's approvals endpoint has no times);
* ``/projects/:id/merge_requests/:iid/commits`` — the first commit's ``authored_date``;
* ``/projects/:id/releases``;
* ``/projects/:id/deployments?order_by=updated_at&sort=asc&updated_after=…``;
* ``/projects/:id/issues?labels=incident&scope=all&order_by=updated_at&sort=asc&updated_after=…``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote

from brightline.env import env_str
from brightline.evidence.identities import IdentityResolver
from brightline.evidence.models import Deployment, Service
from brightline.evidence.sources.http import DEFAULT_MAX_WAIT_SECONDS, Fetcher, HttpClient, UrllibClient, parse_time
from brightline.evidence.sources.platform import (
    PlatformSyncResult,
    PullRequestRecord,
    ReviewRecord,
    Stage,
    run_stages,
    save_deployment,
    save_incident,
    save_pull_request,
    save_release,
    severity_from_labels,
)

SOURCE: Final = "gitlab"
DEFAULT_API_URL: Final = "https://gitlab.com/api/v4"
INCIDENT_LABEL: Final = "incident"
APPROVAL_NOTE: Final = "approved this merge request"
_STATUS: Final = {"success": Deployment.Status.SUCCESS, "failed": Deployment.Status.FAILURE,
                  "canceled": Deployment.Status.CANCELLED, "running": Deployment.Status.IN_PROGRESS,
                  "created": Deployment.Status.IN_PROGRESS, "blocked": Deployment.Status.IN_PROGRESS}


def _merge_request(fetcher: Fetcher, base: str, project: str, raw: dict[str, Any]) -> PullRequestRecord:
    iid = raw["iid"]
    author = (raw.get("author") or {}).get("username", "")
    reviews: list[ReviewRecord] = []
    approvals: dict[str, Any] = {}
    for _, page in fetcher.pages(f"{base}/merge_requests/{iid}/notes?sort=asc&order_by=created_at&per_page=100"):
        for note in page:
            who = (note.get("author") or {}).get("username", "")
            at = parse_time(note.get("created_at"))
            if not who or at is None or who.casefold() == author.casefold():
                continue
            body = (note.get("body") or "").strip().lower()
            if note.get("system"):
                if body.startswith(APPROVAL_NOTE):
                    approvals.setdefault(who.casefold(), at)
                    reviews.append(ReviewRecord(external_id=f"{project}!{iid}/note-{note['id']}", reviewer=who,
                                                state="approved", submitted_at=at))
                continue
            reviews.append(ReviewRecord(external_id=f"{project}!{iid}/note-{note['id']}", reviewer=who,
                                        state="commented", submitted_at=at))
    first_commit = None
    for _, page in fetcher.pages(f"{base}/merge_requests/{iid}/commits?per_page=100"):
        for item in page:
            authored = parse_time(item.get("authored_date"))
            if authored and (first_commit is None or authored < first_commit):
                first_commit = authored
    return PullRequestRecord(
        external_id=f"{project}!{iid}", number=iid, title=raw.get("title") or "", url=raw.get("web_url") or "",
        author=author, state=raw.get("state") or "", opened_at=parse_time(raw["created_at"]),
        updated_at=parse_time(raw["updated_at"]), merged_at=parse_time(raw.get("merged_at")),
        merge_sha=raw.get("merge_commit_sha") or raw.get("squash_commit_sha") or "", first_commit_at=first_commit,
        reviews=reviews, approvals_at=list(approvals.values()))


def sync_gitlab(service: Service, *, project: str, api_url: str = DEFAULT_API_URL, token: str | None = None,
                client: HttpClient | None = None, sleep: Callable[[float], None] = time.sleep,
                max_wait: float = DEFAULT_MAX_WAIT_SECONDS, now: Callable[[], float] = time.time,
                actor_label: str | None = None) -> PlatformSyncResult:
    """Incrementally sync ``project`` (numeric id or ``group/project``) into ``service``.
    Token: ``token`` or ``GITLAB_TOKEN``/``GITLAB_TOKEN_FILE`` (sent as ``PRIVATE-TOKEN``)."""
    token = token if token is not None else env_str("GITLAB_TOKEN", "")
    headers = {"Accept": "application/json", "User-Agent": "brightline-evidence"}
    if token:
        headers["PRIVATE-TOKEN"] = token
    fetcher = Fetcher(client or UrllibClient(), headers, "GitLab", sleep=sleep, max_wait=max_wait, now=now)
    base = f"{api_url.rstrip('/')}/projects/{quote(project, safe='')}"
    resolver = IdentityResolver(source=SOURCE)
    result = PlatformSyncResult(platform=SOURCE)

    def updated_after(stage: Stage) -> str:
        return f"&updated_after={quote(stage.since)}" if stage.since else ""

    def pull_requests(stage: Stage) -> None:
        url = stage.resume_url or (f"{base}/merge_requests?state=all&order_by=updated_at&sort=asc&per_page=100"
                                   + updated_after(stage))
        for page_url, page in fetcher.pages(url):
            stage.resume_url = page_url
            for raw in page:
                save_pull_request(service, SOURCE, _merge_request(fetcher, base, project, raw), resolver)
                result.pull_requests += 1
                stage.see(raw["updated_at"])

    def releases(stage: Stage) -> None:
        for _, page in fetcher.pages(stage.resume_url or f"{base}/releases?per_page=100"):
            for raw in page:
                released = raw.get("released_at") or raw.get("created_at")
                if raw.get("upcoming_release") or not released:
                    continue
                save_release(service, SOURCE, external_id=f"{project}@{raw['tag_name']}", name=raw["tag_name"],
                             sha=(raw.get("commit") or {}).get("id", ""), released_at=parse_time(released),
                             url=((raw.get("_links") or {}).get("self")) or "", touches=result)
                result.releases += 1

    def deployments(stage: Stage) -> None:
        url = stage.resume_url or (f"{base}/deployments?order_by=updated_at&sort=asc&per_page=100"
                                   + updated_after(stage))
        for page_url, page in fetcher.pages(url):
            stage.resume_url = page_url
            for raw in page:
                finished = (raw.get("deployable") or {}).get("finished_at")
                save_deployment(service, SOURCE, external_id=f"{project}/deployments/{raw['id']}",
                                environment=(raw.get("environment") or {}).get("name", "production"),
                                version=raw.get("ref") or "", sha=raw.get("sha") or "",
                                status=_STATUS.get(raw.get("status", ""), Deployment.Status.IN_PROGRESS),
                                deployed_at=parse_time(finished or raw.get("updated_at") or raw["created_at"]),
                                touches=result)
                result.deployments += 1
                stage.see(raw["updated_at"])

    def incidents(stage: Stage) -> None:
        url = stage.resume_url or (f"{base}/issues?labels={INCIDENT_LABEL}&scope=all&order_by=updated_at&sort=asc"
                                   f"&per_page=100" + updated_after(stage))
        for page_url, page in fetcher.pages(url):
            stage.resume_url = page_url
            for raw in page:
                save_incident(service, SOURCE, external_id=f"{project}#{raw['iid']}", title=raw.get("title") or "",
                              severity=severity_from_labels(raw.get("labels") or []),
                              opened_at=parse_time(raw["created_at"]), resolved_at=parse_time(raw.get("closed_at")),
                              url=raw.get("web_url") or "", touches=result)
                result.incidents += 1
                stage.see(raw["updated_at"])

    run_stages(platform=SOURCE, key=f"{api_url.rstrip('/')}/{project}", service=service, fetcher=fetcher,
               stages={"pull_requests": pull_requests, "releases": releases, "deployments": deployments,
                       "incidents": incidents}, result=result, actor_label=actor_label)
    return result
