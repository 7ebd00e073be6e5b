"""Long evidence work the web UI starts: ``enqueue("evidence.ingest_git", repository_id=…)``."""

from __future__ import annotations

from typing import Any

from brightline.core.delivery.gitlog import GitRepositoryError
from brightline.evidence.models import Repository
from brightline.evidence.sources.base import SourceError
from brightline.evidence.sources.git import sync_git_repository
from brightline.jobs.services import Progress, job
from brightline.people.models import Person


@job("evidence.ingest_git", shown_errors=(GitRepositoryError, SourceError))
def ingest_git(progress: Progress, *, repository_id: int, actor_id: int | None = None,
               allow_shallow: bool = False) -> dict[str, Any]:
    repository = Repository.objects.select_related("service__team").get(pk=repository_id)
    actor = Person.objects.filter(pk=actor_id).first() if actor_id else None
    progress.update(0, message=f"Reading {repository.path}")

    def report(done: int, total: int | None) -> None:
        progress.update(done, total=total, message=f"{done} of {total} commits")

    result = sync_git_repository(repository, actor=actor, allow_shallow=allow_shallow, on_progress=report)
    progress.update(result.new_commits, total=result.new_commits,
                    message=f"{result.commits} commits ({result.new_commits} new), {result.releases} releases")
    return result.to_json()
