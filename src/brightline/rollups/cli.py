"""``brightline rollups refresh [--all]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from brightline.commands import open_progress, write_json


def _add_refresh_arguments(parser: CommandParser) -> None:
    parser.add_argument("--all", action="store_true", dest="everything",
                        help="recompute every rollup, not only the stale ones")
    parser.add_argument("--json", action="store_true", help="print what was recomputed as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _refresh(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.rollups.services import refresh

    bar = open_progress(None, description="rollups", enabled=not options.get("no_progress"))
    bar.unit = " rollups"

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        report = refresh(everything=bool(options.get("everything")), progress=progress)
    finally:
        bar.close()
    if options.get("json"):
        write_json(command, report.to_json())
        return 0
    if not report.computed:
        command.stdout.write("Every stored rollup is current; nothing to recompute.")
        return 0
    noun = "rollup" if report.computed == 1 else "rollups"
    command.stdout.write(f"Recomputed {report.computed} {noun} in {report.seconds:.1f} s.")
    return 0
