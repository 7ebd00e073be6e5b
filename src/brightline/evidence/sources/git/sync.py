"""Sync one local git repository into the database, incrementally and idempotently.

The cursor is the branch head at the end of the last complete sync
(``Repository.last_synced_head``). A sync streams ``git log --numstat`` for the commits
reachable from the branch head but not from the cursor, and writes them in batches of
:data:`BATCH_SIZE`, each batch in its own transaction with ``bulk_create(ignore_conflicts=True)``
on the unique ``(repository, sha)``. A sync killed at any point therefore leaves whole batches
behind; the next run starts again from the unchanged cursor, skips what is stored, and ends
with exactly the rows of an uninterrupted run. If the branch was rewritten (the cursor is no
longer an ancestor of the head) the whole history is read again and commits no longer
reachable are removed, so totals always describe the history reachable from the head.

Every release tag (service pattern) is one production deployment; every commit points at the
first release that shipped it. Recorded production deployments of the service from other
sources (webhook, CI) whose sha is in the repository are release points too.
"""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from brightline.audit.services import log_action
from brightline.core.delivery import (
    EMPTY_REPOSITORY,
    SHALLOW_REPOSITORY,
    Commit,
    GitRepositoryError,
    ReleaseTag,
    deployment_id_for_release,
    inspect_repository,
    iter_commits,
    iter_release_contents,
    list_release_tags,
)
from brightline.evidence.identities import IdentityResolver, read_mailmap
from brightline.evidence.models import Commit as CommitRow
from brightline.evidence.models import Deployment, EvidenceItem, Remediation, Repository
from brightline.evidence.sources.base import require_allowed
from brightline.people.models import Person

SOURCE: Final = "git"
POLICY_KEYS: Final = ("git_commits",)
BATCH_SIZE: Final = 2000
_QUEUE_DEPTH: Final = 4 * BATCH_SIZE

ProgressCallback = Callable[[int, int | None], None]


@dataclass(frozen=True)
class GitSyncResult:
    """The ``brightline ingest git --json`` contract: totals over the history reachable from the
    branch head (merges count as commits and add no lines) and what this run added."""

    commits: int
    new_commits: int
    lines_added: int
    lines_deleted: int
    releases: int
    reverts: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _git(path: str, *args: str, stdin: bytes | None = None, check: bool = True) -> str:
    result = subprocess.run(["git", "-C", path, *args], input=stdin, capture_output=True, check=False)
    if check and result.returncode != 0:
        raise GitRepositoryError(
            f"git {args[0]} failed with exit code {result.returncode}: "
            f"{result.stderr.decode('utf-8', 'replace').strip()}"
        )
    return result.stdout.decode("utf-8", "replace")


def _offset_minutes(moment: datetime) -> int:
    offset = moment.utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)


def _prefetched(commits: Iterator[Commit]) -> Iterator[Commit]:
    """Parse git's output on a thread while the caller writes to the database.

    git computes the diffs in its own process but stalls as soon as the 64 KiB pipe is full;
    reading ahead into a bounded queue keeps it busy during our inserts, so the whole sync
    costs little more than ``git log`` alone. Exceptions are re-raised in the caller.
    """
    buffer: queue.Queue[Any] = queue.Queue(maxsize=_QUEUE_DEPTH)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for commit in commits:
                if stop.is_set():
                    break
                buffer.put(commit)
        except BaseException as error:  # handed over to the consumer, never swallowed
            buffer.put(error)
        finally:
            buffer.put(done)

    worker = threading.Thread(target=produce, name="git-log-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = buffer.get()
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                buffer.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)


