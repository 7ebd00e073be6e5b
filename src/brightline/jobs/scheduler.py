"""Run the declared schedules when they are due: the one due check both schedulers use.

``brightline scheduler run`` calls :func:`run_due_schedules` in a loop (the embedded default), and
with ``BRIGHTLINE_JOBS=celery`` Celery beat sends ``brightline.run_schedules`` at each schedule's
times and every few minutes in between, which calls the same function on a worker.

Three rules, each enforced by the database so that any number of schedulers may run at once:

- A schedule runs once per slot. The first scheduler to move ``ScheduleState.last_slot`` forward
  (a conditional ``UPDATE``) starts the run; any other sees no row updated and moves on.
- After downtime it runs once, for the latest slot: the slots in between are not replayed.
- It never runs twice at once: ``busy_until`` is set when a run starts and cleared when it ends
  (``brightline.jobs.services.execute``); a run whose process died is given up after the
  schedule's timeout.

A schedule seen for the first time starts counting from now: it first runs at its next slot, so a
new install does not run every piece of nightly work the moment it starts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from brightline.jobs.models import JobRun, ScheduleState
from brightline.jobs.schedules import Schedule, get_schedule, get_schedules

logger = logging.getLogger(__name__)

GIVEN_UP: Final = "This run did not finish within {timeout} and was given up; the next due check starts a new one."

Dispatch = Callable[[JobRun], None]


@dataclass(frozen=True)
class ScheduleStatus:
    """What ``brightline scheduler status`` shows for one schedule."""

    name: str
    job: str
    cadence: str
    description: str
    enabled: bool
    running: bool
    due: bool
    next_run: datetime | None
    last_slot: datetime | None
    last_run: JobRun | None

    def to_json(self) -> dict[str, Any]:
        run = self.last_run
        return {
            "name": self.name, "job": self.job, "cadence": str(self.cadence), "description": self.description,
            "enabled": self.enabled, "running": self.running, "due": self.due,
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "last_slot": self.last_slot.isoformat() if self.last_slot else None,
            "last_run": None if run is None else {
                "job_run": run.pk, "status": run.status,
                "started_at": run.started_at.isoformat() if run.started_at else None,
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                "message": run.message, "failed": run.status == JobRun.Status.FAILED,
            },
        }


def _send(run: JobRun) -> None:
    """Run the job the way ``enqueue`` would: here (inline), or on a Celery worker."""
    from brightline.jobs.services import execute

    if settings.BRIGHTLINE_JOBS == "celery":
        from brightline.celery import run_job

        transaction.on_commit(lambda: run_job.delay(run.pk))
        return
    try:
        execute(run.pk)
    except Exception:
        # The failure is on the job run (status, error) and shown by `scheduler status`; one failing
        # schedule must not stop the others, so the scheduler logs it and goes on.
        logger.exception("scheduled job %s (run %s) failed", run.name, run.pk)


def _state(schedule: Schedule, now: datetime) -> ScheduleState:
    state = ScheduleState.objects.filter(name=schedule.name).select_related("run").first()
    if state is not None:
        return state
    try:
        with transaction.atomic():
            return ScheduleState.objects.create(name=schedule.name, last_slot=schedule.cadence.previous_slot(now))
    except IntegrityError:  # another scheduler saw it first
        return ScheduleState.objects.select_related("run").get(name=schedule.name)


def _claim(schedule: Schedule, slot: datetime, now: datetime) -> bool:
    """Take the schedule for ``slot``: true for exactly one caller while it is due and not busy."""
    return bool(ScheduleState.objects
                .filter(name=schedule.name, last_slot__lt=slot)
                .filter(Q(busy_until__isnull=True) | Q(busy_until__lte=now))
                .update(last_slot=slot, busy_until=now + schedule.timeout))


def _give_up_abandoned(state: ScheduleState, schedule: Schedule) -> None:
    """A run that held the schedule past its timeout died with its process: say so on the run."""
    if state.run_id is None:
        return
    JobRun.objects.filter(pk=state.run_id, status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING]).update(
        status=JobRun.Status.FAILED, finished_at=timezone.now(), error=GIVEN_UP.format(timeout=schedule.timeout))


def start_schedule_if_due(schedule: Schedule, *, now: datetime | None = None,
                          dispatch: Dispatch | None = None) -> JobRun | None:
    """Start ``schedule``'s job if a slot has passed since its last run and no run holds it."""
    now = now or timezone.now()
    if not schedule.switched_on:
        return None
    state = _state(schedule, now)
    slot = schedule.cadence.previous_slot(now)
    if state.last_slot >= slot:
        return None
    abandoned = state.busy_until is not None and state.busy_until <= now
    with transaction.atomic():
        if not _claim(schedule, slot, now):
            return None
        if abandoned:
            _give_up_abandoned(state, schedule)
        run = JobRun.objects.create(name=schedule.job, arguments=schedule.arguments)
        ScheduleState.objects.filter(pk=state.pk).update(run=run)
    logger.info("schedule %s: starting %s for %s (run %s)", schedule.name, schedule.job, slot.isoformat(), run.pk)
    (dispatch or _send)(run)
    return run


def run_due_schedules(*, now: datetime | None = None, names: list[str] | None = None,
                      dispatch: Dispatch | None = None) -> list[JobRun]:
    """Start every due schedule (or the named ones); returns the runs started, in name order."""
    schedules = [get_schedule(name) for name in names] if names else list(get_schedules().values())
    started = []
    for schedule in schedules:
        run = start_schedule_if_due(schedule, now=now, dispatch=dispatch)
        if run is not None:
            started.append(run)
    return started


def release_schedule(run: JobRun) -> None:
    """Called when a run ends, however it ends: the schedule it held may run again."""
    ScheduleState.objects.filter(run_id=run.pk).update(busy_until=None)


def schedule_statuses(*, now: datetime | None = None) -> list[ScheduleStatus]:
    now = now or timezone.now()
    states = {state.name: state for state in ScheduleState.objects.select_related("run")}
    statuses = []
    for schedule in get_schedules().values():
        state = states.get(schedule.name)
        slot = schedule.cadence.previous_slot(now)
        running = bool(state and state.busy_until and state.busy_until > now)
        due = bool(schedule.switched_on and state is not None and state.last_slot < slot)
        next_run = None
        if schedule.switched_on:
            next_run = now if due else schedule.cadence.next_slot(now)
        statuses.append(ScheduleStatus(
            name=schedule.name, job=schedule.job, cadence=str(schedule.cadence), description=schedule.description,
            enabled=schedule.switched_on, running=running, due=due, next_run=next_run,
            last_slot=state.last_slot if state else None, last_run=state.run if state else None))
    return statuses


def seconds_until_next_slot(*, now: datetime | None = None) -> float | None:
    """How long the embedded scheduler may sleep before some schedule is next due."""
    now = now or timezone.now()
    upcoming = [schedule.cadence.next_slot(now) for schedule in get_schedules().values() if schedule.switched_on]
    return min((moment - now).total_seconds() for moment in upcoming) if upcoming else None
