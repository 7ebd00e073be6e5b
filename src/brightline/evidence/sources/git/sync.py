"""Sync one local git repository into the database, incrementally and idempotently.

The cursor is the branch head at the end of the last complete sync
(``Repository.last_synced_head``). A sync streams ``git log --numstat`` for the commits
reachable from the branch head but not from the cursor, and writes them in batches of
:data:`BATCH_SIZE`, each batch in its own transaction, skipping shas already stored under the
unique ``(repository, sha)`` (see :func:`_row_inserter`). A sync killed at any point therefore
leaves whole batches behind; the next run starts again from the unchanged cursor, skips what is stored, and ends
with exactly the rows of an uninterrupted run. If the branch was rewritten (the cursor is no
longer an ancestor of the head) the whole history is read again and commits no longer
reachable are removed, so totals always describe the history reachable from the head.

Every release tag (service pattern) is one production deployment; every commit points at the
first release that shipped it. Recorded production deployments of the service from other
sources (webhook, CI) whose sha is in the repository are release points too. Each deployed revert
(on the branch or on a release's maintenance branch) is decided by
:func:`brightline.core.delivery.classify_reverts`: a failure of an earlier release, or rework.

Every git process and the commit-graph walk (which commits are new, which release shipped each)
are core's (``brightline.core.delivery.gitlog``); this module keeps the cursor, the batch writer
and the upserts.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from django.db import connection, models, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from brightline.audit.services import log_action
from brightline.core.delivery import (
    EMPTY_REPOSITORY,
    SHALLOW_REPOSITORY,
    CommitSummary,
    GitRepositoryError,
    ReleaseTag,
    classify_reverts,
    count_new,
    deployment_id_for_release,
    existing_commits,
    first_release_of,
    go_live_ranks,
    inspect_repository,
    is_ancestor,
    iter_commit_summaries,
    list_release_tags,
    parse_parents,
    resolve_revision,
    reverts_off_head,
    start_history_walk,
)
from brightline.evidence.deployment_rule import TAG_SOURCE, drop_tag_deployments, services_with_deployment_events
from brightline.evidence.identities import IdentityResolver, read_mailmap
from brightline.evidence.models import CommitRecord, Deployment, EvidenceItem, Remediation, Repository
from brightline.evidence.sources.base import require_allowed
from brightline.evidence.touched import AttributionTouches
from brightline.people.models import Person

SOURCE: Final = TAG_SOURCE
POLICY_KEYS: Final = ("git_commits",)
BATCH_SIZE: Final = 2000

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


def _offset_minutes(moment: datetime) -> int:
    offset = moment.utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)


def _datetime_adapter() -> Callable[[datetime], Any]:
    """How the database wants a commit's aware datetime: SQLite stores UTC text (as Django does, e.g.
    ``2026-01-07 09:00:00``), PostgreSQL takes the aware value. A fast path for the 100,000
    timestamps of a 50,000-commit sync; git's times are whole seconds, so the text is 19 characters.
    """
    if connection.vendor == "sqlite":
        return lambda moment: moment.astimezone(UTC).isoformat(" ")[:19]
    return connection.ops.adapt_datetimefield_value


class _Writer:
    """Turns the commits of one repository into rows and writes them, a batch per transaction.

    Rows are plain tuples in :data:`_COMMIT_COLUMNS` order (and, for commits of identified people,
    :data:`_ITEM_COLUMNS`), built in one pass over git's parsed output: at 50,000 commits every
    per-row Python operation shows in the total.
    """

    def __init__(self, repository: Repository, *, resolver: IdentityResolver, batch_size: int):
        self.repository = repository
        self.service = repository.service
        self.resolver = resolver
        self.batch_size = max(1, batch_size)
        self.first_release: dict[str, int] = {}
        self.seen: set[str] = set()
        self.insert_commits = _row_inserter(CommitRecord, _COMMIT_COLUMNS)
        self.insert_items = _row_inserter(EvidenceItem, _ITEM_COLUMNS)

    def write(self, commits: Iterable[CommitSummary], *, on_batch: Callable[[int], None]) -> None:
        """Write every commit; ``on_batch(rows)`` after each committed batch."""
        adapt = _datetime_adapter()
        minutes: dict[Any, int] = {}  # UTC offset in minutes by time zone: a few dozen at most
        repository_id = self.repository.pk
        resolve = self.resolver.resolve_author
        release_of = self.first_release.get
        seen = self.seen.add
        team_id, service_name = self.service.team_id, self.service.name
        rows: list[tuple[Any, ...]] = []
        items: list[tuple[Any, ...]] = []
        for (sha, parents, author_name, author_email, authored_at, committer_name, committer_email, committed_at,
             subject, added, deleted, files, reverted_sha, is_revert, co_authors) in commits:
            seen(sha)
            author_offset = minutes.get(authored_at.tzinfo)
            if author_offset is None:
                author_offset = minutes[authored_at.tzinfo] = _offset_minutes(authored_at)
            committer_offset = minutes.get(committed_at.tzinfo)
            if committer_offset is None:
                committer_offset = minutes[committed_at.tzinfo] = _offset_minutes(committed_at)
            author_name, author_email, subject = author_name[:300], author_email[:300], subject[:500]
            is_merge = len(parents) > 1
            person_id = resolve(author_name, author_email)
            rows.append((
                repository_id, sha, " ".join(parents)[:500], author_name, author_email, adapt(authored_at),
                author_offset, committer_name[:300], committer_email[:300], adapt(committed_at), committer_offset,
                subject, added, deleted, files, is_merge, is_revert, reverted_sha or "", person_id, release_of(sha),
            ))
            if person_id is not None and not is_merge:  # merges are not changes of their own
                title, summary, metrics = _merged_change_text(sha=sha, subject=subject, service=service_name,
                                                              lines_added=added, lines_deleted=deleted, files=files)
                items.append((EvidenceItem.Kind.MERGED_CHANGE.value, title, summary, "", adapt(committed_at),
                              person_id, team_id, service_name, SOURCE, sha, json.dumps(metrics)))
            if co_authors and not is_merge:
                for partner_id in {resolve(name[:300], email[:300]) for name, email in co_authors} - {None, person_id}:
                    items.append(pairing_row(sha=sha, subject=subject, service=service_name, author=author_name,
                                             committed_at=adapt(committed_at), person_id=partner_id, team_id=team_id))
            if len(rows) >= self.batch_size:
                self._commit(rows, items)
                on_batch(len(rows))
                rows, items = [], []
        if rows:
            self._commit(rows, items)
            on_batch(len(rows))

    def _commit(self, rows: list[tuple[Any, ...]], items: list[tuple[Any, ...]]) -> None:
        with transaction.atomic():
            self.insert_commits(rows)
            if items:
                created_at = connection.ops.adapt_datetimefield_value(timezone.now())
                self.insert_items([item + (created_at,) for item in items])
            self.resolver.queue_unmatched()


_COMMIT_COLUMNS: Final = (
    "repository_id", "sha", "parents", "author_name", "author_email", "authored_at", "author_offset_minutes",
    "committer_name", "committer_email", "committed_at", "committer_offset_minutes", "subject", "lines_added",
    "lines_deleted", "files_changed", "is_merge", "is_revert", "reverted_sha", "person_id", "first_release_id",
)


_ITEM_COLUMNS: Final = (
    "kind", "title", "summary", "url", "occurred_at", "person_id", "team_id", "service", "source", "source_ref",
    "metrics", "created_at",
)


def _row_inserter(model: type[models.Model], columns: tuple[str, ...]) -> Callable[[list[tuple[Any, ...]]], None]:
    """Insert a batch of rows into ``model``'s table, skipping rows a unique constraint says are
    stored (``(repository, sha)`` for commits, ``(source, source_ref)`` for evidence items); must be
    called inside the batch's transaction, and makes it idempotent.

    This is ``bulk_create(ignore_conflicts=True)`` without building a model instance and compiling
    SQL per row, which is most of the cost at 50,000 commits; the rows hold what Django would store
    (every column, the database's own form of each value). SQLite (3.24+) runs one prepared
    ``INSERT … ON CONFLICT DO NOTHING`` with ``executemany``. PostgreSQL streams the batch with
    ``COPY`` straight into the table, inside a savepoint: a stored row (a resumed or concurrent sync)
    makes the whole ``COPY`` fail, and only then is the batch copied into a temporary table and
    inserted from it with ``ON CONFLICT DO NOTHING``.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    if connection.vendor != "postgresql":
        statement = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT DO NOTHING"

        def insert_values(rows: list[tuple[Any, ...]]) -> None:
            if rows:
                with connection.cursor() as cursor:
                    cursor.executemany(statement, rows)

        return insert_values

    from psycopg.errors import UniqueViolation

    staging = quote(f"{model._meta.db_table}_batch")

    def copy_rows(cursor: Any, target: str, rows: list[tuple[Any, ...]]) -> None:
        with cursor.cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def insert_copy(rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                copy_rows(cursor, table, rows)
            return
        except UniqueViolation:
            pass  # the savepoint is rolled back: nothing of this batch was written
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
                           f"SELECT {names} FROM {table} WITH NO DATA")
            copy_rows(cursor, staging, rows)
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} ON CONFLICT DO NOTHING")
            cursor.execute(f"DROP TABLE {staging}")

    return insert_copy


