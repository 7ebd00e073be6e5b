"""Background work through one interface: in-process by default, Celery workers through Redis to scale out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from brightline.jobs.models import JobRun
from brightline.jobs.services import ERR_JOB_FAILED, ERR_UNKNOWN_JOB, enqueue


@pytest.mark.django_db
def test_an_inline_job_runs_before_enqueue_returns_and_records_its_progress(settings):
    settings.BRIGHTLINE_JOBS = "inline"
    run = enqueue("jobs.ping", steps=4)
    assert run.status == JobRun.Status.SUCCEEDED
    assert (run.progress, run.total, run.percent, run.result) == (4, 4, 100, {"steps": 4})
    assert run.message == "step 4 of 4"


@pytest.mark.django_db
def test_a_failing_job_is_recorded_as_failed_and_the_error_is_raised(settings, caplog):
    settings.BRIGHTLINE_JOBS = "inline"
    with pytest.raises(RuntimeError, match="asked to fail"):
        enqueue("jobs.ping", fail=True)
    run = JobRun.objects.get()
    # The person sees a sentence; the traceback (server paths, code) is in the server log only.
    assert run.status == JobRun.Status.FAILED and run.error == ERR_JOB_FAILED.format(run_id=run.pk)
    assert "Traceback" in caplog.text and "asked to fail" in caplog.text and "jobs.py" in caplog.text


@pytest.mark.django_db
def test_a_failed_ingestion_page_shows_no_traceback(settings, personas, client_for, tmp_path):
    from brightline.evidence.models import Repository, Service

    settings.BRIGHTLINE_JOBS = "inline"
    service = Service.objects.create(name="payments-api", team=personas.erin.team)
    repository_id = Repository.objects.create(service=service, path=str(tmp_path / "gone")).pk
    Repository.objects.filter(pk=repository_id).delete()  # the job fails on an error no person wrote for
    with pytest.raises(Repository.DoesNotExist):
        enqueue("evidence.ingest_git", repository_id=repository_id)
    run = JobRun.objects.get()
    page = client_for(personas.pia).get(f"/evidence/jobs/{run.pk}/").content.decode()
    assert "Traceback" not in page and ".py" not in page and "unexpected error" in page


@pytest.mark.django_db
def test_an_unknown_job_is_refused(settings):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured) as error:
        enqueue("jobs.nope")
    assert str(error.value).startswith(ERR_UNKNOWN_JOB.format(name="jobs.nope", known="")[:20])
    assert not JobRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_runs_the_job_through_redis(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("a worker in another process needs a database server it can share (runs on PostgreSQL)")
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("REDIS_URL is not set; `make test` starts a Redis server and sets it")
    settings.BRIGHTLINE_JOBS = "celery"
    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "BRIGHTLINE_JOBS": "celery", "REDIS_URL": redis_url}
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "brightline.celery", "worker", "--pool=solo", "--concurrency=1",
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        run = enqueue("jobs.ping", steps=5)  # sent on commit; a transactional test commits at once
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status in {JobRun.Status.SUCCEEDED, JobRun.Status.FAILED}:
                break
            time.sleep(0.2)
        assert run.status == JobRun.Status.SUCCEEDED, (tmp_path / "worker.log").read_text() + run.error
        assert run.result == {"steps": 5} and run.progress == 5
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()


def _start_worker(log_path, *, visibility_timeout: int) -> subprocess.Popen:
    """A real Celery worker process on the test database (the live one a transactional test commits to)."""
    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "BRIGHTLINE_JOBS": "celery", "REDIS_URL": os.environ["REDIS_URL"],
           "BRIGHTLINE_JOB_VISIBILITY_TIMEOUT": str(visibility_timeout)}
    # The default (prefork) pool: the job runs in a child while the main process talks to Redis, as in
    # production. (A solo pool would hide a missing acks_late: it can only acknowledge once the job is done.)
    # Its own session, so SIGKILL of the process group takes the whole worker down, as a lost machine would.
    with log_path.open("ab") as log:  # the worker writes to its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "brightline.celery", "worker", "--pool=prefork", "--concurrency=1",
             "--loglevel=INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(condition, what: str, log_path, *, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}:\n" + log_path.read_text(errors="replace")[-4000:])


def _ingested_state(repository) -> dict[str, list[tuple]]:
    """Everything a git ingestion writes, without ids or creation times, in a stable order."""
    from brightline.evidence.models import CommitRecord, Deployment, EvidenceItem, Remediation, UnmatchedIdentity

    return {
        "commits": sorted(CommitRecord.objects.filter(repository=repository).values_list(
            "sha", "parents", "author_email", "authored_at", "author_offset_minutes", "committed_at", "subject",
            "lines_added", "lines_deleted", "files_changed", "is_merge", "is_revert", "reverted_sha", "person_id",
            "first_release__version")),
        "evidence": sorted(EvidenceItem.objects.filter(source="git").values_list(
            "kind", "title", "summary", "occurred_at", "person_id", "team_id", "service", "source_ref", "metrics")),
        "releases": sorted(Deployment.objects.filter(source="git").values_list(
            "version", "sha", "deployed_at", "environment", "status", "external_id")),
        "remediations": sorted(Remediation.objects.filter(source="git").values_list(
            "external_id", "kind", "occurred_at", "failed_deployment__version", "remediation_deployment__version")),
        "unmatched": sorted(UnmatchedIdentity.objects.values_list("source", "kind", "value", "display_name")),
    }


def _forget_ingestion(repository) -> None:
    from brightline.evidence.models import (
        CommitRecord,
        Deployment,
        EvidenceItem,
        Remediation,
        Repository,
        UnmatchedIdentity,
    )

    Remediation.objects.filter(source="git").delete()
    CommitRecord.objects.filter(repository=repository).delete()
    EvidenceItem.objects.filter(source="git").delete()
    Deployment.objects.filter(source="git").delete()
    UnmatchedIdentity.objects.all().delete()
    Repository.objects.filter(pk=repository.pk).update(last_synced_head="", last_synced_at=None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_of_an_ingestion_leaves_a_retry_with_exactly_the_uninterrupted_result(
        settings, tmp_path, personas):
    """SIGKILL a worker while a git ingestion has written three of its seven batches, start another worker:
    the job is delivered again and the database ends up exactly as after a run that was never interrupted."""
    if connection.vendor != "postgresql":
        pytest.skip("a worker in another process needs a database server it can share (runs on PostgreSQL)")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set; `make test` starts a Redis server and sets it")
    import psycopg

    from brightline.evidence.models import CommitRecord, EvidenceItem
    from brightline.evidence.services import ensure_service, register_repository
    from tests.test_evidence_ingest_git import commit, git

    repo = tmp_path / "payments"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    authors = [("Erin Employee", "erin@example.org"), ("Pat Peer", "pat@example.org"), ("Sam Contractor", "sam@x.org")]
    shas = []
    for number in range(60):
        author, email = authors[number % 3]
        day = f"2026-02-{1 + number // 3:02d}T{9 + number % 3}:00:00+01:00"
        path = "config.yml" if number == 30 else f"src/module_{number % 7}.py"  # config.yml: reverted below
        shas.append(commit(repo, path, "".join(f"line {n}\n" for n in range(number + 1)), f"Change {number}",
                           date=day, author=author, email=email))
        if number in {19, 39}:
            git(repo, "tag", "-a", f"v1.{number // 20}.0", "-m", "release", date=day)
    git(repo, "revert", "--no-edit", shas[30], date="2026-02-28T09:00:00Z")
    git(repo, "tag", "v1.2.0", date="2026-02-28T10:00:00Z")
    service = ensure_service(name="payments-api", team_slug="payments", release_tags=None, actor=None,
                             actor_label="test")
    repository = register_repository(service, path=str(repo), branch="HEAD", actor=None, actor_label="test")

    # The result of an uninterrupted run, in this process; then forget it and run on workers.
    settings.BRIGHTLINE_JOBS = "inline"
    uninterrupted = enqueue("evidence.ingest_git", repository_id=repository.pk, batch_size=10)
    expected = _ingested_state(repository)
    assert len(expected["commits"]) == 61 and len(expected["releases"]) == 3 and expected["remediations"]
    assert len(expected["evidence"]) == 40 and expected["unmatched"]  # Sam's 20 commits are nobody's evidence
    _forget_ingestion(repository)

    # Hold the row of a commit in the middle of the history in an open transaction: git log lists it 31st (after
    # the revert and 29 newer commits), so the worker commits three batches of ten and then waits on the unique
    # key in the fourth, mid-job, for as long as the test wants.
    db = connection.settings_dict
    blocker = psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"])
    blocker.execute(f"INSERT INTO {CommitRecord._meta.db_table} (repository_id, sha, parents, author_name, "
                    "author_email, authored_at, author_offset_minutes, committer_name, committer_email, committed_at, "
                    "committer_offset_minutes, subject, lines_added, lines_deleted, files_changed, is_merge, "
                    "is_revert, reverted_sha) VALUES (%s, %s, '', 'x', 'x', now(), 0, 'x', 'x', now(), 0, 'x', "
                    "0, 0, 0, false, false, '')", (repository.pk, shas[30]))
    log = tmp_path / "workers.log"
    settings.BRIGHTLINE_JOBS = "celery"
    first_worker = _start_worker(log, visibility_timeout=2)
    second_worker = None
    try:
        run = enqueue("evidence.ingest_git", repository_id=repository.pk, batch_size=10)
        _wait_for(lambda: CommitRecord.objects.filter(repository=repository).count() == 30, "three batches", log)
        with connection.cursor() as cursor:
            waiting = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
            _wait_for(lambda: cursor.execute(waiting) or cursor.fetchone()[0] == 1, "the fourth batch to wait", log)
        run.refresh_from_db()
        assert run.status == JobRun.Status.RUNNING

        os.killpg(first_worker.pid, signal.SIGKILL)
        first_worker.wait(timeout=30)
        blocker.rollback()
        blocker.close()
        assert CommitRecord.objects.filter(repository=repository).count() == 30  # what the killed worker left

        second_worker = _start_worker(log, visibility_timeout=2)
        _wait_for(lambda: JobRun.objects.get(pk=run.pk).status in {JobRun.Status.SUCCEEDED, JobRun.Status.FAILED},
                  "the job to be delivered again and finish", log)
        run.refresh_from_db()
        assert run.status == JobRun.Status.SUCCEEDED, run.error
        assert _ingested_state(repository) == expected
        assert CommitRecord.objects.filter(repository=repository).values("sha").distinct().count() == \
            CommitRecord.objects.filter(repository=repository).count() == 61
        assert EvidenceItem.objects.values("source", "source_ref").distinct().count() == \
            EvidenceItem.objects.count() == 40
        ignore = {"seconds", "new_commits"}  # this attempt added the 31 rows the killed one had not
        assert {k: v for k, v in run.result.items() if k not in ignore} == \
            {k: v for k, v in uninterrupted.result.items() if k not in ignore}
        assert run.result["new_commits"] == 31
        assert JobRun.objects.filter(name="evidence.ingest_git").count() == 2  # one run each, not a new one
    finally:
        if not blocker.closed:
            blocker.close()
        for worker in (first_worker, second_worker):
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_schedule_sent_by_beat_is_claimed_and_run_on_a_worker(settings, tmp_path):
    """What Celery beat sends (``brightline.run_schedules``) runs a due schedule once, on real workers."""
    if connection.vendor != "postgresql":
        pytest.skip("a worker in another process needs a database server it can share (runs on PostgreSQL)")
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set; `make test` starts a Redis server and sets it")
    from datetime import timedelta

    from django.utils import timezone

    from brightline.celery import run_schedules
    from brightline.jobs.models import ScheduleState

    settings.BRIGHTLINE_JOBS = "celery"
    ScheduleState.objects.create(name="evidence-sync", last_slot=timezone.now() - timedelta(days=1))
    log = tmp_path / "worker.log"
    worker = _start_worker(log, visibility_timeout=60)
    try:
        first = run_schedules.delay(["evidence-sync"])
        second = run_schedules.delay(["evidence-sync"])  # a second beat, or a catch-up, in the same slot
        started = sorted([first.get(timeout=120), second.get(timeout=120)], key=len)
        assert len(started[0]) == 0 and len(started[1]) == 1, log.read_text(errors="replace")[-3000:]
        state = _wait_for(lambda: ScheduleState.objects.filter(name="evidence-sync", run__status="succeeded",
                                                               busy_until__isnull=True).first(),
                          "the scheduled sync to run", log)
        assert state.run.pk == started[1][0] and state.run.name == "evidence.sync_sources"
        assert state.run.result == {"sources": 0, "synced": [], "skipped": []}
        assert JobRun.objects.filter(name="evidence.sync_sources").count() == 1
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
