"""``brightline audit verify``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from brightline.audit.services import verify_chain
from brightline.commands import write_json


def _add_verify_arguments(parser: CommandParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--expect-head", metavar="HASH",
                        help="head hash recorded earlier outside the database; also catches truncation")


def _verify(options: dict[str, Any], command: BaseCommand) -> int:
    result = verify_chain(expected_head=options.get("expect_head"))
    if options["json"]:
        write_json(command, result.to_json())
    elif result.ok:
        command.stdout.write(f"Audit chain intact: {result.entries} entries, head {result.head_hash}")
    else:
        command.stderr.write(f"Audit chain BROKEN at entry {result.first_bad_entry}: {result.reason}")
    return 0 if result.ok else 1
