"""``brightline scheduler run|status``: the embedded scheduler and what every schedule is doing."""

from __future__ import annotations

import signal
import threading
from typing import Any, Final

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from brightline.commands import Subcommand, write_json

COLUMNS: Final = "{name:<18} {cadence:<31} {state:<9} {last:<28} {next:<17}"
CELERY_NOTE: Final = ("BRIGHTLINE_JOBS is 'celery': schedules are normally sent by `celery -A brightline.celery "
                      "beat`. Running both is safe (a schedule runs once per slot), and this process sends the "
                      "due jobs to the workers.")


def _add_run_arguments(parser: CommandParser) -> None:
    parser.add_argument("--once", action="store_true",
                        help="start what is due now and exit (for cron or a systemd timer) instead of running on")
    parser.add_argument("--interval", type=float, default=60.0,
                        help="longest pause between due checks, in seconds (default 60)")


def _run(options: dict[str, Any], command: BaseCommand) -> int:
    from django.conf import settings

    from brightline.jobs.models import ScheduleState
    from brightline.jobs.scheduler import run_due_schedules, seconds_until_next_slot

    def check() -> None:
        runs = run_due_schedules()
        names = dict(ScheduleState.objects.filter(run__in=runs).values_list("run_id", "name"))
        for run in runs:
            run.refresh_from_db()
            command.stdout.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} {names.get(run.pk, run.name)}: "
                                 f"{run.get_status_display().lower()}")

    if options["once"]:
        check()
        return 0
    if settings.BRIGHTLINE_JOBS == "celery":
        command.stderr.write(CELERY_NOTE)
    interval = max(1.0, options["interval"])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    command.stdout.write("Scheduler started; Ctrl-C stops it. `brightline scheduler status` shows the schedules.")
    try:
        while not stop.is_set():
            check()
            pause = seconds_until_next_slot()
            stop.wait(min(interval, max(1.0, pause)) if pause is not None else interval)
    except KeyboardInterrupt:
        pass
    command.stdout.write("Scheduler stopped.")
    return 0


def _add_status_arguments(parser: CommandParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the schedules as JSON")


def _status(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.jobs.scheduler import schedule_statuses

    statuses = schedule_statuses()
    if options["json"]:
        write_json(command, {"schedules": [status.to_json() for status in statuses]})
        return 0
    command.stdout.write(COLUMNS.format(name="schedule", cadence="when (UTC)", state="state", last="last run",
                                        next="next run"))
    for status in statuses:
        state = "off" if not status.enabled else "running" if status.running else "due" if status.due else "waiting"
        last = "never"
        if status.last_run is not None:
            moment = status.last_run.finished_at or status.last_run.started_at or status.last_run.created_at
            last = f"{status.last_run.get_status_display().lower()} {moment:%Y-%m-%d %H:%M}"
        upcoming = f"{status.next_run:%Y-%m-%d %H:%M}" if status.next_run else "-"
        command.stdout.write(COLUMNS.format(name=status.name, cadence=status.cadence, state=state, last=last,
                                            next=upcoming))
    return 0


SUBCOMMANDS = [
    Subcommand("scheduler", "run", "Run periodic work when it is due (the embedded scheduler; Celery beat's "
               "equivalent).", _add_run_arguments, _run),
    Subcommand("scheduler", "status", "List the schedules with their last and next run.", _add_status_arguments,
               _status),
]
