"""``brightline notifications send``: run the notification job now instead of waiting for its schedule."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from brightline.commands import write_json


def _add_send_arguments(parser: CommandParser) -> None:
    parser.add_argument("--frequency", choices=["immediate", "daily", "weekly"], default="immediate",
                        help="whose e-mails to send: as the hourly run, what people want right away and the "
                             "digests whose hour has come (default); or every daily or weekly digest now")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")


def _send(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.jobs.models import JobRun
    from brightline.jobs.services import enqueue

    run = enqueue("notifications.send", frequency=options["frequency"],
                  digests=options["frequency"] == "immediate")
    if options["json"]:
        write_json(command, {"job_run": run.pk, "status": run.status, **(run.result or {})})
    elif run.status == JobRun.Status.SUCCEEDED:
        command.stdout.write(run.message)
    else:
        command.stdout.write(f"Sent to the background workers as job run {run.pk}.")
    return 0 if run.status != JobRun.Status.FAILED else 1