def pairing_row(*, sha: str, subject: str, service: str, author: str, committed_at: Any, person_id: int,
                team_id: int | None) -> tuple[Any, ...]:
    """A change someone made together with its author, named by a ``Co-authored-by:`` line (pairing, often
    mentoring), as an evidence row of the co-author in :data:`_ITEM_COLUMNS` order without ``created_at``. The
    commit stays the author's merged change; this item is what makes the co-author's part of it citable. Who taught
    whom is not in git, so the item says only that they made it together — and it is never counted."""
    return (EvidenceItem.Kind.PAIRING.value, f"Paired on: {subject or sha[:12]}"[:300],
            f"Co-author of commit {sha[:12]} in {service}, made with {author or 'its author'}.", "", committed_at,
            person_id, team_id, service, SOURCE, f"{sha}:co-author:{person_id}", "{}")


def merged_change_item(*, sha: str, subject: str, committed_at: datetime, person_id: int, team_id: int | None,
                       service: str, lines_added: int, lines_deleted: int, files: int) -> EvidenceItem:
    """A merged change as citable evidence (never counted per person anywhere)."""
    title, summary, metrics = _merged_change_text(sha=sha, subject=subject, service=service, lines_added=lines_added,
                                                  lines_deleted=lines_deleted, files=files)
    return EvidenceItem(kind=EvidenceItem.Kind.MERGED_CHANGE, title=title, summary=summary, occurred_at=committed_at,
                        person_id=person_id, team_id=team_id, service=service, source=SOURCE, source_ref=sha,
                        metrics=metrics)


