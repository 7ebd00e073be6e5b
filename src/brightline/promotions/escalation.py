"""Escalation of promotion cases stuck past a deadline (E7): the case goes to the next person who can move it on.

Each stage has a deadline: gathering evidence ``GATHERING_DAYS`` after the nomination, the panel
``PANEL_DAYS`` after it was seated, an appeal its own ``due_on``. A run (scheduled daily, or
``brightline promotions escalate``) finds the cases past it and, once per case, stage and appeal, hands them on:

- a case still gathering evidence goes to the next person up the chain from the person's manager (their
  manager's manager), or to a people partner when there is no one active above;
- a panel or an appeal past its deadline goes to a people partner, who runs the process: the one who seated
  the panel when still a people partner, otherwise the first active people partner by name.

A case still in the same stage ``FURTHER_DAYS`` after an escalation goes one step further: to the manager of the
person it last went to, and when there is no one active above (or only people it already went to), to a people
partner; once a people partner had it at the top of the chain, it stops there. Each step is written once.

An appeal taken one step further has its own deadline (``escalation_due_on``) and is escalated the same way,
as its own stage. An appeal (or its further step) decided after its due day that no run escalated while it was
open (the run did not pass in between) is escalated likewise when the run finds it, so that every late appeal is
on the record; it waits in no one's list, being decided.

Never to the person the case is about. The person it went to sees it in "Needs you now", and so by e-mail
through the notification runs, until the case leaves that stage; each escalation is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Min
from django.utils import timezone

from brightline import access
from brightline.audit.services import log_action
from brightline.people.models import AccessRole, Person
from brightline.promotions.models import CaseAppeal, CaseEscalation, CasePanelist, CaseStatus, PromotionCase

GATHERING_DAYS = 56
PANEL_DAYS = 21
# A case still stuck this many days after an escalation goes one step further.
FURTHER_DAYS = 7
ACTOR_LABEL = "job:promotions.escalate"

REASON_GATHERING = ("The case has gathered evidence since {since} and passed its deadline on {due}; it needs a "
                    "decision to seat a panel, gather more or withdraw.")
REASON_PANEL = "The panel was seated on {since} and passed its deadline on {due} without a decision."
REASON_APPEAL = "The appeal was filed on {since} and passed its deadline on {due} without a decision."
REASON_APPEAL_FURTHER = ("The appeal was taken one step further on {since} and passed its deadline on {due} without "
                         "a decision.")
REASON_FURTHER = ("It went to {name} on {since} and is still in the same stage past {due}; it goes one step "
                  "further.")
REASON_DECIDED_LATE = ("The appeal was filed on {since}, passed its deadline on {due} and was decided on {decided} "
                       "without an escalation in between; recorded so that the delay is on the case's record.")


@dataclass
class EscalationRun:
    escalated: list[CaseEscalation] = field(default_factory=list)
    # Overdue cases with no one to hand them to (no active people partner): reported, tried again next run.
    nobody_to_escalate_to: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"escalated": len(self.escalated),
                "cases": [{"case": e.case_id, "stage": e.stage, "to": e.escalated_to.name} for e in self.escalated],
                "nobody_to_escalate_to": self.nobody_to_escalate_to}


def _people_partner(case: PromotionCase, preferred: Person | None = None) -> Person | None:
    if preferred is not None and access.is_people_partner(preferred) and preferred.pk != case.person_id:
        return preferred
    return (Person.objects.filter(is_active=True, access_role__in=[AccessRole.PEOPLE_PARTNER, AccessRole.ADMIN])
            .exclude(pk=case.person_id).order_by("name", "pk").first())


def _next_in_chain(case: PromotionCase) -> Person | None:
    manager = case.person.manager
    above = manager.manager if manager is not None else None
    if above is not None and above.is_active and above.pk != case.person_id:
        return above
    return _people_partner(case)


def _panel_seated(case_ids: list[int]) -> dict[int, dt.date]:
    rows = CasePanelist.objects.filter(case_id__in=case_ids).values("case_id").annotate(at=Min("added_at"))
    return {row["case_id"]: timezone.localdate(row["at"]) for row in rows}


def overdue_stages(today: dt.date) -> list[tuple[PromotionCase, CaseAppeal | None, str, dt.date, dt.date]]:
    """(case, appeal, stage, since, due) for every open stage past its deadline on ``today``."""
    found: list[tuple[PromotionCase, CaseAppeal | None, str, dt.date, dt.date]] = []
    cases = list(PromotionCase.objects.filter(status__in=[CaseStatus.NOMINATED, CaseStatus.PANEL])
                 .select_related("person__manager__manager"))
    seated = _panel_seated([case.pk for case in cases if case.status == CaseStatus.PANEL])
    for case in cases:
        if case.status == CaseStatus.NOMINATED:
            since = timezone.localdate(case.nominated_at)
            due = since + dt.timedelta(days=GATHERING_DAYS)
            stage = CaseEscalation.Stage.GATHERING
        else:
            since = seated.get(case.pk, timezone.localdate(case.nominated_at))
            due = since + dt.timedelta(days=PANEL_DAYS)
            stage = CaseEscalation.Stage.PANEL
        if due < today:
            found.append((case, None, stage, since, due))
    appeals = CaseAppeal.objects.select_related("case__person")
    for appeal in appeals.filter(status__in=[CaseAppeal.Status.REQUESTED, CaseAppeal.Status.IN_REVIEW],
                                 due_on__lt=today):
        found.append((appeal.case, appeal, CaseEscalation.Stage.APPEAL, timezone.localdate(appeal.filed_at),
                      appeal.due_on))
    for appeal in appeals.filter(status=CaseAppeal.Status.ESCALATED, escalation_due_on__lt=today):
        found.append((appeal.case, appeal, CaseEscalation.Stage.APPEAL_ESCALATION,
                      timezone.localdate(appeal.escalated_at), appeal.escalation_due_on))
    # Decided after the due day: escalated once if no run caught it while open (the caller checks).
    late = [(CaseEscalation.Stage.APPEAL, appeals.filter(decided_at__date__gt=F("due_on"))),
            (CaseEscalation.Stage.APPEAL_ESCALATION,
             appeals.filter(escalation_decided_at__date__gt=F("escalation_due_on")))]
    for stage, rows in late:
        recorded = CaseEscalation.objects.filter(appeal__isnull=False, stage=stage).values("appeal_id")
        for appeal in rows.exclude(pk__in=recorded):
            since, due = _appeal_step(appeal, stage)
            found.append((appeal.case, appeal, stage, since, due))
    return found


def _appeal_step(appeal: CaseAppeal, stage: str) -> tuple[dt.date, dt.date]:
    """When the appeal's step began and its due day."""
    if stage == CaseEscalation.Stage.APPEAL_ESCALATION and appeal.escalated_at and appeal.escalation_due_on:
        return timezone.localdate(appeal.escalated_at), appeal.escalation_due_on
    return timezone.localdate(appeal.filed_at), appeal.due_on


