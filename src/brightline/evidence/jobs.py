"""Long evidence work: ``enqueue("evidence.ingest_git", repository_id=…)`` from the web UI, and
``evidence.sync_sources``, which the ``evidence-sync`` schedule runs every hour."""

from __future__ import annotations

from typing import Any, Final

from brightline.core.delivery import GitRepositoryError
from brightline.evidence.models import Repository, SyncCursor
from brightline.evidence.sources.base import SourceError, SourceNotAllowed
from brightline.evidence.sources.git import BATCH_SIZE, sync_git_repository
from brightline.jobs.services import Progress, job
from brightline.people.models import Person


@job("evidence.ingest_git", shown_errors=(GitRepositoryError, SourceError))
def ingest_git(progress: Progress, *, repository_id: int, actor_id: int | None = None,
               allow_shallow: bool = False, batch_size: int = BATCH_SIZE) -> dict[str, Any]:
    repository = Repository.objects.select_related("service__team").get(pk=repository_id)
    actor = Person.objects.filter(pk=actor_id).first() if actor_id else None
    progress.update(0, message=f"Reading {repository.path}")

    def report(done: int, total: int | None) -> None:
        progress.update(done, total=total, message=f"{done} of {total} commits")

    result = sync_git_repository(repository, actor=actor, allow_shallow=allow_shallow, batch_size=batch_size,
                                 on_progress=report)
    progress.update(result.new_commits, total=result.new_commits,
                    message=f"{result.commits} commits ({result.new_commits} new), {result.releases} releases")
    return result.to_json()


SYNC_JOB: Final = "evidence.sync_sources"
ERR_SOURCES_FAILED: Final = "{failed} of {total} sources could not be synced: {reasons}"
GITLAB_API_PATH: Final = "/api/v4/"
# The demo organisation's repositories: their history was written by the demo loader, and there is nothing on disk
# to read, so the hourly sync passes over them (saying so) instead of failing on them.
DEMO_REPOSITORY_PREFIX: Final = "demo://"
SKIP_DEMO: Final = "a demo repository, whose history the demo wrote; nothing to read"


class SourcesFailed(Exception):
    """Some sources failed; the others were synced and each failed one resumes from its cursor next time."""


def _platform_feed(cursor: SyncCursor) -> tuple[str, str] | None:
    """``(api_url, repository)`` from a GitHub or GitLab cursor key (``{api_url}/{repository}``)."""
    if cursor.source == "github":
        api_url, _, repo = cursor.key.rpartition("/")
        api_url, _, owner = api_url.rpartition("/")
        return (api_url, f"{owner}/{repo}") if api_url and owner and repo else None
    api_url, marker, project = cursor.key.partition(GITLAB_API_PATH)
    return (api_url + marker.rstrip("/"), project) if marker and project else None


@job(SYNC_JOB)
def sync_sources(progress: Progress) -> dict[str, Any]:
    """Sync every registered source: each git repository once registered with ``ingest git`` (or the
    service pages), and each GitHub or GitLab feed once ingested. Every sync is incremental from its
    cursor; one failing source does not stop the others, and the job fails (naming them) at the end."""
    from brightline.evidence.sources.github import sync_github
    from brightline.evidence.sources.gitlab import sync_gitlab

    repositories = list(Repository.objects.select_related("service").order_by("pk"))
    feeds = list(SyncCursor.objects.filter(source__in=["github", "gitlab"], service__isnull=False)
                 .select_related("service").order_by("pk"))
    total = len(repositories) + len(feeds)
    label = f"job:{SYNC_JOB}"
    synced: list[dict[str, Any]] = []
    skipped: list[str] = []
    failures: list[str] = []
    done = 0
    for repository in repositories:
        if repository.path.startswith(DEMO_REPOSITORY_PREFIX):
            skipped.append(f"{repository.service.name} (git): {SKIP_DEMO}")
            done += 1
            continue
        try:
            result = sync_git_repository(repository, actor_label=label)
            synced.append({"source": "git", "service": repository.service.name, "new_commits": result.new_commits})
        except SourceNotAllowed as error:
            skipped.append(f"{repository.service.name} (git): {error}")
        except (SourceError, GitRepositoryError) as error:
            failures.append(f"{repository.service.name} (git): {error}")
        done += 1
        progress.update(done, total=total, message=f"{done} of {total} sources")
    for cursor in feeds:
        feed = _platform_feed(cursor)
        assert cursor.service is not None  # filtered above
        name = f"{cursor.service.name} ({cursor.source})"
        try:
            if feed is None:
                raise SourceError("its stored address is not one this version can read; ingest it again")
            api_url, repository_name = feed
            if cursor.source == "github":
                platform = sync_github(cursor.service, repo=repository_name, api_url=api_url, actor_label=label)
            else:
                platform = sync_gitlab(cursor.service, project=repository_name, api_url=api_url, actor_label=label)
            synced.append({"source": cursor.source, "service": cursor.service.name,
                           "pull_requests": platform.pull_requests, "complete": platform.complete})
        except SourceNotAllowed as error:
            skipped.append(f"{name}: {error}")
        except (SourceError, ValueError) as error:
            failures.append(f"{name}: {error}")
        done += 1
        progress.update(done, total=total, message=f"{done} of {total} sources")
    if failures:
        raise SourcesFailed(ERR_SOURCES_FAILED.format(failed=len(failures), total=total, reasons="; ".join(failures)))
    return {"sources": total, "synced": synced, "skipped": skipped}