def _merged_change_text(*, sha: str, subject: str, service: str, lines_added: int, lines_deleted: int,
                        files: int) -> tuple[str, str, dict[str, int]]:
    """Title, summary and metrics of a merged change's evidence item."""
    return (
        subject[:300] or sha[:12],
        f"Commit {sha[:12]} in {service}: {files} file(s), +{lines_added}/-{lines_deleted} lines.",
        {"files_changed": files, "lines_added": lines_added, "lines_deleted": lines_deleted},
    )


def _sync_releases(repository: Repository, path: str) -> tuple[list[ReleaseTag], dict[str, int], int]:
    """Upsert one production deployment per release tag, unless the service has deployment events (then its tags are
    not deployments and any stored earlier are deleted, see :mod:`brightline.evidence.deployment_rule`); return
    the release points and ids, and how many release tags there are."""
    service = repository.service
    tags = list_release_tags(path, pattern=service.release_tag_pattern)
    events = bool(services_with_deployment_events([service]))
    wanted = {} if events else {deployment_id_for_release(service.name, tag): tag for tag in tags}
    if events:
        # Moves what pointed at them to the event deployment of the same commit; the incidents they could decide
        # are attributed again.
        touches = AttributionTouches()
        if drop_tag_deployments([service], touches=touches):
            from brightline.evidence.metrics import update_touched_incident_attribution

            update_touched_incident_attribution(touches)
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
    points = [tag for tag in tags if deployment_id_for_release(service.name, tag) in ids]
    by_point = {tag.name: ids[external_id] for external_id, tag in wanted.items() if external_id in ids}
    # Deployments recorded by other sources (webhook, CI, GitHub) ship commits of this repository too.
    others = list(Deployment.objects.filter(service=service, status=Deployment.Status.SUCCESS)
                  .exclude(source=SOURCE).exclude(sha="").values_list("id", "sha", "deployed_at", "environment"))
    others = [row for row in others if service.is_production(row[3])]
    full = existing_commits(path, [sha for _, sha, _, _ in others])
    for pk, sha, deployed_at, _ in others:
        if sha in full:
            name = f"deployment:{pk}"
            points.append(ReleaseTag(name=name, commit_sha=full[sha], created_at=deployed_at, kind="lightweight"))
            by_point[name] = pk
    return points, by_point, len(tags)


def _production_environment(repository: Repository) -> str:
    environments = repository.service.production_environments or ["production"]
    return environments[0]


