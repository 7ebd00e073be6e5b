"""``brightline insights run``, ``brightline report transparency`` and ``brightline report signal-bias``.

The services (and through them the NLP models and statistics) are imported by the handlers, so
``--help`` stays as quick as Django's own start-up.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from brightline.commands import open_progress, write_json
from brightline.core.nlp.contextual import contextual_notice
from brightline.people.models import Person, Team

ERR_NO_PERSON = "no person with id {value!r} (use the numeric id or the HRIS employee id)"
ERR_NO_TEAM = "no team with the slug {value!r}"


def _add_run_arguments(parser: CommandParser) -> None:
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument("--person", help="one person: numeric id or HRIS employee id")
    scope.add_argument("--team", help="one team, by slug: its members, and the team's theme summaries, tone and "
                                      "trend breaks")
    scope.add_argument("--all", action="store_true", help="everyone, every team, and org-wide emergent themes")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _find_person(value: str) -> Person | None:
    if value.isdigit():
        found = Person.objects.filter(pk=int(value)).first()
        if found is not None:
            return found
    return Person.objects.filter(employee_id=value).first()


def _run(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.insights import services

    person = team = None
    if options.get("person"):
        person = _find_person(options["person"])
        if person is None:
            command.stderr.write(ERR_NO_PERSON.format(value=options["person"]))
            return 2
    if options.get("team"):
        team = Team.objects.filter(slug=options["team"]).first()
        if team is None:
            command.stderr.write(ERR_NO_TEAM.format(value=options["team"]))
            return 2
    bar = open_progress(None, description="insights", enabled=not options.get("no_progress"))

    shown: list[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        """One bar per stage (people, then teams): how many are done of how many."""
        if shown[-1:] != [stage]:
            shown.append(stage)
            bar.reset(total=total)
            bar.set_description(f"insights: {stage}", refresh=False)
            bar.unit = f" {stage}"
        bar.update(done - bar.n)

    try:
        summary = services.run_insights(person=person, team=team, all_subjects=bool(options.get("all")),
                                        actor_label="cli:insights run", progress=progress)
    finally:
        bar.close()
    if options.get("json"):
        write_json(command, summary.to_json())
        return 0
    command.stdout.write(f"signals: {summary.created} created, {summary.updated} updated, "
                         f"{summary.unchanged} unchanged, {summary.retired} retired")
    command.stdout.write(f"subjects: {summary.subjects_computed} computed, {summary.subjects_unchanged} unchanged "
                         f"(inputs identical to the last run)")
    command.stdout.write(f"window: {summary.window[0]} to {summary.window[1]}")
    notice = contextual_notice()
    if notice is not None:
        # Themes fall back to the static model alone; say so rather than differ silently.
        command.stdout.write(f"note: {notice}")
    return 0


def _add_json(parser: CommandParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _transparency(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.insights import services

    report = services.transparency_report()
    if options.get("json"):
        write_json(command, {"signal_types": [entry.to_json() for entry in report]})
        return 0
    for entry in report:
        command.stdout.write(f"\n== {entry.title} ({entry.kind})")
        command.stdout.write(f"data used: {entry.data_used}")
        command.stdout.write(f"time window: {entry.time_window}")
        command.stdout.write(f"detects: {entry.detects}")
        command.stdout.write(f"cannot infer: {entry.cannot_infer}")
        if entry.accuracy:
            for figure in entry.accuracy:
                value = "n/a" if figure.value is None else f"{figure.value:.3f}"
                command.stdout.write(f"measured: {figure.metric} = {value} on {figure.dataset} (n={figure.n})")
        command.stdout.write(f"accuracy note: {entry.accuracy_note}")
        for mode in entry.failure_modes:
            command.stdout.write(f"failure mode: {mode}")
        command.stdout.write(f"human review: {entry.human_review}")
        command.stdout.write(f"reviews so far: {dict(entry.reviews) or 'none'}")
    return 0


def _signal_bias(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.insights import services

    report = services.signal_bias_report()
    if options.get("json"):
        write_json(command, report.to_json())
        return 0
    command.stdout.write(f"{report.people} people; groups below {report.min_cohort} are withheld")
    for finding in report.findings:
        marker = "FLAG" if finding.flagged else "ok  "
        command.stdout.write(f"{marker} {finding.signal_kind} by {finding.grouping}: {finding.summary}")
    return 0
