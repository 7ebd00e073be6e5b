"""Background work through one interface: ``enqueue("evidence.ingest_git", path=…)``.

With ``BRIGHTLINE_JOBS=inline`` (the default) a job runs in the calling process before
``enqueue`` returns, which keeps a laptop install free of extra servers. With
``BRIGHTLINE_JOBS=celery`` the same job is sent to Celery workers through Redis. Either
way the job's state lives in a ``JobRun`` row, so pages show progress the same way.

A caller that must not wait (a page that found figures missing) passes ``background=True``: the inline
backend then runs the job on a thread of the calling process, started once the caller's transaction commits,
and returns at once; Celery sends it as always.

A job is a function registered with ``@job("app.verb_noun")`` in ``<app>/jobs.py``; it
receives a ``Progress`` first and its keyword arguments (JSON-serialisable) after.
"""

from __future__ import annotations

import importlib
import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from brightline.jobs.models import JobRun

logger = logging.getLogger(__name__)

JobFunction = Callable[..., Any]
_REGISTRY: dict[str, JobFunction] = {}
_SHOWN_ERRORS: dict[str, tuple[type[Exception], ...]] = {}
_DISCOVERED = False

ERR_UNKNOWN_JOB = "no job called {name!r}; known jobs: {known}"
ERR_BACKEND = "BRIGHTLINE_JOBS must be 'inline' or 'celery', not {value!r}"
ERR_JOB_FAILED = ("The job stopped on an unexpected error. An administrator can find the details in the "
                  "server log under job run {run_id}.")


def job(name: str, *, shown_errors: tuple[type[Exception], ...] = ()) -> Callable[[JobFunction], JobFunction]:
    """Register ``name``; a failure of one of ``shown_errors`` (written for people) is shown with its message.

    Any other failure is shown as a plain sentence: its traceback goes to the server log only.
    """
    def register(function: JobFunction) -> JobFunction:
        _REGISTRY[name] = function
        _SHOWN_ERRORS[name] = shown_errors
        return function

    return register


def discover_jobs() -> dict[str, JobFunction]:
    """Import every installed app's ``jobs`` module once so its ``@job`` functions register."""
    global _DISCOVERED
    if not _DISCOVERED:
        for app_config in apps.get_app_configs():
            if module_has_submodule(app_config.module, "jobs"):
                importlib.import_module(f"{app_config.name}.jobs")
        _DISCOVERED = True
    return _REGISTRY


class Progress:
    """Handed to a job so it can report progress; writes are throttled to spare the database."""

    def __init__(self, run: JobRun):
        self.run = run
        self._last_written = 0

    def update(self, done: int, *, total: int | None = None, message: str = "") -> None:
        self.run.progress = done
        if total is not None:
            self.run.total = total
        if message:
            self.run.message = message[:300]
        step = max(1, (self.run.total or 100) // 100)
        if done - self._last_written >= step or done == self.run.total:
            self._last_written = done
            JobRun.objects.filter(pk=self.run.pk).update(progress=done, total=self.run.total,
                                                          message=self.run.message)


def execute(run_id: int) -> JobRun:
    """Run a queued job in this process and record the outcome. Used by both backends.

    A run that is already running was started by a worker that died (Celery delivers its message
    again): it runs again from the start, which every job allows (each is idempotent or resumes from
    its own cursor). A run that has finished is left alone: its message was delivered twice.
    """
    from brightline.jobs.scheduler import release_schedule

    run = JobRun.objects.get(pk=run_id)
    if run.status in {JobRun.Status.SUCCEEDED, JobRun.Status.FAILED}:
        logger.info("job run %s (%s) has already finished; not running it again", run.pk, run.name)
        return run
    function = discover_jobs().get(run.name)
    if function is None:
        raise ImproperlyConfigured(ERR_UNKNOWN_JOB.format(name=run.name, known=", ".join(sorted(_REGISTRY))))
    run.status, run.started_at = JobRun.Status.RUNNING, timezone.now()
    run.save(update_fields=["status", "started_at"])
    try:
        result = function(Progress(run), **run.arguments)
    except Exception as error:
        # The failure is recorded on the run (shown to the person who started it) and re-raised, so
        # a worker logs it and an inline caller sees it; nothing is swallowed. The traceback (server
        # paths, code) goes to the server log only.
        logger.error("job %s (run %s) failed:\n%s", run.name, run.pk, "".join(traceback.format_exception(error)))
        shown = isinstance(error, _SHOWN_ERRORS.get(run.name, ()))
        run.status = JobRun.Status.FAILED
        run.error = str(error)[:5000] if shown else ERR_JOB_FAILED.format(run_id=run.pk)
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        release_schedule(run)
        raise
    run.status, run.result, run.finished_at = JobRun.Status.SUCCEEDED, result, timezone.now()
    run.save(update_fields=["status", "result", "finished_at", "progress", "total", "message"])
    release_schedule(run)
    return run


def enqueue(name: str, *, requested_by: Any = None, background: bool = False, **arguments: Any) -> JobRun:
    """Start job ``name`` with JSON-serialisable ``arguments``; returns its ``JobRun``. With ``background``, the
    inline backend runs it on a thread of this process after the caller's transaction commits (the run is
    returned queued); Celery always runs it on a worker."""
    if name not in discover_jobs():
        raise ImproperlyConfigured(ERR_UNKNOWN_JOB.format(name=name, known=", ".join(sorted(_REGISTRY))))
    backend = settings.BRIGHTLINE_JOBS
    if backend not in {"inline", "celery"}:
        raise ImproperlyConfigured(ERR_BACKEND.format(value=backend))
    run = JobRun.objects.create(name=name, arguments=arguments, requested_by=requested_by)
    if backend == "inline" and background:
        transaction.on_commit(lambda: _start_thread(run.pk))
    elif backend == "inline":
        execute(run.pk)
        run.refresh_from_db()
    else:
        from brightline.celery import run_job

        # Send after commit: a worker must not look for a row the caller's transaction still hides.
        transaction.on_commit(lambda: run_job.delay(run.pk))
    return run


_THREADS: list[threading.Thread] = []


def _start_thread(run_id: int) -> None:
    thread = threading.Thread(target=_execute_on_thread, args=(run_id,), name=f"brightline-job-{run_id}",
                              daemon=True)
    _THREADS[:] = [alive for alive in _THREADS if alive.is_alive()] + [thread]
    thread.start()


def _execute_on_thread(run_id: int) -> None:
    """``execute`` on a thread of its own: a failure is recorded on the run and logged by ``execute``; the
    thread's database connection is closed at the end (nothing else would close it)."""
    try:
        execute(run_id)
    except Exception:  # recorded on the run and logged by execute; nothing on this thread to tell
        pass
    finally:
        connections.close_all()


def join_background(timeout: float | None = None) -> bool:
    """Wait for the jobs this process runs in the background; False if one is still running after ``timeout``
    seconds (for a command that must not exit under a job, and for tests)."""
    for thread in list(_THREADS):
        thread.join(timeout)
    return not any(thread.is_alive() for thread in _THREADS)
