"""Bridge from mined git history to the Arrow tables :mod:`brightline.core.delivery.dora` reads.

For a repository whose releases are tags, each release tag is one production deployment, each
non-merge commit is one change, and each ``git revert`` of a released commit is a remediation
of the deployment that first shipped the reverted commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import pyarrow as pa

from brightline.core.delivery.gitlog import Commit, ReleaseTag

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
    """A ``revert`` remediation for every revert of a *released* commit.

    Reverting a commit that never reached production is ordinary rework, not a production
    failure, so it is skipped. Abbreviated shas in the revert message are matched by prefix.
    """
    released = dict(first_release)
    rows: list[tuple[datetime, str, str | None]] = []
    for commit in commits:
        if commit.reverted_sha is None:
            continue
        failed = released.get(commit.reverted_sha)
        if failed is None and len(commit.reverted_sha) < 40:
            failed = next(
                (tag for sha, tag in released.items() if sha.startswith(commit.reverted_sha)), None
            )
        if failed is None:
            continue
        fix = released.get(commit.sha)
        rows.append(
            (
                _utc(commit.committed_at),
                deployment_id_for_release(service, failed),
                None if fix is None else deployment_id_for_release(service, fix),
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