class _Writer:
    """Builds rows for one repository and writes a batch per transaction."""

    def __init__(self, repository: Repository, *, resolver: IdentityResolver, first_release: dict[str, int]):
        self.repository = repository
        self.service = repository.service
        self.resolver = resolver
        self.first_release = first_release
        self.seen: set[str] = set()

    def write(self, batch: list[Commit]) -> None:
        rows: list[tuple[Any, ...]] = []
        items: list[EvidenceItem] = []
        adapt = _datetime_adapter()
        resolve = self.resolver.resolve_author
        repository_id = self.repository.pk
        team_id = self.service.team_id
        for commit in batch:
            sha = commit.sha
            self.seen.add(sha)
            files = commit.files
            added = deleted = 0
            for change in files:
                added += change.lines_added
                deleted += change.lines_deleted
            person_id = resolve(commit.author_name, commit.author_email)
            parents = commit.parents
            subject = commit.message.split("\n", 1)[0]
            rows.append((
                repository_id, sha, " ".join(parents)[:500], commit.author_name[:300], commit.author_email[:300],
                adapt(commit.authored_at), _offset_minutes(commit.authored_at), commit.committer_name[:300],
                commit.committer_email[:300], adapt(commit.committed_at), _offset_minutes(commit.committed_at),
                subject[:500], added, deleted, len(files), len(parents) > 1, commit.is_revert,
                commit.reverted_sha or "", person_id, self.first_release.get(sha),
            ))
            if person_id is not None and len(parents) <= 1:
                items.append(merged_change_item(sha=sha, subject=subject, committed_at=commit.committed_at,
                                                person_id=person_id, team_id=team_id, service=self.service.name,
                                                lines_added=added, lines_deleted=deleted, files=len(files)))
        with transaction.atomic():
            _insert_commits(rows)
            if items:
                EvidenceItem.objects.bulk_create(items, ignore_conflicts=True, batch_size=500)
            self.resolver.queue_unmatched()


def _datetime_adapter() -> Callable[[datetime], Any]:
    """How the database wants an aware datetime: SQLite stores UTC text (as Django does), PostgreSQL
    takes the aware value. A fast path for the 100,000 timestamps of a 50,000-commit sync."""
    if connection.vendor == "sqlite":
        return lambda moment: moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return connection.ops.adapt_datetimefield_value


_COMMIT_COLUMNS: Final = (
    "repository_id", "sha", "parents", "author_name", "author_email", "authored_at", "author_offset_minutes",
    "committer_name", "committer_email", "committed_at", "committer_offset_minutes", "subject", "lines_added",
    "lines_deleted", "files_changed", "is_merge", "is_revert", "reverted_sha", "person_id", "first_release_id",
)


