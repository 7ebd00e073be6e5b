"""DORA from git, end to end: real repositories built with ``git``, ingested, measured.

A revert marks a deployment failed only when the reverted change reached production in an
earlier deployment than the one shipping the revert; recovery runs from the failed deployment to
the deployment shipping the fix. A revert inside one release is rework, one not deployed yet
says nothing yet, and reverting a revert re-applies the change.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from brightline.evidence.metrics import service_dora
from brightline.evidence.models import Remediation, Service
from tests.test_evidence_ingest_git import commit, git, ingest

SERVICE = "orders"
START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)


def new_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "orders"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "app.py", "x = 0\n", "Initial commit", date="2026-01-05T09:00:00Z")
    tag(repo, "v1.0.0", "2026-01-05T10:00:00Z")
    return repo


def tag(repo: Path, name: str, date: str) -> None:
    git(repo, "tag", "-a", name, "-m", f"release {name}", date=date)


def revert(repo: Path, sha: str, date: str) -> str:
    git(repo, "revert", "--no-edit", sha, date=date)
    return git(repo, "rev-parse", "HEAD")


def measure(repo: Path) -> tuple[dict, object]:
    """Ingest, then the product's figures: ``metrics dora --json`` and the full result."""
    ingest(repo, "--service", SERVICE)
    out = StringIO()
    call_command("metrics", "dora", "--service", SERVICE, "--since", "2026-01-01", "--until", "2026-03-01",
                 "--json", stdout=out)
    return json.loads(out.getvalue()), service_dora(Service.objects.get(name=SERVICE), start=START, end=END)


def failed_versions() -> list[str]:
    """Deployments a stored revert marks failed (its failed deployment went live before its fix)."""
    return sorted(row.failed_deployment.version for row in Remediation.objects.select_related(
        "failed_deployment", "remediation_deployment")
        if row.failed_deployment.deployed_at < row.remediation_deployment.deployed_at)


@pytest.mark.django_db
def test_a_revert_in_the_same_release_is_rework_not_a_failure(tmp_path):
    repo = new_repo(tmp_path)
    bad = commit(repo, "config.yml", "timeout: 1\n", "Lower the timeout", date="2026-01-07T10:00:00Z")
    revert(repo, bad, "2026-01-07T15:00:00Z")
    tag(repo, "v1.1.0", "2026-01-08T10:00:00Z")
    figures, metrics = measure(repo)
    assert figures["deployments"] == 2
    assert metrics.failed_deployments == 0 and figures["change_fail_rate"] == 0
    assert figures["failed_deployment_recovery_hours"] == {"median": None, "p75": None, "p90": None, "n": 0}
    assert metrics.rework_deployments == 1 and figures["rework_rate"] == 0.5
    assert failed_versions() == []


@pytest.mark.django_db
def test_a_revert_in_the_next_release_fails_the_earlier_release_until_the_fix_ships(tmp_path):
    repo = new_repo(tmp_path)
    bad = commit(repo, "config.yml", "timeout: 1\n", "Lower the timeout", date="2026-01-07T10:00:00Z")
    tag(repo, "v1.1.0", "2026-01-08T10:00:00Z")
    revert(repo, bad, "2026-01-09T10:00:00Z")
    # the next release also reworks a change of its own before shipping it
    risky = commit(repo, "cache.py", "size = 0\n", "Disable the cache", date="2026-01-09T12:00:00Z")
    revert(repo, risky, "2026-01-09T13:00:00Z")
    tag(repo, "v1.2.0", "2026-01-10T16:00:00Z")
    figures, metrics = measure(repo)
    assert figures["deployments"] == 3
    assert metrics.failed_deployments == 1 and figures["change_fail_rate"] == pytest.approx(1 / 3)
    assert failed_versions() == ["v1.1.0"]
    recovery = figures["failed_deployment_recovery_hours"]
    assert (recovery["n"], recovery["median"]) == (1, 54.0)  # v1.1.0 to v1.2.0
    assert metrics.rework_deployments == 1 and figures["rework_rate"] == pytest.approx(1 / 3)


