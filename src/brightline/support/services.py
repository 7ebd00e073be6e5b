"""Support plans (F1–F3): every state change checks its rules, runs in one transaction and is audited.

A plan is support, not an exit route: it starts from a diagnosis, rests on at least two pieces of
human evidence and a second approver (C10), its wording is checked for personality language, the
employee can read and comment on it throughout, and where the diagnosis is a role mismatch a
redeployment must be offered before a plan may end without one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from brightline import access
from brightline.audit.services import log_action
from brightline.core.narrative import check_text
from brightline.people.models import AccessRole, Person
from brightline.reviews.packet_items import CitationError, references_in, resolve
from brightline.support.models import Cadence, CheckIn, Diagnosis, PlanComment, SupportGoal, SupportPlan


class SupportPlanError(Exception):
    """A support-plan action the rules do not allow."""


# The refusal never names the person: it would tell anyone who tries an id who that id is.
ERR_CANNOT_OPEN = "only the person's management chain or a people partner can open a support plan for them"
ERR_CANNOT_MANAGE = "only the person's management chain or a people partner can change this plan"
ERR_CANNOT_SEE = "you cannot see this support plan"
ERR_DIAGNOSIS = "start with a diagnosis: one of {choices}"
ERR_DIAGNOSIS_NOTES = "describe what was observed and what {person} said about it"
ERR_SUPPORT_OFFERED = "say what the organisation will do to help (coaching, time, training, pairing)"
ERR_EVIDENCE = ("a support plan rests on at least 2 cited evidence items that are not AI signals; {count} cited "
                "(AI assists, humans decide). Work on record and feedback answers that name their writer count")
ERR_CHECK_IN_FUTURE = "a check-in is recorded once it has been held: {day} is still to come"
ERR_TIMELINE = "a realistic timeline runs at least {minimum} days; this one runs {days}"
ERR_GOALS = "a plan needs at least one goal with success criteria and an example of acceptable improvement"
ERR_WORDING = ("the plan's wording describes the person rather than the work ({phrases}); describe observable "
               "behaviour and its effect instead")
ERR_NOT_SECOND_APPROVER = ("{name} cannot approve: the second approver is someone other than whoever opened the "
                           "plan, who is a people partner or in the person's management chain")
ERR_STATE = "the plan is {status}; that is not possible now"
ERR_REDEPLOYMENT_FIRST = ("the diagnosis is a role mismatch: offer a redeployment (and record it) before the plan "
                          "can end without one")
ERR_EXTENSION_DATE = "an extension needs a new end date after {current}"
ERR_OUTCOME = "{outcome!r} is not an outcome; use succeeded, extended, redeployed or ended"
ERR_REASON = "write the reason"
ERR_EMPTY = "write something first"
ERR_CLOSED_COMMENT = "the plan is closed: only the person it supported may still add a comment"

MIN_PLAN_DAYS = 42  # six weeks: anything shorter is an exit route, not a chance to improve
MIN_EVIDENCE = 2


@dataclass(frozen=True)
class GoalDraft:
    description: str
    success_criteria: str
    acceptable_improvement: str


@dataclass(frozen=True)
class PlanDraft:
    """Everything a new plan needs; a parameter object so the signature stays short."""

    diagnosis: str
    diagnosis_notes: str
    support_offered: str
    starts_on: dt.date
    ends_on: dt.date
    cadence: str = Cadence.FORTNIGHTLY
    goals: tuple[GoalDraft, ...] = field(default_factory=tuple)
    citations: tuple[str, ...] = field(default_factory=tuple)
    review_id: int | None = None


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SupportPlanError(message)


def check_wording(*texts: str) -> None:
    """Refuse personality language in a plan; other narrative flags are shown as advice, not refused.

    A refusal rests on the reviewed phrase rules only, never on the learned model's reading: a probable
    judgement of character is not reason enough to stop a plan ("Recover focus time" is a goal, not a trait).
    """
    phrases: list[str] = []
    for text in texts:
        report = check_text(text or "", kind="support_plan", use_model=False)
        phrases.extend(span.text for flag in report.flags if flag.flag_id == "personality" for span in flag.spans)
    _require(not phrases, ERR_WORDING.format(phrases=", ".join(f"'{p}'" for p in phrases)))


def _goal_texts(goals: Iterable[GoalDraft]) -> list[str]:
    return [text for goal in goals for text in (goal.description, goal.success_criteria, goal.acceptable_improvement)]


def open_support_plan(person: Person, *, actor: Person, draft: PlanDraft) -> SupportPlan:
    """Propose a plan; it becomes active only after a second approver (C10)."""
    _require(access.can_open_support_plan(actor, person), ERR_CANNOT_OPEN)
    _require(draft.diagnosis in Diagnosis.values, ERR_DIAGNOSIS.format(choices="; ".join(Diagnosis.labels)))
    _require(bool(draft.diagnosis_notes.strip()), ERR_DIAGNOSIS_NOTES.format(person=person.name))
    _require(bool(draft.support_offered.strip()), ERR_SUPPORT_OFFERED)
    _require(draft.cadence in Cadence.values, f"{draft.cadence!r} is not a cadence")
    days = (draft.ends_on - draft.starts_on).days
    _require(days >= MIN_PLAN_DAYS, ERR_TIMELINE.format(minimum=MIN_PLAN_DAYS, days=days))
    _require(bool(draft.goals) and all(g.description.strip() and g.success_criteria.strip()
                                       and g.acceptable_improvement.strip() for g in draft.goals), ERR_GOALS)
    try:
        references = references_in(draft.diagnosis_notes, list(draft.citations))
        for reference in references:
            resolve(reference, person=person, viewer=actor)
    except CitationError as error:
        raise SupportPlanError(str(error)) from error
    human = {reference for reference in references if not reference.is_ai}
    _require(len(human) >= MIN_EVIDENCE, ERR_EVIDENCE.format(count=len(human)))
    check_wording(draft.diagnosis_notes, draft.support_offered, *_goal_texts(draft.goals))
    with transaction.atomic():
        plan = SupportPlan.objects.create(
            person=person, opened_by=actor, diagnosis=draft.diagnosis, diagnosis_notes=draft.diagnosis_notes.strip(),
            support_offered=draft.support_offered.strip(), cadence=draft.cadence, starts_on=draft.starts_on,
            ends_on=draft.ends_on, citations=[str(r) for r in references], review_id=draft.review_id)
        for goal in draft.goals:
            SupportGoal.objects.create(plan=plan, description=goal.description.strip(),
                                       success_criteria=goal.success_criteria.strip(),
                                       acceptable_improvement=goal.acceptable_improvement.strip())
        log_action("support.plan.opened", actor, plan, {
            "diagnosis": plan.diagnosis, "citations": plan.citations, "starts_on": plan.starts_on,
            "ends_on": plan.ends_on, "goals": len(draft.goals)})
    return plan


def approve_support_plan(plan: SupportPlan, *, approver: Person, reason: str) -> SupportPlan:
    _require(plan.status == SupportPlan.Status.PROPOSED, ERR_STATE.format(status=plan.get_status_display().lower()))
    eligible = (approver.is_active and approver.pk not in {plan.opened_by_id, plan.person_id}
                and (access.is_people_partner(approver) or access.manages(approver, plan.person)))
    _require(eligible, ERR_NOT_SECOND_APPROVER.format(name=approver.name))
    _require(bool(reason.strip()), ERR_REASON)
    with transaction.atomic():
        plan.status = SupportPlan.Status.ACTIVE
        plan.approved_by = approver
        plan.approved_at = timezone.now()
        plan.save(update_fields=["status", "approved_by", "approved_at"])
        log_action("support.plan.approved", approver, plan, {"reason": reason.strip()})
    return plan


def approvers_of(plan: SupportPlan) -> list[Person]:
    """Who may approve ``plan`` as its second approver, as ``approve_support_plan`` checks: the people partners, the
    person's manager and their manager, never whoever opened it nor the person (administrators may too; they run
    the system, so they are not listed)."""
    manager = plan.person.manager
    chain = [pk for pk in (plan.person.manager_id, manager.manager_id if manager else None) if pk]
    partners = Person.objects.filter(access_role=AccessRole.PEOPLE_PARTNER)
    return list(Person.objects.filter(Q(pk__in=partners.values("pk")) | Q(pk__in=chain), is_active=True)
                .exclude(pk__in=[plan.opened_by_id, plan.person_id]).order_by("name"))


def approvers_in_words(plan: SupportPlan) -> str:
    """"Pia Santos (a people partner) or Lee Park (Zara's manager's manager)": whom a proposed plan waits for."""
    first = plan.person.name.split()[0]
    relation = {plan.person.manager_id: f"{first}'s manager"}
    if plan.person.manager is not None and plan.person.manager.manager_id:
        relation[plan.person.manager.manager_id] = f"{first}'s manager's manager"
    names = [f"{person.name} ({relation.get(person.pk, 'a people partner')})" for person in approvers_of(plan)]
    if not names:
        return "a people partner"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def add_goal(plan: SupportPlan, *, actor: Person, goal: GoalDraft) -> SupportGoal:
    _require(access.can_manage_support_plan(actor, plan), ERR_CANNOT_MANAGE)
    _require(plan.status != SupportPlan.Status.CLOSED, ERR_STATE.format(status="closed"))
    _require(bool(goal.description.strip() and goal.success_criteria.strip() and goal.acceptable_improvement.strip()),
             ERR_GOALS)
    check_wording(*_goal_texts([goal]))
    with transaction.atomic():
        created = SupportGoal.objects.create(plan=plan, description=goal.description.strip(),
                                             success_criteria=goal.success_criteria.strip(),
                                             acceptable_improvement=goal.acceptable_improvement.strip())
        log_action("support.goal.added", actor, created, {"plan": plan.pk})
    return created


def record_check_in(plan: SupportPlan, *, actor: Person, held_on: dt.date, progress: str, notes: str) -> CheckIn:
    _require(access.can_manage_support_plan(actor, plan), ERR_CANNOT_MANAGE)
    _require(plan.status == SupportPlan.Status.ACTIVE, ERR_STATE.format(status=plan.get_status_display().lower()))
    _require(progress in CheckIn.Progress.values, f"{progress!r} is not a progress value")
    _require(held_on <= timezone.localdate(), ERR_CHECK_IN_FUTURE.format(day=f"{held_on:%-d %b %Y}"))
    _require(bool(notes.strip()), ERR_EMPTY)
    check_wording(notes)
    with transaction.atomic():
        check_in = CheckIn.objects.create(plan=plan, held_on=held_on, author=actor, progress=progress,
                                          notes=notes.strip())
        log_action("support.check_in.recorded", actor, check_in, {"plan": plan.pk, "held_on": held_on,
                                                                  "progress": progress})
    return check_in


def comment_on_plan(plan: SupportPlan, *, actor: Person, body: str) -> PlanComment:
    """Anyone who may see the plan comments while it runs; once it closed, only the employee (their
    right to have their say on the record), so nobody else adds to a closed thread."""
    _require(access.can_view_support_plan(actor, plan), ERR_CANNOT_SEE)
    _require(bool(body.strip()), ERR_EMPTY)
    with transaction.atomic():
        status = SupportPlan.objects.select_for_update().values_list("status", flat=True).get(pk=plan.pk)
        _require(status != SupportPlan.Status.CLOSED or actor.pk == plan.person_id, ERR_CLOSED_COMMENT)
        comment = PlanComment.objects.create(plan=plan, author=actor, body=body.strip())
        log_action("support.plan.commented", actor, comment, {"plan": plan.pk})
    return comment


def offer_redeployment(plan: SupportPlan, *, actor: Person, offer: str) -> SupportPlan:
    _require(access.can_manage_support_plan(actor, plan), ERR_CANNOT_MANAGE)
    _require(plan.status == SupportPlan.Status.ACTIVE, ERR_STATE.format(status=plan.get_status_display().lower()))
    _require(bool(offer.strip()), ERR_EMPTY)
    with transaction.atomic():
        plan.redeployment_offered_at = timezone.now()
        plan.redeployment_offer = offer.strip()
        plan.save(update_fields=["redeployment_offered_at", "redeployment_offer"])
        log_action("support.plan.redeployment_offered", actor, plan, {"offer": plan.redeployment_offer})
    return plan


def record_plan_outcome(plan: SupportPlan, *, actor: Person, outcome: str, reason: str,
                        new_end: dt.date | None = None) -> SupportPlan:
    """Succeeded, redeployed and ended close the plan; extended keeps it active with a later end date."""
    _require(access.can_manage_support_plan(actor, plan), ERR_CANNOT_MANAGE)
    _require(plan.status == SupportPlan.Status.ACTIVE, ERR_STATE.format(status=plan.get_status_display().lower()))
    _require(outcome in SupportPlan.Outcome.values, ERR_OUTCOME.format(outcome=outcome))
    _require(bool(reason.strip()), ERR_REASON)
    check_wording(reason)
    if outcome == SupportPlan.Outcome.ENDED and plan.diagnosis == Diagnosis.ROLE_MISMATCH:
        _require(plan.redeployment_offered_at is not None, ERR_REDEPLOYMENT_FIRST)
    with transaction.atomic():
        data: dict[str, object] = {"outcome": outcome, "reason": reason.strip()}
        if outcome == SupportPlan.Outcome.EXTENDED:
            _require(new_end is not None and new_end > plan.ends_on, ERR_EXTENSION_DATE.format(current=plan.ends_on))
            data["ends_on"] = {"from": plan.ends_on, "to": new_end}
            plan.ends_on = new_end  # type: ignore[assignment]
            plan.extensions += 1
            plan.save(update_fields=["ends_on", "extensions"])
            log_action("support.plan.extended", actor, plan, data)
            return plan
        plan.outcome = outcome
        plan.outcome_reason = reason.strip()
        plan.status = SupportPlan.Status.CLOSED
        plan.closed_at = timezone.now()
        plan.save(update_fields=["outcome", "outcome_reason", "status", "closed_at"])
        log_action("support.plan.closed", actor, plan, data)
    return plan


def plans_visible_to(viewer: Person) -> list[SupportPlan]:
    # can_view_support_plan as one query: the person, their chain and people partners.
    return list(SupportPlan.objects.select_related("person", "opened_by")
                .filter(person__in=access.people_visible_to(viewer).values("pk")))
