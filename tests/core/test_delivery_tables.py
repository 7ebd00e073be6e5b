"""End to end: a real git repository, mined, turned into tables, measured."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from brightline.core.delivery import (
    DeliveryData,
    compute_dora_metrics,
    iter_commits,
    list_release_tags,
    map_first_release,
)
from brightline.core.delivery.tables import (
    changes_from_commits,
    deployments_from_releases,
    remediations_from_reverts,
)


def git(repo: Path, *args: str, date: str | None = None) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.org",
    }
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, check=True, text=True).stdout.strip()


def test_a_reverted_release_is_a_failed_deployment_recovered_by_the_next_release(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "app.txt").write_text("v1\n")
    git(tmp_path, "add", "app.txt")
    git(tmp_path, "commit", "-q", "-m", "First", date="2024-03-01T09:00:00+01:00")  # 08:00 UTC
    git(tmp_path, "tag", "-a", "v1.0", "-m", "1.0", date="2024-03-01T12:00:00+00:00")
    (tmp_path / "app.txt").write_text("v2 broken\n")
    git(tmp_path, "commit", "-q", "-am", "Risky", date="2024-03-02T09:00:00+00:00")
    git(tmp_path, "tag", "-a", "v1.1", "-m", "1.1", date="2024-03-02T10:00:00+00:00")
    git(tmp_path, "revert", "--no-edit", "HEAD", date="2024-03-02T11:00:00+00:00")
    git(tmp_path, "tag", "-a", "v1.2", "-m", "1.2", date="2024-03-02T11:30:00+00:00")

    tags = list_release_tags(tmp_path)
    first_release = map_first_release(tmp_path, tags)
    commits = list(iter_commits(tmp_path))
    data = DeliveryData(
        deployments=deployments_from_releases(tags, service="shop"),
        changes=changes_from_commits(commits, first_release, service="shop"),
        remediations=remediations_from_reverts(commits, first_release, service="shop"),
    )
    assert data.remediations is not None
    assert data.remediations.column("failed_deployment_id").to_pylist() == ["shop@v1.1"]
    assert data.remediations.column("remediation_deployment_id").to_pylist() == ["shop@v1.2"]

    shop = compute_dora_metrics(data, start=datetime(2024, 3, 1, tzinfo=UTC), end=datetime(2024, 3, 8, tzinfo=UTC))[
        "shop"
    ]
    assert shop.deployments == 3
    assert shop.deployment_frequency_per_week == 3
    assert shop.change_fail_rate == 1 / 3
    assert shop.rework_rate == 1 / 3
    # lead times: 4 h (08:00 UTC -> 12:00), 1 h, 0.5 h
    assert (shop.lead_time_hours.n, shop.lead_time_hours.median) == (3, 1.0)
    assert shop.failed_deployment_recovery_hours.median == 1.5
