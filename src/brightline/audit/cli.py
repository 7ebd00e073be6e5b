"""``brightline audit verify`` and ``brightline audit checkpoint``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from brightline.audit.services import checkpoint_heads, verify_all
from brightline.commands import write_json


def _add_verify_arguments(parser: CommandParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--expect-head", metavar="HASH",
                        help="head hash recorded earlier outside the database; also catches truncation")


def _verify(options: dict[str, Any], command: BaseCommand) -> int:
    result = verify_all(expected_head=options.get("expect_head"))
    if options["json"]:
        write_json(command, result.to_json())
        return 0 if result.ok else 1
    for name, chain, unit in (("Audit chain", result.audit, "entries"), ("Access log", result.access, "reads")):
        if chain.ok:
            command.stdout.write(f"{name} intact: {chain.entries} {unit}, head {chain.head_hash}")
        else:
            command.stderr.write(f"{name} BROKEN at {unit[:-1] if unit == 'reads' else 'entry'} "
                                 f"{chain.first_bad_entry}: {chain.reason}")
    return 0 if result.ok else 1


def _add_checkpoint_arguments(parser: CommandParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the checkpoints written as JSON")


def _checkpoint(options: dict[str, Any], command: BaseCommand) -> int:
    written = checkpoint_heads()
    rows = [{"chain": cp.chain, "seq": cp.seq, "hash": cp.hash} for cp in written]
    if options["json"]:
        write_json(command, {"checkpoints": rows})
    elif not rows:
        command.stdout.write("Nothing to sign yet: both chains are empty.")
    for row in [] if options["json"] else rows:
        name = "audit trail" if row["chain"] == "audit" else "access log"
        command.stdout.write(f"Signed the {name} at {row['seq']}: {row['hash']}")
    return 0