@pytest.mark.django_db
def test_reverting_a_revert_reapplies_the_change_and_fails_nothing(tmp_path):
    repo = new_repo(tmp_path)
    bad = commit(repo, "config.yml", "timeout: 1\n", "Lower the timeout", date="2026-01-07T10:00:00Z")
    tag(repo, "v1.1.0", "2026-01-08T10:00:00Z")
    first = revert(repo, bad, "2026-01-09T10:00:00Z")
    tag(repo, "v1.2.0", "2026-01-10T10:00:00Z")
    revert(repo, first, "2026-01-11T10:00:00Z")  # "Reapply": the change comes back, fixed elsewhere
    tag(repo, "v1.3.0", "2026-01-12T10:00:00Z")
    figures, metrics = measure(repo)
    assert figures["deployments"] == 4
    assert metrics.failed_deployments == 1 and figures["change_fail_rate"] == 0.25
    assert failed_versions() == ["v1.1.0"]
    assert figures["failed_deployment_recovery_hours"]["median"] == 48.0
    assert metrics.rework_deployments == 1  # v1.2.0 shipped the fix; v1.3.0 was planned work


@pytest.mark.django_db
def test_a_revert_undone_before_the_next_release_never_reached_production(tmp_path):
    repo = new_repo(tmp_path)
    bad = commit(repo, "config.yml", "timeout: 1\n", "Lower the timeout", date="2026-01-07T10:00:00Z")
    tag(repo, "v1.1.0", "2026-01-08T10:00:00Z")
    first = revert(repo, bad, "2026-01-09T10:00:00Z")
    revert(repo, first, "2026-01-09T11:00:00Z")
    tag(repo, "v1.2.0", "2026-01-10T10:00:00Z")
    figures, metrics = measure(repo)
    assert figures["deployments"] == 3
    assert metrics.failed_deployments == 0 and figures["change_fail_rate"] == 0
    assert metrics.rework_deployments == 1 and failed_versions() == []


@pytest.mark.django_db
def test_a_change_reachable_from_two_release_tags_fails_only_the_first_and_the_earliest_fix_recovers_it(tmp_path):
    repo = new_repo(tmp_path)
    bad = commit(repo, "config.yml", "timeout: 1\n", "Lower the timeout", date="2026-01-07T10:00:00Z")
    tag(repo, "v1.1.0", "2026-01-08T10:00:00Z")
    git(repo, "checkout", "-q", "-b", "maint-1.1", "v1.1.0")
    commit(repo, "docs.md", "notes\n", "Release notes", date="2026-01-09T09:00:00Z")
    tag(repo, "v1.1.1", "2026-01-09T10:00:00Z")  # ships the bad change too, but did not introduce it
    git(repo, "checkout", "-q", "main")
    main_fix = revert(repo, bad, "2026-01-10T10:00:00Z")
    git(repo, "checkout", "-q", "maint-1.1")
    git(repo, "cherry-pick", "-x", main_fix, date="2026-01-10T11:00:00Z")
    tag(repo, "v1.1.2", "2026-01-10T12:00:00Z")  # the fix reaches production here first
    git(repo, "checkout", "-q", "main")
    tag(repo, "v1.2.0", "2026-01-12T10:00:00Z")
    figures, metrics = measure(repo)
    assert figures["deployments"] == 5
    assert metrics.failed_deployments == 1 and figures["change_fail_rate"] == 0.2
    assert failed_versions() == ["v1.1.0", "v1.1.0"]  # repaired twice, failed once
    assert figures["failed_deployment_recovery_hours"]["median"] == 50.0  # v1.1.0 to v1.1.2
    assert metrics.rework_deployments == 2  # v1.1.2 and v1.2.0 both ship the fix


@pytest.mark.django_db
def test_a_revert_on_an_untagged_head_fails_nothing_until_it_is_deployed(tmp_path):
    repo = new_repo(tmp_path)
    bad = commit(repo, "config.yml", "timeout: 1\n", "Lower the timeout", date="2026-01-07T10:00:00Z")
    tag(repo, "v1.1.0", "2026-01-08T10:00:00Z")
    revert(repo, bad, "2026-01-09T10:00:00Z")
    figures, metrics = measure(repo)
    assert figures["deployments"] == 2
    assert metrics.failed_deployments == 0 and figures["change_fail_rate"] == 0
    assert figures["failed_deployment_recovery_hours"]["n"] == 0 and metrics.rework_deployments == 0
    assert not Remediation.objects.exists()

    tag(repo, "v1.2.0", "2026-01-11T10:00:00Z")
    figures, metrics = measure(repo)
    assert metrics.failed_deployments == 1 and failed_versions() == ["v1.1.0"]
    assert figures["failed_deployment_recovery_hours"]["median"] == 72.0


