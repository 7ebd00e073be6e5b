"""Sync one GitHub repository through the REST API (v3, ``X-GitHub-Api-Version: 2022-11-28``).

Endpoints (all ``GET``, ``per_page=100``, following ``Link: rel="next"``):

* ``/repos/{owner}/{repo}/pulls?state=all&sort=updated&direction=desc`` — stops at the first
  pull request not updated since the cursor;
* ``/repos/{owner}/{repo}/pulls/{number}/reviews`` — first review and approvals;
* ``/repos/{owner}/{repo}/pulls/{number}/commits`` — the first commit's author date;
* ``/repos/{owner}/{repo}/releases``;
* ``/repos/{owner}/{repo}/deployments`` and ``/repos/{owner}/{repo}/deployments/{id}/statuses``;
* ``/repos/{owner}/{repo}/issues?labels=incident&state=all&sort=updated&direction=asc&since=…``.
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

SOURCE: Final = "github"
DEFAULT_API_URL: Final = "https://api.github.com"
INCIDENT_LABEL: Final = "incident"
ERR_REPO: Final = "--repo must look like OWNER/NAME, not {value!r}."
_STATUS: Final = {"success": Deployment.Status.SUCCESS, "failure": Deployment.Status.FAILURE,
                  "error": Deployment.Status.FAILURE, "in_progress": Deployment.Status.IN_PROGRESS,
                  "queued": Deployment.Status.IN_PROGRESS, "pending": Deployment.Status.IN_PROGRESS}


def _pull_request(fetcher: Fetcher, base: str, repo: str, raw: dict[str, Any]) -> PullRequestRecord:
    number = raw["number"]
    reviews: list[ReviewRecord] = []
    for _, page in fetcher.pages(f"{base}/pulls/{number}/reviews?per_page=100"):
        for review in page:
            if review.get("submitted_at") and review.get("user"):
                reviews.append(ReviewRecord(external_id=f"{repo}#review-{review['id']}",
                                            reviewer=review["user"]["login"], state=review["state"].lower(),
                                            submitted_at=parse_time(review["submitted_at"])))
    author = (raw.get("user") or {}).get("login", "")
    approvals: dict[str, Any] = {}
    for review in sorted(reviews, key=lambda r: r.submitted_at):
        if review.state == "approved" and review.reviewer.casefold() != author.casefold():
            approvals.setdefault(review.reviewer.casefold(), review.submitted_at)
    first_commit = None
    for _, page in fetcher.pages(f"{base}/pulls/{number}/commits?per_page=100"):
        for item in page:
            authored = parse_time(((item.get("commit") or {}).get("author") or {}).get("date"))
            if authored and (first_commit is None or authored < first_commit):
                first_commit = authored
        break  # the first page holds the oldest commits; that is all lead time needs
    state = "merged" if raw.get("merged_at") else raw["state"]
    return PullRequestRecord(
        external_id=f"{repo}#{number}", number=number, title=raw.get("title") or "", url=raw.get("html_url") or "",
        author=author, state=state, opened_at=parse_time(raw["created_at"]), updated_at=parse_time(raw["updated_at"]),
        merged_at=parse_time(raw.get("merged_at")), merge_sha=raw.get("merge_commit_sha") or "",
        first_commit_at=first_commit, reviews=reviews, approvals_at=list(approvals.values()))


def sync_github(service: Service, *, repo: str, api_url: str = DEFAULT_API_URL, token: str | None = None,
                client: HttpClient | None = None, sleep: Callable[[float], None] = time.sleep,
                max_wait: float = DEFAULT_MAX_WAIT_SECONDS, now: Callable[[], float] = time.time,
                actor_label: str | None = None) -> PlatformSyncResult:
    """Incrementally sync ``repo`` (``OWNER/NAME``) into ``service``. Token: ``token`` or
    ``GITHUB_TOKEN``/``GITHUB_TOKEN_FILE``; without one, GitHub's anonymous limit (60/hour) applies."""
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise ValueError(ERR_REPO.format(value=repo))
    token = token if token is not None else env_str("GITHUB_TOKEN", "")
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
               "User-Agent": "brightline-evidence"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    fetcher = Fetcher(client or UrllibClient(), headers, "GitHub", sleep=sleep, max_wait=max_wait, now=now)
    base = f"{api_url.rstrip('/')}/repos/{quote(repo, safe='/')}"
    resolver = IdentityResolver(source=SOURCE)
    result = PlatformSyncResult(platform=SOURCE)

    def pull_requests(stage: Stage) -> None:
        url = stage.resume_url or f"{base}/pulls?state=all&sort=updated&direction=desc&per_page=100"
        for page_url, page in fetcher.pages(url):
            stage.resume_url = page_url
            for raw in page:
                if stage.since and raw["updated_at"] <= stage.since:
                    return  # newest first: everything after this was seen by an earlier sync
                save_pull_request(service, SOURCE, _pull_request(fetcher, base, repo, raw), resolver)
                result.pull_requests += 1
                stage.see(raw["updated_at"])

    def releases(stage: Stage) -> None:
        for _, page in fetcher.pages(stage.resume_url or f"{base}/releases?per_page=100"):
            for raw in page:
                if raw.get("draft") or raw.get("prerelease") or not raw.get("published_at"):
                    continue
                save_release(service, SOURCE, external_id=f"{repo}@{raw['tag_name']}", name=raw["tag_name"],
                             sha=raw.get("target_commitish") or "", released_at=parse_time(raw["published_at"]),
                             url=raw.get("html_url") or "", touches=result)
                result.releases += 1

    def deployments(stage: Stage) -> None:
        for _, page in fetcher.pages(stage.resume_url or f"{base}/deployments?per_page=100"):
            for raw in page:
                if stage.since and raw["updated_at"] < stage.since:
                    return
                statuses: list[dict[str, Any]] = []
                for _, status_page in fetcher.pages(f"{base}/deployments/{raw['id']}/statuses?per_page=100"):
                    statuses.extend(status_page)
                # Statuses come newest first; "inactive" only means a later deployment replaced this one.
                meaningful = [status for status in statuses if status.get("state") != "inactive"]
                latest = meaningful[0] if meaningful else None
                success = next((status for status in statuses if status.get("state") == "success"), None)
                state = "success" if success else (latest or {}).get("state", "pending")
                when = parse_time((success or latest or raw)["created_at"])
                save_deployment(service, SOURCE, external_id=f"{repo}/deployments/{raw['id']}",
                                environment=raw.get("environment") or "production", version=raw.get("ref") or "",
                                sha=raw.get("sha") or "", status=_STATUS.get(state, Deployment.Status.IN_PROGRESS),
                                deployed_at=when, url=(success or latest or {}).get("log_url") or "", touches=result)
                result.deployments += 1
                stage.see(raw["updated_at"])

    def incidents(stage: Stage) -> None:
        url = stage.resume_url or (f"{base}/issues?labels={INCIDENT_LABEL}&state=all&sort=updated&direction=asc"
                                   f"&per_page=100" + (f"&since={stage.since}" if stage.since else ""))
        for page_url, page in fetcher.pages(url):
            stage.resume_url = page_url
            for raw in page:
                if "pull_request" in raw:
                    continue  # the issues endpoint also lists pull requests
                labels = [label["name"] for label in raw.get("labels", []) if isinstance(label, dict)]
                save_incident(service, SOURCE, external_id=f"{repo}#{raw['number']}", title=raw.get("title") or "",
                              severity=severity_from_labels(labels), opened_at=parse_time(raw["created_at"]),
                              resolved_at=parse_time(raw.get("closed_at")), url=raw.get("html_url") or "",
                              touches=result)
                result.incidents += 1
                stage.see(raw["updated_at"])

    run_stages(platform=SOURCE, key=f"{api_url.rstrip('/')}/{repo}", service=service, fetcher=fetcher,
               stages={"pull_requests": pull_requests, "releases": releases, "deployments": deployments,
                       "incidents": incidents}, result=result, actor_label=actor_label)
    return result
