"""The Celery application for ``BRIGHTLINE_JOBS=celery``.

Workers: ``celery -A brightline.celery worker``. Periodic work: one ``celery -A brightline.celery beat``
for the whole installation; its schedule is built from ``brightline.jobs.schedules`` (the registry the
embedded ``brightline scheduler run`` reads too), and the due check on the worker makes a second beat, a
restarted beat or a missed time harmless (see ``brightline.jobs.scheduler``).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.beat import PersistentScheduler
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brightline.settings")


def _setup_django() -> None:
    """Load Django before Celery sets up logging in a worker or beat, so that Django's logging settings
    do not replace Celery's log level later, at the first task."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


_setup_django()

app = Celery("brightline")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Besides each schedule's own times, beat asks the workers this often to run whatever is due, so a
# schedule whose time passed while beat was stopped runs (once) soon after it starts again.
CATCH_UP_SECONDS = 300.0


@app.task(name="brightline.run_job")
def run_job(run_id: int) -> str:
    from brightline.jobs.services import execute

    return execute(run_id).status


@app.task(name="brightline.run_schedules")
def run_schedules(names: list[str] | None = None) -> list[int]:
    """Start the due schedules (all, or the named ones); each job goes to the workers as its own task."""
    from brightline.jobs.scheduler import run_due_schedules

    return [run.pk for run in run_due_schedules(names=names)]


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery beat's schedule, generated from the registry of schedules."""
    from brightline.jobs.schedules import get_schedules

    entries: dict[str, dict[str, Any]] = {
        "brightline.catch-up": {"task": "brightline.run_schedules", "schedule": CATCH_UP_SECONDS},
    }
    for schedule in get_schedules().values():
        if schedule.switched_on:
            entries[schedule.name] = {"task": "brightline.run_schedules", "args": ([schedule.name],),
                                      "schedule": crontab(**schedule.cadence.crontab_fields())}
    return entries


class RegistryScheduler(PersistentScheduler):
    """Celery beat's scheduler with the registry's schedule, built when beat starts (a registry that
    cannot be read stops beat with the error, rather than leaving it running with nothing to send)."""

    def setup_schedule(self) -> None:
        self.app.conf.beat_schedule = beat_schedule()
        super().setup_schedule()


app.conf.beat_scheduler = RegistryScheduler
