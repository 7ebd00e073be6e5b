"""Ingesting real git repositories (built with git in a temporary directory) into the database.

Totals are checked against ``git log --numstat`` run independently in the test; a real
``brightline ingest git`` process is killed mid-run and resumed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from brightline.core.delivery import SHALLOW_REPOSITORY
from brightline.evidence.models import (
    CommitRecord,
    Deployment,
    EvidenceItem,
    Remediation,
    Repository,
    UnmatchedIdentity,
)
from brightline.evidence.sources.base import ERR_SOURCE_NOT_ALLOWED
from brightline.people.models import Identity
from brightline.policy.services import get_policy
from tests.conftest import audit_actions

ROOT = Path(__file__).resolve().parents[1]
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str, date: str = "2026-03-02T10:00:00+01:00", author: str = "Ada Lovelace",
        email: str = "ada@example.org", input: bytes | None = None) -> str:
    env = {**GIT_ENV, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": author,
           "GIT_COMMITTER_EMAIL": email, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    result = subprocess.run(["git", "-c", "protocol.file.allow=always", *args], cwd=repo, env=env, input=input,
                            capture_output=True, check=True)
    return result.stdout.decode("utf-8", "replace").strip()


def commit(repo: Path, name: str, content: bytes | str, message: str, **kwargs: str) -> str:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    git(repo, "add", "-A", **kwargs)
    git(repo, "commit", "-q", "-m", message, **kwargs)
    return git(repo, "rev-parse", "HEAD")


def numstat_totals(repo: Path, revision: str = "HEAD") -> tuple[int, int, int]:
    """``(commits, lines added, lines deleted)`` exactly as plain ``git log --numstat`` shows them."""
    output = subprocess.run(["git", "log", "--numstat", "--format=%x00%H", revision], cwd=repo, env=GIT_ENV,
                            capture_output=True, check=True).stdout.decode("utf-8", "replace")
    commits = output.count("\x00")
    added = deleted = 0
    for line in output.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0] != "-":
            added += int(parts[0])
            deleted += int(parts[1])
    return commits, added, deleted


def ingest(path: Path, *args: str) -> dict:
    out = StringIO()
    call_command("ingest", "git", str(path), *args, "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


@pytest.fixture
def realistic_repo(tmp_path: Path) -> Path:
    """Merges, a revert, a rename, a binary file, a non-UTF-8 message, release and pre-release tags,
    and a tag on a maintenance branch."""
    repo = tmp_path / "service"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "app.py", "".join(f"line {n}\n" for n in range(30)), "Initial commit", date="2026-01-05T09:00:00Z")
    git(repo, "tag", "-a", "v1.0.0", "-m", "release 1.0.0", date="2026-01-06T09:00:00Z")
    commit(repo, "README.md", "# Service\n", "Add readme", date="2026-01-07T10:00:00+01:00")
    git(repo, "mv", "app.py", "service.py", date="2026-01-08T10:00:00Z")
    git(repo, "commit", "-q", "-m", "Rename app to service", date="2026-01-08T10:00:00Z")
    commit(repo, "logo.png", bytes(range(256)) * 40, "Add a binary logo", date="2026-01-09T10:00:00Z")
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, "feature.py", "def feature():\n    return 1\n", "Add feature", date="2026-01-10T10:00:00Z")
    git(repo, "checkout", "-q", "main")
    commit(repo, "service.py", "".join(f"line {n}\n" for n in range(25)) + "changed\n", "Trim service",
           date="2026-01-11T10:00:00Z")
    git(repo, "merge", "-q", "--no-ff", "feature", "-m", "Merge feature", date="2026-01-12T10:00:00Z")
    bad = commit(repo, "config.yml", "timeout: 1\n", "Lower the timeout", date="2026-01-13T10:00:00Z")
    git(repo, "tag", "v1.1.0", date="2026-01-14T10:00:00Z")
    git(repo, "tag", "2.0.0rc1", date="2026-01-14T11:00:00Z")  # a pre-release: not a deployment
    git(repo, "revert", "--no-edit", bad, date="2026-01-15T10:00:00Z")
    (repo / "latin.txt").write_text("caf\u00e9\n", encoding="latin-1")
    git(repo, "add", "latin.txt", date="2026-01-16T10:00:00Z")
    git(repo, "-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "-F", "-", date="2026-01-16T10:00:00Z",
        input="Caf\u00e9 menu in Latin-1\n".encode("latin-1"))
    git(repo, "tag", "-a", "v1.2.0", "-m", "release 1.2.0", date="2026-01-17T10:00:00Z")
    git(repo, "checkout", "-q", "-b", "maint-1.0", "v1.0.0")
    commit(repo, "service_fix.py", "fix = True\n", "Backport fix", date="2026-01-18T10:00:00Z")
    git(repo, "tag", "v1.0.1", date="2026-01-18T11:00:00Z")
    git(repo, "checkout", "-q", "main")
    return repo


@pytest.mark.django_db
def test_totals_equal_git_log_numstat_and_a_second_run_adds_nothing(realistic_repo):
    first = ingest(realistic_repo, "--service", "payments-api")
    commits, added, deleted = numstat_totals(realistic_repo)
    assert (first["commits"], first["lines_added"], first["lines_deleted"]) == (commits, added, deleted)
    assert first["new_commits"] == commits
    # v1.0.0, v1.1.0, v1.2.0 and the maintenance tag v1.0.1; 2.0.0rc1 is a pre-release
    assert first["releases"] == 4 and first["reverts"] == 1
    assert set(first) == {"commits", "new_commits", "lines_added", "lines_deleted", "releases", "reverts", "seconds"}
    second = ingest(realistic_repo, "--service", "payments-api")
    assert second["new_commits"] == 0
    assert {k: v for k, v in second.items() if k not in {"seconds", "new_commits"}} == \
        {k: v for k, v in first.items() if k not in {"seconds", "new_commits"}}
    assert CommitRecord.objects.count() == commits
    assert audit_actions().count("evidence.repository.synced") == 2


@pytest.mark.django_db
def test_merges_count_as_commits_without_lines_and_the_revert_remediates_its_release(realistic_repo):
    ingest(realistic_repo, "--service", "payments-api")
    merge = CommitRecord.objects.get(subject="Merge feature")
    assert merge.is_merge and (merge.lines_added, merge.lines_deleted) == (0, 0)
    rename = CommitRecord.objects.get(subject="Rename app to service")
    assert (rename.lines_added, rename.lines_deleted, rename.files_changed) == (0, 0, 1)
    logo = CommitRecord.objects.get(subject="Add a binary logo")
    assert (logo.lines_added, logo.files_changed) == (0, 1)
    latin = CommitRecord.objects.get(subject__startswith="Caf")
    assert latin.subject.endswith("menu in Latin-1")
    remediation = Remediation.objects.get()
    assert remediation.kind == "revert" and remediation.failed_deployment.version == "v1.1.0"
    assert remediation.remediation_deployment.version == "v1.2.0"
    assert CommitRecord.objects.get(subject="Lower the timeout").first_release.version == "v1.1.0"


@pytest.mark.django_db
def test_times_keep_the_authors_offset(realistic_repo):
    ingest(realistic_repo, "--service", "payments-api")
    readme = CommitRecord.objects.get(subject="Add readme")
    assert readme.author_offset_minutes == 60
    assert readme.authored_at.isoformat() == "2026-01-07T09:00:00+00:00"


@pytest.mark.django_db
def test_release_tags_follow_the_service_pattern(realistic_repo):
    result = ingest(realistic_repo, "--service", "payments-api", "--release-tags", r"^v1\.[12]\.\d+$")
    assert result["releases"] == 2
    assert sorted(Deployment.objects.values_list("version", flat=True)) == ["v1.1.0", "v1.2.0"]
    assert "evidence.service.created" in audit_actions()


@pytest.mark.django_db
def test_new_commits_are_added_incrementally(realistic_repo):
    ingest(realistic_repo, "--service", "payments-api")
    commit(realistic_repo, "more.py", "x = 1\ny = 2\n", "Add more", date="2026-02-01T10:00:00Z")
    result = ingest(realistic_repo, "--service", "payments-api")
    commits, added, deleted = numstat_totals(realistic_repo)
    assert result["new_commits"] == 1
    assert (result["commits"], result["lines_added"], result["lines_deleted"]) == (commits, added, deleted)


@pytest.mark.django_db
def test_a_sync_that_stored_part_of_the_history_completes_it_without_duplicates(realistic_repo):
    first = ingest(realistic_repo, "--service", "payments-api")
    # What an interrupted run leaves: some whole batches, some not, and no cursor.
    kept = list(CommitRecord.objects.order_by("-committed_at").values_list("pk", flat=True))[::3]
    CommitRecord.objects.exclude(pk__in=kept).delete()
    Repository.objects.update(last_synced_head="")
    resumed = ingest(realistic_repo, "--service", "payments-api", "--batch-size", "2")
    assert resumed["new_commits"] == first["commits"] - len(kept)
    assert {k: v for k, v in resumed.items() if k not in {"seconds", "new_commits"}} == \
        {k: v for k, v in first.items() if k not in {"seconds", "new_commits"}}
    assert CommitRecord.objects.values("sha").distinct().count() == CommitRecord.objects.count() == first["commits"]
    assert CommitRecord.objects.get(subject="Lower the timeout").first_release.version == "v1.1.0"


@pytest.mark.django_db
def test_progress_counts_up_to_the_commits_this_run_reads(realistic_repo):
    from brightline.evidence.services import ensure_service, register_repository
    from brightline.evidence.sources.git import sync_git_repository

    service = ensure_service(name="payments-api", team_slug=None, release_tags=None, actor=None, actor_label="test")
    repository = register_repository(service, path=str(realistic_repo), actor=None, actor_label="test")
    reports: list[tuple[int, int | None]] = []
    sync_git_repository(repository, batch_size=3, on_progress=lambda done, total: reports.append((done, total)))
    commits = numstat_totals(realistic_repo)[0]
    assert reports[-1] == (commits, commits) and len(reports) == -(-commits // 3)
    commit(realistic_repo, "more.py", "x = 1\n", "Add more", date="2026-02-01T10:00:00Z")
    commit(realistic_repo, "more.py", "x = 2\n", "Change more", date="2026-02-02T10:00:00Z")
    reports.clear()
    sync_git_repository(repository, on_progress=lambda done, total: reports.append((done, total)))
    assert reports == [(2, 2)]


@pytest.mark.django_db
def test_a_rewritten_branch_drops_commits_that_are_no_longer_reachable(realistic_repo):
    ingest(realistic_repo, "--service", "payments-api")
    git(realistic_repo, "reset", "-q", "--hard", "HEAD~2")
    result = ingest(realistic_repo, "--service", "payments-api")
    assert (result["commits"], result["lines_added"], result["lines_deleted"]) == numstat_totals(realistic_repo)


@pytest.mark.django_db
def test_a_repository_without_tags_is_ingested_with_a_clear_note(tmp_path):
    repo = tmp_path / "untagged"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "a.txt", "a\n", "First")
    err = StringIO()
    out = StringIO()
    call_command("ingest", "git", str(repo), "--service", "untagged", "--json", stdout=out, stderr=err)
    assert json.loads(out.getvalue())["releases"] == 0
    assert "No tag in" in err.getvalue() and "--release-tags" in err.getvalue()


@pytest.mark.django_db
def test_a_shallow_clone_is_refused_with_the_cores_message(realistic_repo, tmp_path):
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{realistic_repo}", str(shallow)], env=GIT_ENV,
                   check=True, capture_output=True)
    with pytest.raises(CommandError) as error:
        ingest(shallow, "--service", "shallow")
    assert str(error.value) == SHALLOW_REPOSITORY.format(path=shallow)
    assert not CommitRecord.objects.exists()


@pytest.mark.django_db
def test_a_submodule_is_one_changed_file(realistic_repo, tmp_path):
    parent = tmp_path / "parent"
    parent.mkdir()
    git(parent, "init", "-q", "-b", "main")
    commit(parent, "main.txt", "hello\n", "Parent")
    git(parent, "submodule", "add", "-q", f"file://{realistic_repo}", "vendor/service")
    git(parent, "commit", "-q", "-m", "Add submodule")
    result = ingest(parent, "--service", "parent")
    assert (result["commits"], result["lines_added"], result["lines_deleted"]) == numstat_totals(parent)


@pytest.mark.django_db
def test_ingesting_is_refused_when_the_policy_does_not_allow_git(realistic_repo):
    policy = get_policy()
    policy.allowed_sources = [key for key in policy.allowed_sources if key != "git_commits"]
    policy.save()
    with pytest.raises(CommandError) as error:
        ingest(realistic_repo, "--service", "payments-api")
    assert str(error.value) == ERR_SOURCE_NOT_ALLOWED.format(key="git_commits")
    assert not CommitRecord.objects.exists()


@pytest.mark.django_db
def test_authors_resolve_through_mailmap_and_case_folding_and_the_rest_is_queued(personas, tmp_path):
    repo = tmp_path / "people"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "a.txt", "a\n", "By Erin with shouting email", author="Erin", email="ERIN@Example.ORG")
    commit(repo, "b.txt", "b\n", "By Pat from home", author="Pat", email="pat@home.example")
    commit(repo, ".mailmap", "Pat Peer <pat@example.org> <pat@home.example>\n", "Mailmap", author="Pat",
           email="pat@example.org")
    commit(repo, "c.txt", "c\n", "By a stranger", author="Sam Stranger", email="sam@elsewhere.example")
    commit(repo, "d.txt", "d\n", "By Mo via an alias", author="Mo", email="mo.h@old-company.example")
    Identity.objects.create(person=personas.mo, kind="email", value="Mo.H@Old-Company.example")
    ingest(repo, "--service", "people-svc")
    by_subject = dict(CommitRecord.objects.values_list("subject", "person_id"))
    assert by_subject["By Erin with shouting email"] == personas.erin.pk
    assert by_subject["By Pat from home"] == personas.pat.pk
    assert by_subject["By Mo via an alias"] == personas.mo.pk
    assert by_subject["By a stranger"] is None
    assert list(UnmatchedIdentity.objects.values_list("kind", "value")) == [("email", "sam@elsewhere.example")]
    # merged changes of identified people are citable evidence; the stranger's is not attributed to anyone
    assert set(EvidenceItem.objects.values_list("person_id", flat=True)) == {personas.erin.pk, personas.pat.pk,
                                                                             personas.mo.pk}


@pytest.mark.django_db
def test_a_merged_change_item_holds_what_the_model_would_store(personas, tmp_path):
    from brightline.evidence.sources.git.sync import merged_change_item

    repo = tmp_path / "items"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    sha = commit(repo, "a.txt", "a\nb\n", "Add a\n\nWith a body.", author="Erin", email="erin@example.org",
                 date="2026-03-02T10:00:00+01:00")
    ingest(repo, "--service", "items-svc")
    stored = EvidenceItem.objects.get()
    expected = merged_change_item(sha=sha, subject="Add a", committed_at=stored.occurred_at, person_id=personas.erin.pk,
                                  team_id=None, service="items-svc", lines_added=2, lines_deleted=0, files=1)
    fields = ["kind", "title", "summary", "url", "person_id", "team_id", "service", "source", "source_ref", "metrics"]
    assert {name: getattr(stored, name) for name in fields} == {name: getattr(expected, name) for name in fields}
    assert stored.occurred_at.isoformat() == "2026-03-02T09:00:00+00:00"
    assert stored.created_at is not None and EvidenceItem.objects.filter(metrics__lines_added=2).exists()


def _generate(path: Path, commits: int) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from bench_git_parse import generate_repository
    finally:
        sys.path.pop(0)
    generate_repository(path, commits)


def _brightline(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "brightline", *args], env=env, capture_output=True, check=True,
                          **kwargs)


def test_killing_a_real_ingest_and_running_it_again_gives_the_uninterrupted_totals(tmp_path):
    repo = tmp_path / "big.git"
    _generate(repo, 6000)
    database = tmp_path / "kill.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "BRIGHTLINE_HOME": str(tmp_path)}
    _brightline(env, "migrate", "-v0")
    command = [sys.executable, "-m", "brightline", "ingest", "git", str(repo), "--service", "big", "--batch-size",
               "200", "--json"]
    killed_at = None
    for _attempt in range(3):
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            with sqlite3.connect(database, timeout=30) as db:
                stored = db.execute("SELECT count(*) FROM evidence_commitrecord").fetchone()[0]
            if stored >= 400:
                process.send_signal(signal.SIGKILL)
                killed_at = stored
                break
            time.sleep(0.01)
        process.wait()
        if process.returncode == -signal.SIGKILL and killed_at is not None and killed_at < 6000:
            break
    assert killed_at is not None and killed_at < 6000, "the ingest finished before it could be killed"
    resumed = json.loads(_brightline(env, *command[3:]).stdout)
    commits, added, deleted = numstat_totals(repo)
    assert (resumed["commits"], resumed["lines_added"], resumed["lines_deleted"]) == (commits, added, deleted)
    assert 0 < resumed["new_commits"] <= commits
    assert resumed["releases"] == 12
    with sqlite3.connect(database) as db:
        distinct, total = db.execute("SELECT count(DISTINCT sha), count(*) FROM evidence_commitrecord").fetchone()
    assert distinct == total == commits
    again = json.loads(_brightline(env, *command[3:]).stdout)
    assert again["new_commits"] == 0 and again["commits"] == commits


@pytest.mark.django_db
def test_the_ingest_job_records_progress_and_the_totals(realistic_repo, personas, settings):
    from brightline.evidence.services import ensure_service, register_repository
    from brightline.jobs.models import JobRun
    from brightline.jobs.services import enqueue

    settings.BRIGHTLINE_JOBS = "inline"
    service = ensure_service(name="payments-api", team_slug="payments", release_tags=None, actor=personas.pia)
    repository = register_repository(service, path=str(realistic_repo), actor=personas.pia)
    run = enqueue("evidence.ingest_git", requested_by=personas.pia, repository_id=repository.pk,
                  actor_id=personas.pia.pk)
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.result["commits"] == numstat_totals(realistic_repo)[0]
    assert Repository.objects.get().last_synced_head


@pytest.mark.django_db
def test_a_co_author_named_in_a_commit_is_credited_with_pairing_never_counted(personas, tmp_path, client_for):
    """A ``Co-authored-by:`` line whose e-mail maps to a person gives that person a pairing item (how mentoring
    shows in git); the author keeps the merged change, an unknown co-author is queued, nothing is doubled."""
    from datetime import timedelta

    from django.utils import timezone

    from brightline.core.delivery.gitlog import co_authors

    when = (timezone.now() - timedelta(days=5)).replace(microsecond=0).isoformat()
    repo = tmp_path / "pairs"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "a.txt", "a\n", "Retry budget for the capture client\n\nPaired all afternoon.\n\n"
           "Co-authored-by: Pat Peer <PAT@example.org>\nCo-authored-by: Erin <erin@example.org>\n"
           "Co-authored-by: Sam Stranger <sam@elsewhere.example>", author="Erin", email="erin@example.org", date=when)
    commit(repo, "b.txt", "b\n", "Ledger checks\n\nco-authored-by: Mo <mo@example.org>", author="Pat",
           email="pat@example.org", date=when)
    commit(repo, "c.txt", "c\n", "Alone\n\nMentions Co-authored-by: in passing <x@example.org>", author="Pat",
           email="pat@example.org", date=when)
    for _run in range(2):
        ingest(repo, "--service", "payments-api")
    pairing = sorted(EvidenceItem.objects.filter(kind="pairing").values_list("person_id", "title", "summary"))
    assert pairing == sorted([
        (personas.pat.pk, "Paired on: Retry budget for the capture client",
         f"Co-author of commit {git(repo, 'rev-parse', 'HEAD~2')[:12]} in payments-api, made with Erin."),
        (personas.mo.pk, "Paired on: Ledger checks",
         f"Co-author of commit {git(repo, 'rev-parse', 'HEAD~1')[:12]} in payments-api, made with Pat.")])
    assert EvidenceItem.objects.filter(kind="merged_change").count() == 3  # the commits stay their authors'
    assert ("email", "sam@elsewhere.example") in set(UnmatchedIdentity.objects.values_list("kind", "value"))
    assert co_authors(b"Subject\n\nCo-Authored-By: A <a@x.org>\nCo-authored-by: A again <A@X.org>") == (
        ("A", "a@x.org"),)

    # Mo, Pat's manager, sees it among the work that is easy to miss, named and never counted, and Pat among their own.
    client = client_for(personas.mo)
    html = client.get("/team/").content.decode()
    section = html[html.index('id="unseen-h"'):html.index('id="records-h"')]
    assert "Paired on: Retry budget for the capture client <span class=\"muted\">(paired on a change," in section
    assert "1 pairing" not in section and "pairings" not in section
    home = client_for(personas.pat).get("/").content.decode()  # Pat's own recent outcomes, to cite
    assert ("Retry budget for the capture client\n        <span class=\"muted\">· Paired on a change ·"
            in home)
