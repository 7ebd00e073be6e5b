"""``brightline demo load``."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from brightline.commands import write_json
from brightline.demo import DemoRefused, load_demo


def _add_demo_arguments(parser: CommandParser) -> None:
    parser.add_argument("--seed", type=int, default=7, help="random seed; the same seed builds the same demo")
    parser.add_argument("--today", type=_day, default=None, metavar="YYYY-MM-DD",
                        help="the day the demo is built for: its history ends then (default: the current date)")
    parser.add_argument("--json", action="store_true", help="print the accounts and password as JSON")


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD") from None


def _load_demo(options: dict[str, Any], command: BaseCommand) -> int:
    try:
        result = load_demo(seed=options["seed"], today=options["today"])
    except DemoRefused as error:
        command.stderr.write(str(error))
        return 1
    if options["json"]:
        write_json(command, result.to_json())
        return 0
    state = "Built" if result.created else "Already present:"
    command.stdout.write(f"{state} demo organisation with {result.people} people in {result.teams} teams, "
                         f"its history running up to {result.today:%d %B %Y}.")
    command.stdout.write("Log in at /accounts/login/ as any of these (password: "
                         f"{result.to_json()['password']}):")
    for account in result.accounts:
        command.stdout.write(f"  {account['username']:<6} {account['role']:<15} {account['name']}")
    return 0
