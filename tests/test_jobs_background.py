"""``enqueue(…, background=True)`` with the inline backend: the job runs on a thread of the calling process,
after the caller's transaction commits, and the caller gets its run back at once (a page that found figures
missing must not wait for them)."""

from __future__ import annotations


def test_a_background_job_runs_on_a_thread_of_the_process_and_the_caller_does_not_wait(transactional_db):
    from django.db import transaction

    from brightline.jobs.models import JobRun
    from brightline.jobs.services import enqueue, join_background

    with transaction.atomic():
        run = enqueue("rollups.refresh", background=True, missing=True)
        # Not run by the caller (an inline run would have finished here), and not started before the commit.
        assert JobRun.objects.get(pk=run.pk).status == JobRun.Status.QUEUED
    assert join_background(timeout=120)
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED and run.finished_at is not None, (run.status, run.error)
