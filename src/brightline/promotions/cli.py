"""``brightline promotions list|show|export|escalate``: promotion cases from the command line (operators).

Showing one case reads the person's record, so it is written to their access log as a command-line read;
an export is written to the audit trail.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from brightline import csvio
from brightline.commands import write_json
from brightline.promotions.models import CaseStatus, PromotionCase

ERR_NO_CASE = "no promotion case with id {case_id}"
ERR_YEAR = "{value!r} is not a year such as 2026"
EXPORT_COLUMNS = ("case_id", "employee_id", "from_level", "to_level", "nominated_on", "decision",
                  "ready_at_decision", "departs_from_readiness", "decided_on", "accountable", "appealed")


def _case(case_id: int) -> PromotionCase:
    case = (PromotionCase.objects.select_related("person", "from_level", "to_level", "nominated_by", "accountable")
            .filter(pk=case_id).first())
    if case is None:
        raise CommandError(ERR_NO_CASE.format(case_id=case_id))
    return case


def _year(text: str) -> int:
    if not text.isdigit() or len(text) != 4:
        raise argparse.ArgumentTypeError(ERR_YEAR.format(value=text))
    return int(text)


def _deadline(case: PromotionCase) -> dt.date | None:
    from brightline.promotions.escalation import GATHERING_DAYS, PANEL_DAYS

    if case.status == CaseStatus.NOMINATED:
        return timezone.localdate(case.nominated_at) + dt.timedelta(days=GATHERING_DAYS)
    if case.status == CaseStatus.PANEL:
        seated = case.panelists.order_by("added_at").values_list("added_at", flat=True).first()
        return timezone.localdate(seated or case.nominated_at) + dt.timedelta(days=PANEL_DAYS)
    return None


def _summary(case: PromotionCase) -> dict[str, Any]:
    deadline = _deadline(case)
    return {"id": case.pk, "person": case.person.name, "from_level": case.from_level.code,
            "to_level": case.to_level.code, "status": case.status, "stage": case.get_status_display(),
            "nominated_on": timezone.localdate(case.nominated_at).isoformat(),
            "deadline": deadline.isoformat() if deadline else None,
            "overdue": bool(deadline and deadline < timezone.localdate()),
            "decision": case.decision or None}


def _add_list_arguments(parser: CommandParser) -> None:
    parser.add_argument("--status", choices=CaseStatus.values, help="only cases in this stage")
    parser.add_argument("--json", action="store_true", help="print the cases as JSON")


def _list(options: dict[str, Any], command: BaseCommand) -> int:
    cases = PromotionCase.objects.select_related("person", "from_level", "to_level")
    if options.get("status"):
        cases = cases.filter(status=options["status"])
    rows = [_summary(case) for case in cases]
    if options["json"]:
        write_json(command, rows)
        return 0
    if not rows:
        command.stdout.write("No promotion cases.")
    for row in rows:
        due = f", due {row['deadline']}{' (overdue)' if row['overdue'] else ''}" if row["deadline"] else ""
        decided = f": {row['decision'].replace('_', ' ')}" if row["decision"] else ""
        command.stdout.write(f"{row['id']} {row['person']}: {row['from_level']} → {row['to_level']}, "
                             f"{row['stage'].lower()}{decided}{due}; nominated {row['nominated_on']}.")
    return 0


def _add_show_arguments(parser: CommandParser) -> None:
    parser.add_argument("case", type=int, help="the case's id (see 'brightline promotions list')")
    parser.add_argument("--json", action="store_true", help="print the case as JSON")


def case_details(case: PromotionCase) -> dict[str, Any]:
    """What an operator reads of one case: never a hidden pre-vote, only how many are in before all are."""
    from brightline.promotions import services

    votes = services.pre_votes(case, viewer=None)
    return {
        **_summary(case), "nominated_by": case.nominated_by.name, "rationale": case.rationale,
        "readiness": services.readiness(case).to_json(),
        "panel": [{"person": seat.person.name, "conflict": seat.get_conflict_display() if seat.conflict else None}
                  for seat in case.panelists.select_related("person")],
        "pre_votes": {"voted": len(votes.votes) if votes.complete else None, "complete": votes.complete},
        "memo": services.memo_for(case, None) if case.is_decided else None,
        "appeals": [{"id": appeal.pk, "status": appeal.get_status_display(), "due_on": appeal.due_on.isoformat(),
                     "decision": appeal.decision or None,
                     "taken_further_on": timezone.localdate(appeal.escalated_at).isoformat()
                     if appeal.escalated_at else None,
                     "further_due_on": appeal.escalation_due_on.isoformat() if appeal.escalation_due_on else None,
                     "final_decision": appeal.escalation_decision or None} for appeal in case.appeals.all()],
        "escalations": [{"stage": row.get_stage_display(), "due_on": row.due_on.isoformat(),
                         "to": row.escalated_to.name, "at": row.escalated_at.isoformat(),
                         "reason": row.reason_with(dt.date.isoformat)}
                        for row in case.escalations.select_related("escalated_to")],
    }


def _show(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline import access
    from brightline.people.cli import cli_actor_label

    case = _case(options["case"])
    details = case_details(case)
    # An operator at the command line may read any case; the read is in the person's access log all the same.
    access.open_person_record(None, case.person, what="promotions.case", via="cli", allowed=True,
                              viewer_label=cli_actor_label())
    if options["json"]:
        write_json(command, details)
        return 0
    readiness = details["readiness"]
    lines = [f"Promotion case {case.pk}: {case.person.name}, {details['from_level']} → {details['to_level']}",
             f"Stage: {details['stage']}" + (f" (deadline {details['deadline']}"
                                              f"{', overdue' if details['overdue'] else ''})"
                                              if details["deadline"] else ""),
             f"Nominated on {details['nominated_on']} by {details['nominated_by']}: {case.rationale}",
             f"Readiness: {'ready' if readiness['ready'] else 'not yet'} "
             f"({sum(row['met'] for row in readiness['expectations'])} of {len(readiness['expectations'])} "
             f"expectations of the next level met)"]
    for seat in details["panel"]:
        lines.append(f"Panel: {seat['person']}" + (f" (conflict: {seat['conflict'].lower()})" if seat["conflict"]
                                                    else ""))
    if details["memo"]:
        lines.append(f"Decision: {details['memo']['decision'].replace('_', ' ')}; accountable: "
                     f"{details['memo']['accountable']}. Reasons: {details['memo']['reasons']}")
    for appeal in details["appeals"]:
        lines.append(f"Appeal {appeal['id']}: {appeal['status']}, due {appeal['due_on']}"
                     + (f"; taken one step further on {appeal['taken_further_on']}, due {appeal['further_due_on']}"
                        if appeal["taken_further_on"] else ""))
    for row in details["escalations"]:
        lines.append(f"Escalated to {row['to']} ({row['stage'].lower()}, due {row['due_on']}): {row['reason']}")
    command.stdout.write("\n".join(lines))
    return 0


def _add_export_arguments(parser: CommandParser) -> None:
    parser.add_argument("--year", type=_year, default=None, help="the year the cases were decided (default: all)")
    parser.add_argument("--format", choices=["csv", "json"], default="csv")


def export_rows(year: int | None) -> list[dict[str, Any]]:
    cases = (PromotionCase.objects.filter(status=CaseStatus.DECIDED)
             .select_related("person", "from_level", "to_level", "accountable").order_by("decided_at", "pk"))
    if year is not None:
        cases = cases.filter(decided_at__year=year)
    return [{"case_id": case.pk, "employee_id": case.person.employee_id, "from_level": case.from_level.code,
             "to_level": case.to_level.code, "nominated_on": timezone.localdate(case.nominated_at).isoformat(),
             "decision": case.decision, "ready_at_decision": case.ready_at_decision,
             "departs_from_readiness": bool((case.memo or {}).get("departs_from_readiness")),
             "decided_on": timezone.localdate(case.decided_at).isoformat() if case.decided_at else "",
             "accountable": case.accountable.name if case.accountable else "",
             "appealed": case.appeals.exists()} for case in cases]


def _export(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.audit.services import log_action
    from brightline.people.cli import cli_actor_label

    rows = export_rows(options.get("year"))
    if options["format"] == "json":
        command.stdout.write(json.dumps({"columns": list(EXPORT_COLUMNS), "records": rows}, indent=2,
                                        sort_keys=True))
    else:
        buffer = io.StringIO()
        writer = csvio.dict_writer(buffer, list(EXPORT_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: str(value).lower() if isinstance(value, bool) else value
                             for key, value in row.items()})
        command.stdout.write(buffer.getvalue(), ending="")
    # Decisions about people leave the system: who took them out is part of the trail.
    log_action("promotions.cases.exported", None, None, {"year": options.get("year"), "format": options["format"],
                                                         "cases": len(rows)}, actor_label=cli_actor_label())
    return 0


def _add_escalate_arguments(parser: CommandParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _escalate(options: dict[str, Any], command: BaseCommand) -> int:
    from brightline.promotions.escalation import escalate_overdue_cases

    run = escalate_overdue_cases()
    if options["json"]:
        write_json(command, run.to_json())
        return 0
    command.stdout.write(f"{len(run.escalated)} promotion case(s) escalated.")
    for row in run.escalated:
        command.stdout.write(f"  case {row.case_id} ({row.get_stage_display().lower()}) → {row.escalated_to.name}")
    if run.nobody_to_escalate_to:
        command.stderr.write(f"{len(run.nobody_to_escalate_to)} overdue case(s) have no active people partner to "
                             "go to; add one and run again.")
    return 0
