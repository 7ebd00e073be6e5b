"""Background work through one interface: in-process by default, Celery workers through Redis to scale out."""

from __future__ import annotations

import os
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
