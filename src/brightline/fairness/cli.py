"""``brightline audit outcomes``: audit any decision table (an HRIS export) offline, in one command.

Also ``brightline import demographics`` (protected attributes, stored apart, people partners' data).
``brightline import hris-events`` and ``brightline import surveys`` are the governance app's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from brightline.commands import write_json
from brightline.core.fairness import DEFAULT_MIN_COHORT, FairnessInputError, OutcomeAudit, audit_outcomes_csv
from brightline.fairness.templatetags.fairness_labels import percent_text, points, test_name

ERR_NO_FILE = "no such file: {path}"


def _policy_min_cohort() -> int:
    """The policy's minimum cohort when Brightline has a database; the library default before setup."""
    from brightline.policy.services import min_cohort_size

    try:
        return min_cohort_size()
    except DatabaseError:
        return DEFAULT_MIN_COHORT


def _add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--input", required=True, type=Path, help="CSV file, one row per decision")
    parser.add_argument("--outcome-column", required=True, help="the column holding the outcome")
    parser.add_argument("--favourable", required=True, action="append", metavar="VALUE",
                        help="the outcome value counted as favourable (repeat for several)")
    parser.add_argument("--group-column", required=True, action="append", metavar="COL",
                        help="a column to compare groups by; several audit their intersection")
    parser.add_argument("--min-cohort", type=int, default=None,
                        help="groups smaller than this are suppressed (default: the policy's, else 5)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def rate_text(favourable: int, n: int, rate: float) -> str:
    """A rate as the pages show it, a percentage with the counts behind it: "3.6 % (1 of 28)"."""
    return f"{percent_text(rate)} ({favourable} of {n})"


def _describe(audit: OutcomeAudit, command: BaseCommand) -> None:
    result = audit.to_json()
    command.stdout.write(f"{'group':<40} {'rate (with the outcome of all)':<30}  95% interval")
    for group in [*result["groups"], *([result["other"]] if result.get("other") else [])]:
        command.stdout.write(f"{group['group']:<40} {rate_text(group['favourable'], group['n'], group['rate']):<30}  "
                             f"{percent_text(group['ci_low'])} to {percent_text(group['ci_high'])}")
    for group in result["suppressed"]:
        command.stdout.write(f"{group:<40} withheld: fewer than {result['min_cohort']} people, or needed to protect "
                             "a smaller group")
    if result["impact_ratio"] is not None:
        flag = "  below four-fifths" if result["four_fifths_flag"] else ""
        command.stdout.write(f"lowest ÷ highest rate {result['impact_ratio']:.3f} "
                             f"(highest: {result['reference_group']}){flag}; "
                             f"rate difference {points(result['rate_difference'])}")
    if result["p_value"] is not None:
        command.stdout.write(f"{test_name(result['test'])} p = {result['p_value']:.3g}")
    for note in result.get("notes", []):
        command.stdout.write(f"note: {note}")


def _audit_outcomes(options: dict[str, Any], command: BaseCommand) -> int:
    path: Path = options["input"]
    if not path.is_file():
        raise CommandError(ERR_NO_FILE.format(path=path))
    min_cohort = options["min_cohort"] if options["min_cohort"] is not None else _policy_min_cohort()
    try:
        audit = audit_outcomes_csv(path, outcome_column=options["outcome_column"],
                                   favourable=options["favourable"], group_columns=options["group_column"],
                                   min_cohort=min_cohort)
    except FairnessInputError as error:
        raise CommandError(str(error)) from None
    if options["json"]:
        write_json(command, audit.to_json())
    else:
        _describe(audit, command)
    return 0


def _run_import(options: dict[str, Any], command: BaseCommand, importer: Any, noun: str) -> int:
    from brightline.csvio import run_import
    from brightline.people.cli import cli_actor_label

    return run_import(options, command, importer, noun, actor_label=cli_actor_label())


def _import_demographics(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.fairness.demographics import import_demographics

    return _run_import(options, command, import_demographics, "rows of demographic attributes")