def _sync_reverts(repository: Repository, *, path: str, head: str, points: list[ReleaseTag],
                  by_point: dict[str, int], first_release: dict[str, int]) -> int:
    """Record what each deployed revert says about production (see ``core.delivery.reverts``): a
    remediation of the earlier deployment that shipped the reverted change (a failure, recovered
    by the deployment that ships the revert), or rework inside one release (stored with the fix
    deployment as both the failed and the fixing deployment, which the metrics read as rework and
    never as a failure). A revert no deployment contains yet records nothing."""
    stored = list(CommitRecord.objects.filter(repository=repository, is_revert=True)
                  .values_list("sha", "reverted_sha", "committed_at"))
    reverts = [(sha, reverted, committed_at) for sha, reverted, committed_at in stored if reverted]
    reverts += reverts_off_head(path, head, (point.commit_sha for point in points)) if points else []
    rank = go_live_ranks({by_point[point.name]: point.created_at for point in points})
    decisions = classify_reverts([(sha, reverted) for sha, reverted, _ in reverts], first_release, rank)
    when = {sha: committed_at for sha, _, committed_at in reverts}
    with transaction.atomic():
        wanted: set[str] = set()
        for decision in decisions:
            if decision.outcome not in ("failure", "rework"):
                continue  # not deployed yet, a re-application, or a commit outside this history
            external_id = f"repository-{repository.pk}:{decision.sha}"
            wanted.add(external_id)
            Remediation.objects.update_or_create(
                source=SOURCE, external_id=external_id,
                defaults={"service": repository.service, "kind": Remediation.Kind.REVERT,
                          "occurred_at": when[decision.sha], "failed_deployment_id": decision.failed_deployment,
                          "remediation_deployment_id": decision.fix_deployment})
        stale = sorted(set(Remediation.objects.filter(source=SOURCE,
                                                      external_id__startswith=f"repository-{repository.pk}:")
                           .values_list("external_id", flat=True)) - wanted)
        for start in range(0, len(stale), 500):
            Remediation.objects.filter(source=SOURCE, external_id__in=stale[start:start + 500]).delete()
    return len(stored)


def _reconcile_first_releases(repository: Repository, first_release: dict[str, int]) -> int:
    """Point stored commits at their first release when a new tag shipped them (or a tag moved)."""
    changed: dict[int | None, list[str]] = {}
    for sha, stored in CommitRecord.objects.filter(repository=repository).values_list("sha", "first_release_id"):
        wanted = first_release.get(sha)
        if wanted != stored:
            changed.setdefault(wanted, []).append(sha)
    with transaction.atomic():
        for release_id, shas in changed.items():
            for start in range(0, len(shas), 500):
                CommitRecord.objects.filter(repository=repository, sha__in=shas[start:start + 500]) \
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
    head = resolve_revision(path, repository.branch)

    points, by_point, releases = _sync_releases(repository, path)
    cursor = repository.last_synced_head
    exclude = [cursor] if cursor and is_ancestor(path, cursor, head) else []
    rewritten = bool(cursor) and not exclude
    before = CommitRecord.objects.filter(repository=repository).count()

    # Two git processes run side by side: the history walk (for the progress bar's total and the
    # release contents) finishes while git log computes diffs, read ahead on a thread by the core;
    # writing starts once the releases are known.
    walk = start_history_walk(path, [head, *(point.commit_sha for point in points)])
    writer = _Writer(repository, resolver=IdentityResolver(source=SOURCE, mailmap=read_mailmap(path, head)),
                     batch_size=batch_size)
    commits = iter_commit_summaries(path, revision=head, exclude=exclude, allow_shallow=allow_shallow)
    try:
        first = next(commits, None)  # starts git log
        parents = parse_parents(walk.result())
        first_release = writer.first_release = first_release_of(parents, points, lambda point: by_point[point.name])
        total = count_new(parents, head, exclude)
        del parents
        done = 0

        def report(rows: int) -> None:
            nonlocal done
            done += rows
            if on_progress is not None:
                on_progress(done, total)

        if first is not None:
            writer.write(itertools.chain((first,), commits), on_batch=report)
    finally:
        commits.close()  # stops git if we stopped early
        walk.close()

    if rewritten:
        # History was rewritten: drop commits that are no longer reachable from the head.
        gone = [sha for sha in CommitRecord.objects.filter(repository=repository).values_list("sha", flat=True)
                if sha not in writer.seen]
        for start in range(0, len(gone), 500):
            CommitRecord.objects.filter(repository=repository, sha__in=gone[start:start + 500]).delete()
    if before:
        # Rows stored by an earlier (or interrupted) run keep the release they had then; a new tag,
        # a moved tag or a tag deleted since must be reflected in every one of them. Rows this run
        # inserted already carry the current release, so a first sync has nothing to reconcile.
        _reconcile_first_releases(repository, first_release)
    reverts = _sync_reverts(repository, path=path, head=head, points=points, by_point=by_point,
                            first_release=first_release)

    totals = CommitRecord.objects.filter(repository=repository).aggregate(
        commits=Count("id"), lines_added=Sum("lines_added"), lines_deleted=Sum("lines_deleted"))
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
