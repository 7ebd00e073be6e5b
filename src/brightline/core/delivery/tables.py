"""Bridge from mined git history to the Arrow tables :mod:`brightline.core.delivery.dora` reads.

For a repository whose releases are tags, each release tag is one production deployment, each
non-merge commit is one change, and each deployed ``git revert`` is a remediation of the earlier
deployment that first shipped the reverted commit, or rework inside one release (see
:mod:`brightline.core.delivery.reverts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import pyarrow as pa

from brightline.core.delivery.gitlog import Commit, ReleaseTag
from brightline.core.delivery.reverts import classify_reverts, go_live_ranks

__all__ = [
    "changes_from_commits",
    "deployment_id_for_release",
    "deployments_from_releases",
    "remediations_from_reverts",
]

_TIMESTAMP = pa.timestamp("us", tz="UTC")


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def deployment_id_for_release(service: str, tag: ReleaseTag) -> str:
    """A stable deployment id for a release tag: ``<service>@<tag name>``."""
    return f"{service}@{tag.name}"


def deployments_from_releases(tags: Sequence[ReleaseTag], *, service: str) -> pa.Table:
    """One successful production deployment per release tag, at the tag's creation time (UTC)."""
    return pa.table(
        {
            "deployment_id": pa.array([deployment_id_for_release(service, tag) for tag in tags], pa.string()),
            "service": pa.array([service] * len(tags), pa.string()),
            "environment": pa.array(["production"] * len(tags), pa.string()),
            "deployed_at": pa.array([_utc(tag.created_at) for tag in tags], _TIMESTAMP),
            "sha": pa.array([tag.commit_sha for tag in tags], pa.string()),
            "version": pa.array([tag.name for tag in tags], pa.string()),
            "status": pa.array(["success"] * len(tags), pa.string()),
            "is_production": pa.array([True] * len(tags), pa.bool_()),
        }
    )


def changes_from_commits(
    commits: Iterable[Commit],
    first_release: Mapping[str, ReleaseTag],
    *,
    service: str,
    include_merges: bool = False,
) -> pa.Table:
    """One change per commit: its author time and the first release containing it (null when
    not released yet). Merge commits are left out by default: their author time is when the
    branch was merged, not when the work started, so they would shorten lead times."""
    shas: list[str] = []
    authored: list[datetime] = []
    deployed: list[datetime | None] = []
    for commit in commits:
        if commit.is_merge and not include_merges:
            continue
        release = first_release.get(commit.sha)
        shas.append(commit.sha)
        authored.append(_utc(commit.authored_at))
        deployed.append(None if release is None else _utc(release.created_at))
    return pa.table(
        {
            "service": pa.array([service] * len(shas), pa.string()),
            "sha": pa.array(shas, pa.string()),
            "first_commit_author_time": pa.array(authored, _TIMESTAMP),
            "deployed_at": pa.array(deployed, _TIMESTAMP),
        }
    )


def remediations_from_reverts(
    commits: Iterable[Commit],
    first_release: Mapping[str, ReleaseTag],
    *,
    service: str,
) -> pa.Table:
    """A ``revert`` remediation for every deployed revert, decided by
    :func:`~brightline.core.delivery.reverts.classify_reverts`.

    A revert of a change that an earlier release shipped is a remediation of that release,
    fixed by the release that ships the revert. A revert of a change first shipped in the same
    release is rework: a row with that release as both the failed and the remediation
    deployment, which the metrics count as rework and never as a failure. Reverts not released
    yet, re-applications (reverts of reverts) and reverts of commits outside the history give no row.
    """
    by_name = {tag.name: tag for tag in first_release.values()}
    rank = go_live_ranks({name: tag.created_at for name, tag in by_name.items()})
    released = {sha: tag.name for sha, tag in first_release.items()}
    committed: dict[str, datetime] = {}
    pairs: list[tuple[str, str]] = []
    for commit in commits:
        if commit.reverted_sha is not None:
            pairs.append((commit.sha, commit.reverted_sha))
            committed[commit.sha] = commit.committed_at
    rows: list[tuple[datetime, str, str | None]] = []
    for decision in classify_reverts(pairs, released, rank):
        if decision.failed_deployment is None or decision.fix_deployment is None:
            continue
        rows.append(
            (
                _utc(committed[decision.sha]),
                deployment_id_for_release(service, by_name[decision.failed_deployment]),
                deployment_id_for_release(service, by_name[decision.fix_deployment]),
            )
        )
    return pa.table(
        {
            "service": pa.array([service] * len(rows), pa.string()),
            "kind": pa.array(["revert"] * len(rows), pa.string()),
            "occurred_at": pa.array([row[0] for row in rows], _TIMESTAMP),
            "failed_deployment_id": pa.array([row[1] for row in rows], pa.string()),
            "remediation_deployment_id": pa.array([row[2] for row in rows], pa.string()),
        }
    )
