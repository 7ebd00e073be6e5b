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
    parser.add_argument("--size", choices=("small", "large"), default="small",
                        help="small: about 60 people with a curated story (default); large: a generated "
                             "organisation of thousands with years of history, for trying Brightline at scale")
    parser.add_argument("--people", type=_positive, default=None,
                        help="large only: how many people in all (default 10000)")
    parser.add_argument("--years", type=_positive, default=None,
                        help="large only: how many years of history (default 3)")
    parser.add_argument("--timings", action="store_true",
                        help="large only: say how long each phase of the build took (with --json, as seconds)")


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _load_demo(options: dict[str, Any], command: BaseCommand) -> int:
    size = options.get("size") or "small"
    if size == "small" and (options.get("people") or options.get("years") or options.get("timings")):
        command.stderr.write("--people, --years and --timings only apply to the large demo: add --size large")
        return 2
    try:
        result = (_load_large(options) if size == "large"
                  else load_demo(seed=options["seed"], today=options["today"]))
    except (DemoRefused, ValueError) as error:
        command.stderr.write(str(error))
        return 1
    if result.created and size == "small":
        # As after a night of the scheduler: the dashboards' stored summaries (the leader's delivery headline
        # among them) are there from the first page on.
        from brightline.rollups.services import refresh

        refresh(everything=True)
    timings = result.timings if options.get("timings") else {}
    if options["json"]:
        write_json(command, {**result.to_json(), **({"timings": {phase: round(seconds, 2) for phase, seconds
                                                                 in timings.items()}} if timings else {})})
        return 0
    if timings:
        width = max(len(phase) for phase in timings)
        command.stdout.write("Time per phase:")
        for phase, seconds in timings.items():
            command.stdout.write(f"  {phase:<{width}} {_duration(seconds)}")
        command.stdout.write(f"  {'in all':<{width}} {_duration(sum(timings.values()))}")
    state = "Built" if result.created else "Already present:"
    command.stdout.write(f"{state} demo organisation with {result.people} people in {result.teams} teams, "
                         f"its history running up to {result.today:%d %B %Y}.")
    command.stdout.write("Log in at /accounts/login/ as any of these (password: "
                         f"{result.to_json()['password']}):")
    for account in result.accounts:
        command.stdout.write(f"  {account['username']:<8} {account['role']:<15} {account['name']}")
    return 0


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{seconds:.1f} s"


def _load_large(options: dict[str, Any]) -> Any:
    from brightline.commands import open_progress
    from brightline.demo_large import DEFAULT_PEOPLE, DEFAULT_YEARS, load_large_demo

    with open_progress(None, description="building", enabled=True) as bar:
        def progress(stage: str, done: int) -> None:
            # The phase in the bar's description, the rows written so far as its count.
            bar.set_description(stage, refresh=not done)
            bar.update(done)

        return load_large_demo(seed=options["seed"], people=options.get("people") or DEFAULT_PEOPLE,
                               years=options.get("years") or DEFAULT_YEARS, today=options["today"],
                               progress=progress)