@pytest.mark.django_db
def test_a_hotfix_tag_on_a_maintenance_branch_recovers_the_maintenance_release(tmp_path):
    repo = new_repo(tmp_path)
    git(repo, "checkout", "-q", "-b", "maint-1.0", "v1.0.0")
    backport = commit(repo, "retry.py", "retries = 0\n", "Backport retries", date="2026-01-06T09:00:00Z")
    tag(repo, "v1.0.1", "2026-01-06T10:00:00Z")
    git(repo, "checkout", "-q", "main")
    commit(repo, "feature.py", "on = True\n", "Add a feature", date="2026-01-07T09:00:00Z")
    tag(repo, "v1.1.0", "2026-01-07T10:00:00Z")  # between the maintenance releases; not failed
    git(repo, "checkout", "-q", "maint-1.0")
    revert(repo, backport, "2026-01-08T09:00:00Z")
    tag(repo, "v1.0.2", "2026-01-08T10:00:00Z")  # the hotfix release
    git(repo, "checkout", "-q", "main")
    figures, metrics = measure(repo)
    assert figures["deployments"] == 4
    assert metrics.failed_deployments == 1 and figures["change_fail_rate"] == 0.25
    assert failed_versions() == ["v1.0.1"]
    assert figures["failed_deployment_recovery_hours"]["median"] == 48.0  # v1.0.1 to v1.0.2
    assert metrics.rework_deployments == 1


@pytest.mark.django_db
def test_with_pull_requests_lead_time_runs_from_their_first_commit_to_the_release_containing_the_merge(tmp_path):
    from brightline.core.delivery import LEAD_TIME_BASIS
    from brightline.evidence import charts
    from brightline.evidence.metrics import NORMALISATION_SAME_SERVICE, service_dora_by_period
    from brightline.evidence.models import PullRequest

    repo = new_repo(tmp_path)
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, "a.py", "a = 1\n", "Start the feature", date="2026-01-06T09:00:00Z")
    commit(repo, "b.py", "b = 1\n", "Finish the feature", date="2026-01-07T09:00:00Z")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "feature", "-m", "Merge pull request #1", date="2026-01-08T09:00:00Z")
    merge = git(repo, "rev-parse", "HEAD")
    tag(repo, "v1.1.0", "2026-01-09T09:00:00Z")
    pending = commit(repo, "c.py", "c = 1\n", "Not released yet", date="2026-01-10T09:00:00Z")

    figures, _ = measure(repo)  # no pull requests: one change per commit (merges left out)
    assert figures["lead_time_basis"] == "commits"
    assert (figures["lead_time_hours"]["n"], figures["lead_time_hours"]["median"]) == (3, 48.0)  # 1, 48, 72 h
    assert figures["definitions"]["lead_time_hours"].endswith(LEAD_TIME_BASIS["commits"])

    service = Service.objects.get(name=SERVICE)
    for number, sha, first_commit in ((1, merge, "2026-01-06T09:00:00Z"), (2, pending, "2026-01-10T09:00:00Z")):
        at = datetime.fromisoformat(first_commit)
        PullRequest.objects.create(service=service, source="github", external_id=f"acme/orders#{number}",
                                   number=number, title=f"Change {number}", state="merged", opened_at=at,
                                   first_commit_at=at, merged_at=at, merge_sha=sha, updated_at=at)
    figures, _ = measure(repo)
    assert figures["lead_time_basis"] == "pull_requests"
    # one change: the first commit of pull request #1 to v1.1.0, which contains its merge; #2 is not deployed
    assert (figures["lead_time_hours"]["n"], figures["lead_time_hours"]["median"]) == (1, 72.0)
    assert figures["definitions"]["lead_time_hours"].endswith(LEAD_TIME_BASIS["pull_requests"])
    periods = service_dora_by_period(service, start=START, end=END, period="month")
    spec = charts.trend_spec(periods, metric="lead_time_hours", subject=SERVICE,
                             normalisation=NORMALISATION_SAME_SERVICE)
    assert spec["title"]["subtitle"] == [NORMALISATION_SAME_SERVICE, LEAD_TIME_BASIS["pull_requests"]]
