"""Release, acknowledgement and appeals (E6, E7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils import timezone

from brightline import access
from brightline.audit.services import log_action
from brightline.people.models import Dimension, Person
from brightline.policy import services as policy_services
from brightline.policy.models import AppealReviewers
from brightline.reviews.appeal_rules import calibration_decider_ids, contested_feedback_writer_ids
from brightline.reviews.models import (
    OUTCOME_SCALE,
    STEP_PHASES,
    Appeal,
    AppealMessage,
    CalibrationChange,
    Outcome,
    Review,
    ReviewCycle,
)
from brightline.reviews.packet_items import CitationError, references_in
from brightline.reviews.services.assessment import _check_dimension, _check_outcome
from brightline.reviews.services.calibration import _apply_outcome
from brightline.reviews.services.common import (
    ERR_NOT_PEOPLE_PARTNER,
    ERR_NOT_SELF,
    ERR_REASON_REQUIRED,
    ActionRefused,
    ReviewError,
    _allow,
    _include_all,
    _require,
    _require_phase,
)

ERR_ALREADY_ACKNOWLEDGED = "already acknowledged on {at}"


ERR_APPEAL_WINDOW_CLOSED = "the appeal window closed on {date}"


ERR_APPEAL_THREAD_CLOSED = "this appeal is closed; its messages are kept as they are and no new message can be added"


ERR_APPEAL_OPEN = "an appeal for this review is already open"


ERR_CONTEXT_REQUIRED = "add the context the reviewers should weigh"


ERR_REVIEWER_IN_CHAIN = ("{name} is the person or in their management chain; a second review must come from outside "
                         "it")
ERR_REVIEWER_WROTE_FEEDBACK = ("{name} wrote or was asked for feedback that the packet cites; a second review "
                               "must come from someone who gave none of the feedback being contested")


ERR_REVIEWER_DECIDED = ("{name} changed or approved a change to this review's outcomes in calibration; a second "
                        "review must come from someone who did not decide the first")


ERR_REVIEWER_NOT_PANELIST = ("{name} is not on this cycle's calibration panel without a conflict; the policy has "
                             "appeals reviewed by a panel member outside the person's management chain")


ERR_REVIEWER_NOT_PEOPLE_PARTNER = ("{name} is not a people partner; the policy has appeals reviewed by a people "
                                   "partner outside the person's management chain")


ERR_REVIEWER_SAME = "the escalation reviewer must be someone other than the first reviewer"


ERR_NOT_APPEAL_REVIEWER = "only the reviewer assigned to this appeal can decide it"


ERR_APPEAL_STATE = "this appeal is {status}; that step is not possible now"


ERR_APPEAL_NO_CHANGES = "a 'changed' decision lists the new outcomes"


ERR_APPEAL_CANNOT_WORSEN = ("an appeal can uphold or improve an outcome, never lower it: {dimension} would go "
                            "from {current} to {requested}")


ERR_CANNOT_SEE_APPEAL = "you cannot take part in this appeal"


APPEAL_DECISION_DAYS = 14


def acknowledge_review(review: Review, *, actor: Person, comment: str = "") -> Review:
    """The employee confirms they have seen the outcome; acknowledging never waives the right to appeal."""
    _allow(access.is_self(actor, review.person), ERR_NOT_SELF)
    _require_phase(review.cycle, *STEP_PHASES["acknowledge"])
    if review.acknowledged_at is not None:
        raise ActionRefused(ERR_ALREADY_ACKNOWLEDGED.format(at=review.acknowledged_at.date()))
    with transaction.atomic():
        review.acknowledged_at = timezone.now()
        review.acknowledgement_comment = comment.strip()
        review.save(update_fields=["acknowledged_at", "acknowledgement_comment"])
        log_action("reviews.review.acknowledged", actor, review, {"comment": review.acknowledgement_comment})
    return review


def appeal_deadline(cycle: ReviewCycle) -> dt.date:
    return cycle.appeal_deadline()


def file_appeal(review: Review, *, actor: Person, context: str, today: dt.date | None = None) -> Appeal:
    """Within the window, the employee adds context and requests a second review (E7)."""
    today = today or timezone.localdate()
    _allow(access.is_self(actor, review.person), ERR_NOT_SELF)
    _require_phase(review.cycle, *STEP_PHASES["appeal"])
    deadline = review.cycle.appeal_deadline()
    _allow(today <= deadline, ERR_APPEAL_WINDOW_CLOSED.format(date=deadline))
    _allow(not review.has_open_appeal(), ERR_APPEAL_OPEN)
    _require(bool(context.strip()), ERR_CONTEXT_REQUIRED)
    with transaction.atomic():
        appeal = Appeal.objects.create(review=review, context=context.strip(),
                                       due_on=today + dt.timedelta(days=APPEAL_DECISION_DAYS))
        log_action("reviews.appeal.filed", actor, appeal, {"review": review.pk, "due_on": appeal.due_on})
    return appeal


def appeal_reviewer_refusal(person: Person, review: Review, *, writers: set[int] | None = None,
                            deciders: set[int] | None = None) -> str | None:
    """Why ``person`` may not decide an appeal on ``review``, or ``None``: outside the chain always, none of
    the writers of the feedback the packet cites (``writers``, found when not given), nobody who changed or
    approved a change to its outcomes in calibration (``deciders``, likewise), and among the people the
    policy's appeal setting names."""
    if not access.can_review_appeal(person, review, excluded=set()):
        return ERR_REVIEWER_IN_CHAIN.format(name=person.name)
    if person.pk in (contested_feedback_writer_ids(review) if writers is None else writers):
        return ERR_REVIEWER_WROTE_FEEDBACK.format(name=person.name)
    if person.pk in (calibration_decider_ids(review) if deciders is None else deciders):
        return ERR_REVIEWER_DECIDED.format(name=person.name)
    rule = policy_services.appeal_reviewers()
    if rule == AppealReviewers.PANEL_OUTSIDE_CHAIN and not access.can_decide_in_calibration(person, review):
        return ERR_REVIEWER_NOT_PANELIST.format(name=person.name)
    if rule == AppealReviewers.PEOPLE_PARTNER and not access.is_people_partner(person):
        return ERR_REVIEWER_NOT_PEOPLE_PARTNER.format(name=person.name)
    return None


