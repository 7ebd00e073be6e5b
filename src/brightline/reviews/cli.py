"""``brightline cycle open|advance|status|export``: review cycles from the command line (people partners)."""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from brightline import csvio
from brightline.commands import write_json
from brightline.people.models import Person, Team
from brightline.reviews import services
from brightline.reviews.models import PHASE_ORDER, Appeal, DecisionMemo, ReviewCycle

ERR_NO_PERSON = "no active person with the email {email}"
ERR_NO_CYCLE = "no review cycle with id {cycle_id}"
ERR_NO_TEAM = "no team with the slug {slug}"
ERR_SCHEDULE_FORMAT = "--schedule takes phase=YYYY-MM-DD pairs separated by commas; got {value!r}"


def _actor(email: str) -> Person:
    person = Person.objects.filter(email=email.strip().lower(), is_active=True).first()
    if person is None:
        raise CommandError(ERR_NO_PERSON.format(email=email))
    return person


def _cycle(cycle_id: int) -> ReviewCycle:
    cycle = ReviewCycle.objects.filter(pk=cycle_id).first()
    if cycle is None:
        raise CommandError(ERR_NO_CYCLE.format(cycle_id=cycle_id))
    return cycle


def _schedule(value: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for part in value.split(","):
        phase, sep, day = part.partition("=")
        if not sep:
            raise CommandError(ERR_SCHEDULE_FORMAT.format(value=value))
        pairs[phase.strip()] = day.strip()
    return pairs


def _add_open_arguments(parser: CommandParser) -> None:
    parser.add_argument("--as", dest="actor", required=True, help="email of the people partner opening the cycle")
    parser.add_argument("--name", required=True)
    parser.add_argument("--team", action="append", default=[], help="team slug; repeat; none means everyone")
    parser.add_argument("--schedule", required=True,
                        help="end date per phase: " + ",".join(f"{p}=YYYY-MM-DD" for p in PHASE_ORDER[:-1]))
    parser.add_argument("--self-review-required", action="store_true",
                        help="manager assessment starts only when every self review is submitted")
    parser.add_argument("--min-evidence", type=int, default=1, metavar="N",
                        help="cited evidence items each dimension needs (1-5; default 1)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _open(options: dict[str, Any], command: BaseCommand) -> int:
    actor = _actor(options["actor"])
    teams = []
    for slug in options["team"]:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            raise CommandError(ERR_NO_TEAM.format(slug=slug))
        teams.append(team)
    settings = {"self_review_required": options["self_review_required"],
                "min_evidence_per_dimension": options["min_evidence"]}
    try:
        cycle = services.open_cycle(actor=actor, name=options["name"], schedule=_schedule(options["schedule"]),
                                    teams=teams, settings=settings)
    except services.ReviewError as error:
        raise CommandError(str(error)) from error
    if options["json"]:
        write_json(command, _status(cycle))
    else:
        command.stdout.write(f"Opened cycle {cycle.pk} '{cycle.name}' for {cycle.reviews.count()} people; "
                             f"phase {cycle.phase}.")
    return 0


def _add_advance_arguments(parser: CommandParser) -> None:
    parser.add_argument("--as", dest="actor", required=True, help="email of a people partner")
    parser.add_argument("--cycle", type=int, required=True)
    parser.add_argument("--to", dest="to_phase", choices=PHASE_ORDER, help="the phase you expect to enter")
    parser.add_argument("--json", action="store_true")


def _advance(options: dict[str, Any], command: BaseCommand) -> int:
    cycle = _cycle(options["cycle"])
    previous = cycle.phase
    try:
        cycle = services.advance_cycle(cycle, actor=_actor(options["actor"]), to_phase=options["to_phase"])
    except services.ReviewError as error:
        raise CommandError(str(error)) from error
    if options["json"]:
        write_json(command, _status(cycle))
    else:
        command.stdout.write(f"Cycle {cycle.pk}: {previous} → {cycle.phase}.")
    return 0


def _status(cycle: ReviewCycle) -> dict[str, Any]:
    reviews = cycle.reviews.all()
    return {
        "id": cycle.pk, "name": cycle.name, "phase": cycle.phase, "next_phase": services.next_phase(cycle),
        "schedule": cycle.schedule, "people": reviews.count(),
        "self_reviews_submitted": reviews.filter(self_review_submitted_at__isnull=False).count(),
        "assessments_submitted": reviews.filter(assessment_submitted_at__isnull=False).count(),
        "memos": DecisionMemo.objects.filter(review__cycle=cycle).count(),
        "acknowledged": reviews.filter(acknowledged_at__isnull=False).count(),
        "open_appeals": Appeal.objects.filter(review__cycle=cycle, status__in=services.OPEN_APPEAL_STATES).count(),
        "panel": sorted(cycle.panel_members.values_list("person__name", flat=True)),
        "distribution_for_information_only": services.outcome_distribution(cycle),
        "flags": [flag.to_json() for flag in services.calibration_flags(cycle)],
    }


def _add_status_arguments(parser: CommandParser) -> None:
    parser.add_argument("--cycle", type=int, help="one cycle; all cycles when omitted")
    parser.add_argument("--json", action="store_true")


def _show_status(options: dict[str, Any], command: BaseCommand) -> int:
    cycles = [_cycle(options["cycle"])] if options["cycle"] else list(ReviewCycle.objects.all())
    statuses = [_status(cycle) for cycle in cycles]
    if options["json"]:
        write_json(command, statuses if not options["cycle"] else statuses[0])
        return 0
    if not statuses:
        command.stdout.write("No review cycles yet.")
    for status in statuses:
        command.stdout.write(
            f"{status['id']} {status['name']}: phase {status['phase']} (next: {status['next_phase'] or '-'}); "
            f"{status['people']} people, {status['assessments_submitted']} assessments submitted, "
            f"{status['memos']} memos, {status['acknowledged']} acknowledged, {status['open_appeals']} open appeals.")
    return 0


def _add_export_arguments(parser: CommandParser) -> None:
    parser.add_argument("--cycle", type=int, required=True)
    parser.add_argument("--format", choices=["csv", "json"], default="csv")


def render_export(cycle: ReviewCycle, export_format: str) -> str:
    rows = services.decision_records(cycle)
    if export_format == "json":
        return json.dumps({"cycle": {"id": cycle.pk, "name": cycle.name, "phase": cycle.phase},
                           "columns": list(services.EXPORT_COLUMNS), "records": rows}, indent=2, sort_keys=True)
    buffer = io.StringIO()
    writer = csvio.dict_writer(buffer, list(services.EXPORT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: str(value).lower() if isinstance(value, bool) else value for key, value in row.items()})
    return buffer.getvalue()


def _export(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.audit.services import log_action
    from brightline.people.cli import cli_actor_label

    cycle = _cycle(options["cycle"])
    command.stdout.write(render_export(cycle, options["format"]), ending="")
    # Decision records are everyone's outcomes: who took them out is part of the trail.
    log_action("reviews.cycle.exported", None, cycle, {"format": options["format"]}, actor_label=cli_actor_label())
    return 0
