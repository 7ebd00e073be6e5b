"""``brightline retention purge``: delete data past the policy's retention periods (through the jobs interface)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from brightline.commands import write_json

COLUMNS = "{category:<13} {period:>7} {cutoff:<10} {found:>7} {deleted:>7} {held:>7}"


def _add_purge_arguments(parser: CommandParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")
    parser.add_argument("--json", action="store_true", help="print the job and its result as JSON")


def render_purge(result: dict[str, Any]) -> list[str]:
    """The purge result as lines of text: one row per category, then why rows were held."""
    heading = ("Dry run: nothing was deleted." if result["dry_run"]
               else f"Purged data past its retention period at {result['ran_at']}.")
    lines = [heading, COLUMNS.format(category="category", period="days", cutoff="cut-off", found="found",
                                     deleted="deleted", held="held")]
    for category in result["categories"]:
        lines.append(COLUMNS.format(category=category["category"], period=category["period_days"],
                                    cutoff=category["cutoff"][:10], found=category["found"],
                                    deleted=category["deleted"], held=category["held"]))
    for category in result["categories"]:
        for reason, count in category["held_reasons"].items():
            lines.append(f"  {category['category']}: {count} held, {reason}")
        for label, count in category["cascaded"].items():
            lines.append(f"  {category['category']}: {count} {label} rows deleted with them")
    return lines


def _purge(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.jobs.services import enqueue
    from brightline.operations.jobs import JOB_NAME

    run = enqueue(JOB_NAME, dry_run=options["dry_run"])
    if options["json"]:
        write_json(command, {"job": run.pk, "status": run.status, "result": run.result})
    elif run.result is not None:
        for line in render_purge(run.result):
            command.stdout.write(line)
    else:
        command.stdout.write(f"Queued job {run.pk}.")
    return 0