def appeal_reviewer_candidates(review: Review) -> list[Person]:
    """Everyone a people partner may assign to this appeal under the policy."""
    writers, deciders = contested_feedback_writer_ids(review), calibration_decider_ids(review)
    # The chain, the manager, the writers and the calibration's deciders are left out in one query (the stored
    # reporting line names the chain), rather than asking person by person across the whole organisation.
    path = Person.objects.filter(pk=review.person_id).values_list("chain_path", flat=True).first() or ""
    chain = {int(part) for part in path.strip("/").split("/") if part.isdigit()} | {review.person_id}
    outside = (Person.objects.filter(is_active=True).exclude(pk__in=chain | writers | deciders)
               .exclude(pk=review.manager_id).order_by("name"))
    rule = policy_services.appeal_reviewers()
    if rule == AppealReviewers.OUTSIDE_CHAIN:
        return list(outside)
    if rule == AppealReviewers.PEOPLE_PARTNER:
        outside = outside.filter(access_role__in=["people_partner", "admin"])
    return [person for person in outside
            if appeal_reviewer_refusal(person, review, writers=writers, deciders=deciders) is None]


def assign_appeal_reviewer(appeal: Appeal, *, actor: Person, reviewer: Person,
                           today: dt.date | None = None) -> Appeal:
    """Assign the second reviewer (or, after escalation, the escalation reviewer): never from the chain."""
    today = today or timezone.localdate()
    _require(access.can_run_cycles(actor), ERR_NOT_PEOPLE_PARTNER.format(action="assign appeal reviewers"))
    refusal = appeal_reviewer_refusal(reviewer, appeal.review)
    _require(refusal is None, refusal or "")
    with transaction.atomic():
        if appeal.status == Appeal.Status.REQUESTED:
            appeal.reviewer = reviewer
            appeal.status = Appeal.Status.IN_REVIEW
            stage = "second_review"
        elif appeal.status == Appeal.Status.ESCALATED and appeal.escalation_decided_at is None:
            _require(reviewer.pk != appeal.reviewer_id, ERR_REVIEWER_SAME)
            appeal.escalation_reviewer = reviewer
            appeal.escalation_due_on = today + dt.timedelta(days=APPEAL_DECISION_DAYS)
            stage = "escalation"
        else:
            raise ReviewError(ERR_APPEAL_STATE.format(status=appeal.get_status_display().lower()))
        appeal.save()
        log_action("reviews.appeal.reviewer_assigned", actor, appeal, {"reviewer": reviewer.pk, "stage": stage})
    return appeal


def add_appeal_message(appeal: Appeal, *, author: Person, body: str) -> AppealMessage:
    _require(access.can_view_appeal(author, appeal), ERR_CANNOT_SEE_APPEAL)
    _require(bool(body.strip()), ERR_CONTEXT_REQUIRED)
    with transaction.atomic():
        # Read the status under a lock: a message must not slip in beside the closing.
        status = Appeal.objects.select_for_update().values_list("status", flat=True).get(pk=appeal.pk)
        _require(status != Appeal.Status.CLOSED, ERR_APPEAL_THREAD_CLOSED)
        message = AppealMessage.objects.create(appeal=appeal, author=author, body=body.strip())
        log_action("reviews.appeal.message_added", author, message, {"appeal": appeal.pk})
    return message


