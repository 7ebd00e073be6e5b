"""What the repository-reading page says about reads: each run started from it (which repository, for which service
and team, what it read and when), and for every service the last time its evidence was read and how — from that
page, from the command line, by the hourly sync, or through a GitHub or GitLab connection — so an administrator can
tell which service's figures are stale.

A read is known from the audit trail, where every sync writes one entry (``evidence.repository.synced`` about the
repository, ``evidence.github.synced`` and ``evidence.gitlab.synced`` about the service); who wrote it says how it
was started. History loaded any other way (the demo, ``brightline import events``, the webhook) has no such entry:
the page then gives the service's latest deployment on record, which says how fresh its figures are either way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.db.models import Max

from brightline.audit.models import AuditEntry
from brightline.evidence.jobs import SYNC_JOB
from brightline.evidence.models import Repository, Service
from brightline.jobs.models import JobRun
from brightline.people.models import Person

INGEST_JOB = "evidence.ingest_git"
RUNS_SHOWN = 10
REPOSITORY_SYNCED = "evidence.repository.synced"
PLATFORM_SYNCED = {"evidence.github.synced": "GitHub", "evidence.gitlab.synced": "GitLab"}


def repository_name(path: str) -> str:
    """A repository as a person names it: the last part of where it is (``/srv/repos/payouts.git`` reads
    "payouts"), never the whole path."""
    name = PurePosixPath(path.rstrip("/").split("://")[-1]).name or path
    return name.removesuffix(".git") or name


@dataclass(frozen=True)
class RunLine:
    """One run started from the page: its repository, service and team (when the repository is still known), what
    it read or why it failed, and when."""

    run: JobRun
    repository: str
    service: str
    team: str
    path: str = ""  # where the repository is, replaced by its name in what the page says

    @property
    def read(self) -> str:
        result = self.run.result or {}
        if self.run.status == JobRun.Status.SUCCEEDED and result:
            return (f"{result.get('commits', 0)} commits ({result.get('new_commits', 0)} new), "
                    f"{result.get('releases', 0)} releases")
        if self.run.status == JobRun.Status.FAILED:
            error = self.run.error.splitlines()[0][:200] if self.run.error else "failed"
            return error.replace(self.path, self.repository) if self.path else error
        return self.run.message or "waiting to start"


def recent_runs(limit: int = RUNS_SHOWN) -> list[RunLine]:
    """The latest runs started from the page, newest first, each with its repository, service and team (two
    queries)."""
    return run_lines(list(JobRun.objects.filter(name=INGEST_JOB).order_by("-created_at", "-pk")[:limit]))


def run_lines(runs: list[JobRun]) -> list[RunLine]:
    """``runs`` with their repository, service and team (one query)."""
    ids = {run.arguments.get("repository_id") for run in runs if isinstance(run.arguments, dict)}
    repositories = Repository.objects.select_related("service__team").in_bulk([pk for pk in ids if pk])
    lines = []
    for run in runs:
        repository = repositories.get((run.arguments or {}).get("repository_id"))
        if repository is None:
            lines.append(RunLine(run, "a repository since removed", "", ""))
            continue
        service = repository.service
        lines.append(RunLine(run, repository_name(repository.path), service.name,
                             service.team.name if service.team else "", repository.path))
    return lines


@dataclass(frozen=True)
class ServiceRead:
    """A service, its team, the last time its evidence was read and how, and its latest deployment on record."""

    service: Service
    last_read: dt.datetime | None
    how: str
    latest_deployment: dt.datetime | None


def _how(entry: dict[str, Any], people: dict[int, str], platform: str | None) -> str:
    """How a sync was started, from who wrote its audit entry."""
    label = entry["actor_label"] or ""
    if platform is not None:
        way = f"through the {platform} connection"
        if label.startswith("cli"):
            return f"{way}, from the command line"
        return f"{way}, by the hourly sync" if label == f"job:{SYNC_JOB}" else way
    if entry["actor_id"] is not None:
        return f"from this page, by {people.get(entry['actor_id'], 'a former colleague')}"
    if label.startswith("cli"):
        return "from the command line"
    if label == f"job:{SYNC_JOB}":
        return "by the hourly sync"
    return "by Brightline itself"


def service_reads() -> list[ServiceRead]:
    """Every service in name order with the last read of its evidence (a fixed number of queries: the services
    with their latest deployment, their repositories, the latest sync entry of each repository and service, and
    the names of the people who started them from the page)."""
    services = list(Service.objects.select_related("team").annotate(latest=Max("deployments__deployed_at"))
                    .order_by("name"))
    repository_service = dict(Repository.objects.values_list("pk", "service_id"))
    latest = (AuditEntry.objects.filter(action__in=[REPOSITORY_SYNCED, *PLATFORM_SYNCED])
              .values("action", "subject_id").annotate(last=Max("seq")).values_list("last", flat=True))
    entries = list(AuditEntry.objects.filter(seq__in=latest)
                   .values("action", "subject_id", "created_at", "actor_id", "actor_label"))
    people = dict(Person.objects.filter(pk__in={e["actor_id"] for e in entries if e["actor_id"]})
                  .values_list("pk", "name"))
    last: dict[int, tuple[dt.datetime, str]] = {}
    for entry in entries:
        if not entry["subject_id"].isdigit():
            continue
        subject = int(entry["subject_id"])
        platform = PLATFORM_SYNCED.get(entry["action"])
        service_id = subject if platform is not None else repository_service.get(subject)
        if service_id is None:
            continue
        if service_id not in last or entry["created_at"] > last[service_id][0]:
            last[service_id] = (entry["created_at"], _how(entry, people, platform))
    return [ServiceRead(service, *last.get(service.pk, (None, "")), service.latest)  # type: ignore[attr-defined]
            for service in services]