def _insert_commits(rows: list[tuple[Any, ...]]) -> None:
    """One prepared ``INSERT … ON CONFLICT DO NOTHING`` run with ``executemany``.

    This is ``bulk_create(ignore_conflicts=True)`` without building a model instance and
    compiling SQL per row, which is most of the cost at 50,000 commits. The statement is the
    same on SQLite (3.24+) and PostgreSQL; the unique ``(repository, sha)`` makes it idempotent.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(CommitRow._meta.db_table)
    columns = ", ".join(quote(column) for column in _COMMIT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_COMMIT_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT DO NOTHING", rows)


def merged_change_item(*, sha: str, subject: str, committed_at: datetime, person_id: int, team_id: int | None,
                       service: str, lines_added: int, lines_deleted: int, files: int) -> EvidenceItem:
    """A merged change as citable evidence (never counted per person anywhere)."""
    return EvidenceItem(
        kind=EvidenceItem.Kind.MERGED_CHANGE, title=subject[:300] or sha[:12],
        summary=f"Commit {sha[:12]} in {service}: {files} file(s), +{lines_added}/-{lines_deleted} lines.",
        occurred_at=committed_at, person_id=person_id, team_id=team_id, service=service,
        source=SOURCE, source_ref=sha, metrics={"files_changed": files, "lines_added": lines_added,
                                                "lines_deleted": lines_deleted},
    )


def _resolve_head(path: str, branch: str) -> str:
    head = _git(path, "rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}", check=False).strip()
    if not head:
        raise GitRepositoryError(f"Revision {branch!r} does not exist in {path}.")
    return head


def _is_ancestor(path: str, ancestor: str, head: str) -> bool:
    return subprocess.run(["git", "-C", path, "merge-base", "--is-ancestor", ancestor, head],
                          capture_output=True, check=False).returncode == 0


def _existing_commits(path: str, shas: list[str]) -> dict[str, str]:
    """``{given sha: full sha}`` for the shas that name a commit in the repository."""
    if not shas:
        return {}
    output = _git(path, "cat-file", "--batch-check=%(objectname) %(objecttype)",
                  stdin="".join(f"{sha}^{{commit}}\n" for sha in shas).encode())
    found: dict[str, str] = {}
    for sha, line in zip(shas, output.splitlines(), strict=False):
        parts = line.split()
        if len(parts) == 2 and parts[1] == "commit":
            found[sha] = parts[0]
    return found


def _sync_releases(repository: Repository, path: str) -> tuple[list[ReleaseTag], dict[str, int]]:
    """Upsert one production deployment per release tag; return the release points and ids."""
    service = repository.service
    tags = list_release_tags(path, pattern=service.release_tag_pattern)
    wanted = {deployment_id_for_release(service.name, tag): tag for tag in tags}
    stored = {external_id: (pk, sha, deployed_at) for external_id, pk, sha, deployed_at in
              Deployment.objects.filter(source=SOURCE, service=service)
              .values_list("external_id", "id", "sha", "deployed_at")}
    with transaction.atomic():
        Deployment.objects.bulk_create(
            [Deployment(service=service, environment=_production_environment(repository), version=tag.name,
                        sha=tag.commit_sha, status=Deployment.Status.SUCCESS, deployed_at=tag.created_at,
                        source=SOURCE, external_id=external_id)
             for external_id, tag in wanted.items() if external_id not in stored],
            ignore_conflicts=True,
        )
        for external_id, (pk, sha, deployed_at) in stored.items():
            tag = wanted.get(external_id)
            if tag is None:
                Deployment.objects.filter(pk=pk).delete()  # the tag was deleted or no longer matches
            elif tag.commit_sha != sha or tag.created_at != deployed_at:
                Deployment.objects.filter(pk=pk).update(sha=tag.commit_sha, deployed_at=tag.created_at)
    ids = dict(Deployment.objects.filter(source=SOURCE, service=service).values_list("external_id", "id"))
    points = list(tags)
    by_point = {tag.name: ids[external_id] for external_id, tag in wanted.items() if external_id in ids}
    # Deployments recorded by other sources (webhook, CI, GitHub) ship commits of this repository too.
    others = list(Deployment.objects.filter(service=service, status=Deployment.Status.SUCCESS)
                  .exclude(source=SOURCE).exclude(sha="").values_list("id", "sha", "deployed_at", "environment"))
    others = [row for row in others if service.is_production(row[3])]
    full = _existing_commits(path, [sha for _, sha, _, _ in others])
    for pk, sha, deployed_at, _ in others:
        if sha in full:
            name = f"deployment:{pk}"
            points.append(ReleaseTag(name=name, commit_sha=full[sha], created_at=deployed_at, kind="lightweight"))
            by_point[name] = pk
    return points, by_point


def _production_environment(repository: Repository) -> str:
    environments = repository.service.production_environments or ["production"]
    return environments[0]


def _sync_reverts(repository: Repository) -> int:
    """A revert of a released commit is a remediation of the release that first shipped it."""
    reverts = list(CommitRow.objects.filter(repository=repository, is_revert=True)
                   .values_list("sha", "reverted_sha", "committed_at", "first_release_id"))
    released = dict(CommitRow.objects.filter(repository=repository, first_release__isnull=False)
                    .values_list("sha", "first_release_id")) if reverts else {}
    with transaction.atomic():
        wanted: set[str] = set()
        for sha, reverted_sha, committed_at, fix_release in reverts:
            failed = released.get(reverted_sha)
            if failed is None and reverted_sha and len(reverted_sha) < 40:
                failed = next((release for full, release in released.items() if full.startswith(reverted_sha)), None)
            if failed is None:
                continue  # reverting something never released is rework, not a production failure
            external_id = f"repository-{repository.pk}:{sha}"
            wanted.add(external_id)
            Remediation.objects.update_or_create(
                source=SOURCE, external_id=external_id,
                defaults={"service": repository.service, "kind": Remediation.Kind.REVERT, "occurred_at": committed_at,
                          "failed_deployment_id": failed, "remediation_deployment_id": fix_release})
        stale = set(Remediation.objects.filter(source=SOURCE, external_id__startswith=f"repository-{repository.pk}:")
                    .values_list("external_id", flat=True)) - wanted
        Remediation.objects.filter(source=SOURCE, external_id__in=list(stale)[:10000]).delete()
    return len(reverts)


def _reconcile_first_releases(repository: Repository, first_release: dict[str, int], skip: set[str]) -> int:
    """Point older commits at their first release when a new tag shipped them (or a tag moved)."""
    changed: dict[int | None, list[str]] = {}
    for sha, stored in CommitRow.objects.filter(repository=repository).values_list("sha", "first_release_id"):
        if sha in skip:
            continue
        wanted = first_release.get(sha)
        if wanted != stored:
            changed.setdefault(wanted, []).append(sha)
    with transaction.atomic():
        for release_id, shas in changed.items():
            for start in range(0, len(shas), 500):
                CommitRow.objects.filter(repository=repository, sha__in=shas[start:start + 500]) \
                    .update(first_release_id=release_id)
    return sum(len(shas) for shas in changed.values())


def sync_git_repository(
    repository: Repository,
    *,
    actor: Person | None = None,
    actor_label: str | None = None,
    allow_shallow: bool = False,
    batch_size: int = BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> GitSyncResult:
    """Bring ``repository``'s commits, releases and reverts up to date with its branch head.

    Raises :class:`~brightline.evidence.sources.base.SourceNotAllowed` when the policy does not
    allow git data, and ``GitRepositoryError`` (with the core's message) for a path that is not a
    repository, an empty or shallow one (unless ``allow_shallow``), or an unknown branch.
    """
    require_allowed(*POLICY_KEYS)
    started = time.monotonic()
    path = str(Path(repository.path))
    info = inspect_repository(path)
    if info.head_sha is None:
        raise GitRepositoryError(EMPTY_REPOSITORY.format(path=info.path))
    if info.is_shallow and not allow_shallow:
        raise GitRepositoryError(SHALLOW_REPOSITORY.format(path=info.path))
    head = _resolve_head(path, repository.branch)

    points, by_point = _sync_releases(repository, path)
    first_release = {sha: by_point[point.name] for point, sha in
                     iter_release_contents(path, points, allow_shallow=allow_shallow)}

    cursor = repository.last_synced_head
    exclude = [cursor] if cursor and _is_ancestor(path, cursor, head) else []
    rewritten = bool(cursor) and not exclude
    before = CommitRow.objects.filter(repository=repository).count()
    count_args = ["rev-list", "--count", head] + [f"^{sha}" for sha in exclude]
    total = int(_git(path, *count_args).strip() or 0)

    writer = _Writer(repository, resolver=IdentityResolver(source=SOURCE, mailmap=read_mailmap(path, head)),
                     first_release=first_release)
    batch: list[Commit] = []
    done = 0
    for commit in _prefetched(iter_commits(path, revision=head, exclude=exclude, allow_shallow=allow_shallow)):
        batch.append(commit)
        if len(batch) >= batch_size:
            writer.write(batch)
            done += len(batch)
            batch = []
            if on_progress is not None:
                on_progress(done, total)
    if batch:
        writer.write(batch)
        done += len(batch)
        if on_progress is not None:
            on_progress(done, total)

    if rewritten:
        # History was rewritten: drop commits that are no longer reachable from the head.
        gone = [sha for sha in CommitRow.objects.filter(repository=repository).values_list("sha", flat=True)
                if sha not in writer.seen]
        for start in range(0, len(gone), 500):
            CommitRow.objects.filter(repository=repository, sha__in=gone[start:start + 500]).delete()
    _reconcile_first_releases(repository, first_release, skip=writer.seen)
    reverts = _sync_reverts(repository)

    totals = CommitRow.objects.filter(repository=repository).aggregate(
        commits=Count("id"), lines_added=Sum("lines_added"), lines_deleted=Sum("lines_deleted"))
    releases = Deployment.objects.filter(source=SOURCE, service=repository.service).count()
    result = GitSyncResult(
        commits=totals["commits"], new_commits=max(0, totals["commits"] - before),
        lines_added=totals["lines_added"] or 0, lines_deleted=totals["lines_deleted"] or 0,
        releases=releases, reverts=reverts, seconds=round(time.monotonic() - started, 3),
    )
    with transaction.atomic():
        Repository.objects.filter(pk=repository.pk).update(last_synced_head=head, last_synced_at=timezone.now())
        repository.last_synced_head = head
        log_action("evidence.repository.synced", actor, repository,
                   {"head": head, **{k: v for k, v in result.to_json().items() if k != "seconds"}},
                   actor_label=actor_label)
    return result