def decide_appeal(appeal: Appeal, *, reviewer: Person, decision: str, reason: str,
                  new_outcomes: Mapping[str, str] | None = None, citations: Iterable[str] = ()) -> Appeal:
    """The assigned reviewer decides with a written reason; a change is recorded like a calibration change.

    An appeal can uphold or improve an outcome but never lower it.
    """
    escalated = appeal.status == Appeal.Status.ESCALATED
    expected = appeal.escalation_reviewer_id if escalated else appeal.reviewer_id
    _require(appeal.status in (Appeal.Status.IN_REVIEW, Appeal.Status.ESCALATED) and expected is not None,
             ERR_APPEAL_STATE.format(status=appeal.get_status_display().lower()))
    _require(reviewer.pk == expected, ERR_NOT_APPEAL_REVIEWER)
    _require(decision in Appeal.Decision.values, f"{decision!r} is not a decision; use upheld or changed")
    _require(bool(reason.strip()), ERR_REASON_REQUIRED)
    review = appeal.review
    changes = dict(new_outcomes or {})
    _require(decision == Appeal.Decision.UPHELD or bool(changes), ERR_APPEAL_NO_CHANGES)
    try:
        references = references_in(reason, list(citations))
    except CitationError as error:
        raise ReviewError(str(error)) from error
    assessments = {a.dimension: a for a in review.assessments.all()}
    for dimension, outcome in changes.items():
        _check_dimension(dimension)
        _check_outcome(outcome)
        current = assessments[dimension].outcome
        _require(OUTCOME_SCALE[outcome] >= OUTCOME_SCALE.get(current, 0), ERR_APPEAL_CANNOT_WORSEN.format(
            dimension=Dimension(dimension).label, current=Outcome(current).label if current else "not set",
            requested=Outcome(outcome).label))
    with transaction.atomic():
        cited = _include_all(review, references, actor=reviewer, via="appeal")
        for dimension, outcome in changes.items():
            assessment = assessments[dimension]
            if outcome == assessment.outcome:
                continue
            _apply_outcome(assessment, seen_version=assessment.version, outcome=outcome)
            change = CalibrationChange.objects.create(
                assessment=assessment, actor=reviewer, from_outcome=assessment.outcome, to_outcome=outcome,
                reason=reason.strip(), citations=cited, seen_version=assessment.version,
                source=CalibrationChange.Source.APPEAL)
            log_action("reviews.appeal.outcome_changed", reviewer, change, {
                "appeal": appeal.pk, "dimension": dimension,
                "outcome": {"from": assessment.outcome, "to": outcome}, "reason": reason.strip(), "citations": cited})
        now = timezone.now()
        if escalated:
            appeal.escalation_decision, appeal.escalation_decision_reason = decision, reason.strip()
            appeal.escalation_decided_at = now
            appeal.status = Appeal.Status.CLOSED
        else:
            appeal.decision, appeal.decision_reason, appeal.decided_at = decision, reason.strip(), now
            appeal.status = Appeal.Status.DECIDED
        appeal.save()
        log_action("reviews.appeal.decided", reviewer, appeal, {
            "stage": "escalation" if escalated else "second_review", "decision": decision, "reason": reason.strip(),
            "changes": changes, "citations": cited})
    return appeal


def escalate_appeal(appeal: Appeal, *, actor: Person, reason: str) -> Appeal:
    """The employee takes a decided appeal one step further; the escalation decision is final."""
    _require(access.is_self(actor, appeal.review.person), ERR_NOT_SELF)
    _require(appeal.status == Appeal.Status.DECIDED, ERR_APPEAL_STATE.format(
        status=appeal.get_status_display().lower()))
    _require(bool(reason.strip()), ERR_CONTEXT_REQUIRED)
    with transaction.atomic():
        appeal.status = Appeal.Status.ESCALATED
        appeal.escalation_reason = reason.strip()
        appeal.escalated_at = timezone.now()
        appeal.save(update_fields=["status", "escalation_reason", "escalated_at"])
        log_action("reviews.appeal.escalated", actor, appeal, {"reason": appeal.escalation_reason})
    return appeal


def close_appeal(appeal: Appeal, *, actor: Person) -> Appeal:
    """The employee accepts a decision without escalating; a people partner may close it when the window ends."""
    _require(access.is_self(actor, appeal.review.person) or access.can_run_cycles(actor), ERR_NOT_SELF)
    _require(appeal.status == Appeal.Status.DECIDED, ERR_APPEAL_STATE.format(
        status=appeal.get_status_display().lower()))
    with transaction.atomic():
        appeal.status = Appeal.Status.CLOSED
        appeal.save(update_fields=["status"])
        log_action("reviews.appeal.closed", actor, appeal, {})
    return appeal


def appeal_is_overdue(appeal: Appeal, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    if appeal.status == Appeal.Status.IN_REVIEW or appeal.status == Appeal.Status.REQUESTED:
        return today > appeal.due_on
    if appeal.status == Appeal.Status.ESCALATED and appeal.escalation_due_on:
        return today > appeal.escalation_due_on
    return False