def _appeal_step_decided(appeal: CaseAppeal, stage: str) -> dt.datetime | None:
    """When the appeal's step was decided, or ``None`` while it is still open."""
    if stage == CaseEscalation.Stage.APPEAL_ESCALATION:
        return appeal.escalation_decided_at
    return appeal.decided_at


def _further_up(case: PromotionCase, previous: list[CaseEscalation]) -> Person | None:
    """The step after ``previous`` (oldest first): the nearest active person above the last one it went to, else a
    people partner; ``None`` once a people partner had it and no one is above (the top of the chain)."""
    used = {row.escalated_to_id for row in previous} | {case.person_id}
    above, seen = previous[-1].escalated_to.manager, set()
    while above is not None and (not above.is_active or above.pk in used) and above.pk not in seen:
        seen.add(above.pk)
        above = above.manager
    if above is not None and above.is_active and above.pk not in used:
        return above
    if any(access.is_people_partner(row.escalated_to) for row in previous):
        return None
    return (Person.objects.filter(is_active=True, access_role__in=[AccessRole.PEOPLE_PARTNER, AccessRole.ADMIN])
            .exclude(pk__in=used).order_by("name", "pk").first())


def _first_target(case: PromotionCase, stage: str) -> Person | None:
    if stage == CaseEscalation.Stage.GATHERING:
        return _next_in_chain(case)
    seat = case.panelists.select_related("added_by").order_by("added_at", "pk").first()
    return _people_partner(case, seat.added_by if seat else None)


