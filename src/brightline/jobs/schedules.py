"""Periodic work, declared once: which job runs, how often, and whether it is switched on.

Celery beat (``BRIGHTLINE_JOBS=celery``) builds its schedule from this registry, and
``brightline scheduler run`` (the embedded default) reads the same registry, so the two never
disagree. A schedule names its job by the job's registered name (``@job("…")``), never by module.

An app adds its own periodic work with :func:`register_schedule` in its ``jobs.py`` (imported by
:func:`~brightline.jobs.services.discover_jobs`), next to the job itself. A schedule can be
switched off without a code change: ``BRIGHTLINE_SCHEDULES_OFF=narrative-drafts,evidence-sync``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from brightline.core.schedule import Cadence, parse_cadence

ERR_DUPLICATE: Final = "two schedules are called {name!r}"
ERR_UNKNOWN_SCHEDULE: Final = "no schedule called {name!r}; known schedules: {known}"


@dataclass(frozen=True)
class Schedule:
    """One piece of periodic work. ``timeout`` is how long a run may hold the schedule's lock: a run
    still unfinished after it (its process died) is given up and the next due check starts anew."""

    name: str
    job: str
    cadence: Cadence
    description: str
    arguments: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    timeout: timedelta = timedelta(hours=6)

    @property
    def switched_on(self) -> bool:
        return self.enabled and self.name not in settings.BRIGHTLINE_SCHEDULES_OFF


_SCHEDULES: dict[str, Schedule] = {}


def register_schedule(name: str, *, job: str, cadence: str, description: str, enabled: bool = True,
                      timeout: timedelta = timedelta(hours=6), **arguments: Any) -> Schedule:
    """Declare periodic work: ``register_schedule("retention-purge", job="policy.purge_expired_data",
    cadence="daily at 03:30", description=…)``. Extra keyword arguments are the job's arguments."""
    if name in _SCHEDULES:
        raise ImproperlyConfigured(ERR_DUPLICATE.format(name=name))
    schedule = Schedule(name=name, job=job, cadence=parse_cadence(cadence), description=description,
                        arguments=arguments, enabled=enabled, timeout=timeout)
    _SCHEDULES[name] = schedule
    return schedule


def unregister_schedule(name: str) -> None:
    """Forget a schedule (tests that declare their own use it to clean up)."""
    _SCHEDULES.pop(name, None)


def get_schedules() -> dict[str, Schedule]:
    """Every declared schedule by name, after the apps' ``jobs`` modules have declared theirs."""
    from brightline.jobs.services import discover_jobs

    known_jobs = discover_jobs()
    for schedule in _SCHEDULES.values():
        if schedule.job not in known_jobs:
            raise ImproperlyConfigured(f"schedule {schedule.name!r} runs the unknown job {schedule.job!r}")
    return dict(sorted(_SCHEDULES.items()))


def get_schedule(name: str) -> Schedule:
    schedules = get_schedules()
    if name not in schedules:
        raise ImproperlyConfigured(ERR_UNKNOWN_SCHEDULE.format(name=name, known=", ".join(schedules)))
    return schedules[name]


# The product's periodic work. Evidence syncs run every hour; everything heavier runs at night (UTC).
register_schedule(
    "evidence-sync", job="evidence.sync_sources", cadence="hourly at :15",
    description="Bring every registered git repository and GitHub or GitLab feed up to date",
    timeout=timedelta(hours=2))
register_schedule(
    "audit-checkpoint", job="audit.checkpoint", cadence="hourly at :45",
    description="Sign the newest entries of the audit trail and of the access log with the audit key")
register_schedule(
    "insights-nightly", job="insights.run", cadence="daily at 02:00",
    description="Recompute AI-derived signals for everyone (they wait for a person to review them)")
register_schedule(
    "retention-purge", job="policy.purge_expired_data", cadence="daily at 03:30",
    description="Delete data older than the policy's retention periods")
register_schedule(
    "narrative-drafts", job="feedback.draft_impact_statements", cadence="fortnightly on monday at 05:00",
    description="Draft evidence-cited impact statements for people to edit and approve")