def escalate_overdue_cases(*, today: dt.date | None = None) -> EscalationRun:
    """Hand every case past a stage's deadline to the next person who can move it on, once per stage and step."""
    today = today or timezone.localdate()
    run = EscalationRun()
    stages = overdue_stages(today)
    earlier: dict[tuple[int, str, int | None], list[CaseEscalation]] = {}
    for row in (CaseEscalation.objects.filter(case_id__in={case.pk for case, *_ in stages})
                .select_related("escalated_to__manager").order_by("escalated_at", "pk")):
        earlier.setdefault((row.case_id, row.stage, row.appeal_id), []).append(row)
    for case, appeal, stage, since, due in stages:
        base = f"{case.pk}:{stage}:{appeal.pk if appeal else ''}"
        previous = earlier.get((case.pk, stage, appeal.pk if appeal else None), [])
        decided = _appeal_step_decided(appeal, stage) if appeal is not None else None
        decided_on = None
        if decided is not None:
            if previous:
                continue  # escalated while it was open
            key, target = base, _first_target(case, stage)
            reason, decided_on = REASON_DECIDED_LATE, timezone.localdate(decided)
        elif previous:
            last = previous[-1]
            # A week from the escalation (or from the deadline it recorded, for a run told another day).
            due = max(timezone.localdate(last.escalated_at), last.due_on) + dt.timedelta(days=FURTHER_DAYS)
            if due >= today:
                continue
            key, target = f"{base}:{len(previous) + 1}", _further_up(case, previous)
            if target is None:
                continue  # the top of the chain has it
            # The name goes into the text now; the days stay placeholders (braces in a name are escaped).
            name = last.escalated_to.name.replace("{", "{{").replace("}", "}}")
            reason = REASON_FURTHER.replace("{name}", name)
            since = timezone.localdate(last.escalated_at)
        else:
            key, target = base, _first_target(case, stage)
            template = {CaseEscalation.Stage.GATHERING: REASON_GATHERING, CaseEscalation.Stage.PANEL: REASON_PANEL,
                        CaseEscalation.Stage.APPEAL_ESCALATION: REASON_APPEAL_FURTHER}.get(stage, REASON_APPEAL)
            reason = template
        if target is None:
            run.nobody_to_escalate_to.append(case.pk)
            continue
        try:
            with transaction.atomic():
                escalation = CaseEscalation.objects.create(
                    key=key, case=case, appeal=appeal, stage=stage, due_on=due, escalated_to=target, reason=reason,
                    since_on=since, decided_on=decided_on)
                log_action("promotions.case.escalated", None, case, {
                    "stage": stage, "appeal": appeal.pk if appeal else None, "due_on": due,
                    "escalated_to": target.pk, "step": len(previous) + 1}, actor_label=ACTOR_LABEL)
        except IntegrityError:
            continue  # another run escalated it a moment ago
        run.escalated.append(escalation)
    return run


def open_escalations_for(person: Person) -> list[CaseEscalation]:
    """Escalations handed to ``person`` whose case (or appeal) is still in the stage that was overdue."""
    rows = (CaseEscalation.objects.filter(escalated_to=person)
            .select_related("case__person", "appeal").order_by("escalated_at", "pk"))
    still = []
    for row in rows:
        if row.stage == CaseEscalation.Stage.GATHERING and row.case.status == CaseStatus.NOMINATED \
                or row.stage == CaseEscalation.Stage.PANEL and row.case.status == CaseStatus.PANEL \
                or row.stage == CaseEscalation.Stage.APPEAL and row.appeal is not None \
                and row.appeal.status in (CaseAppeal.Status.REQUESTED, CaseAppeal.Status.IN_REVIEW) \
                or row.stage == CaseEscalation.Stage.APPEAL_ESCALATION and row.appeal is not None \
                and row.appeal.status == CaseAppeal.Status.ESCALATED:
            still.append(row)
    return still
