"""Every state change of a review cycle, one service function each (E1–E10, C10).

Each function checks its preconditions and raises ``ReviewError`` with one of the message
constants below, mutates inside one transaction, and writes one audit entry per change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from brightline import access
from brightline.audit.services import log_action
from brightline.feedback import services as feedback_services
from brightline.feedback.signals import packet_claims_changed
from brightline.insights.models import Signal
from brightline.people.models import Dimension, Person, Team
from brightline.policy import services as policy_services
from brightline.policy.models import AppealReviewers
from brightline.reviews.models import (
    OUTCOME_SCALE,
    PHASE_ORDER,
    Appeal,
    AppealMessage,
    CalibrationChange,
    ConflictOfInterest,
    DecisionMemo,
    DimensionAssessment,
    Outcome,
    PacketItem,
    PanelMember,
    Phase,
    PreVote,
    PromotionReadiness,
    Review,
    ReviewCycle,
    phase_index,
)
from brightline.reviews.packet_items import CitationError, Reference, references_in, resolve


class ReviewError(Exception):
    """A review action that the rules do not allow; the message says why."""


class ConcurrentEditError(ReviewError):
    """Someone else changed the same outcome since it was read; nothing was overwritten."""


ERR_NOT_PEOPLE_PARTNER = "only people partners can {action}"
ERR_QUOTA_REFUSED = ("Brightline calibrates standards, not outcomes: the setting {key!r} would impose a quota, "
                     "target percentage or forced curve and is refused (PRODUCT.md E3, principle 2)")
ERR_SCHEDULE_MISSING = "the schedule needs an end date for every phase; missing: {phases}"
ERR_SCHEDULE_ORDER = "phase {phase} ends on {date}, before the phase ahead of it ends ({previous})"
ERR_SCHEDULE_DATE = "{value!r} is not a date (YYYY-MM-DD) for phase {phase}"
ERR_EMPTY_POPULATION = "nobody in this population has a manager to assess them; no cycle was opened"
ERR_CYCLE_CLOSED = "the cycle is closed; nothing moves after closing"
ERR_PHASE_SKIP = "a cycle moves one phase at a time: from {current} the next phase is {next}, not {requested}"
ERR_ASSESSMENTS_MISSING = "calibration starts when every manager assessment is submitted; still open: {names}"
ERR_PANEL_TOO_SMALL = "calibration needs a panel of at least {minimum} people; this cycle has {count}"
ERR_PENDING_APPROVALS = "{count} calibration change(s) still wait for a second approver"
ERR_MEMOS_MISSING = "every review needs a decision memo before release; missing: {names}"
ERR_OPEN_APPEALS = "{count} appeal(s) are still open; a cycle closes only when every appeal is decided"
ERR_WRONG_PHASE = "this can be done only during the {phases} phase; the cycle is in {current}"
ERR_RELEASED_USE_APPEAL = ("the outcome has been released; after release it changes only through an appeal "
                           "decided by a second reviewer")
ERR_NOT_SELF = "only the person being reviewed can do this"
ERR_NOT_MANAGER = "only the manager recorded on this review ({manager}) can write its assessment"
ERR_ACCOMPLISHMENT_COUNT = "choose between 3 and 5 accomplishments; {count} chosen"
ERR_ALREADY_SUBMITTED = "the assessment was submitted on {at}; it now changes only in calibration"
ERR_UNKNOWN_DIMENSION = "{dimension!r} is not an evaluation dimension; the dimensions are {dimensions}"
ERR_UNKNOWN_OUTCOME = "{outcome!r} is not an outcome; the outcomes are needs_support, meets, exceeds"
ERR_TRAINING_INCOMPLETE = ("{manager} has not completed the manager readiness training (strong and weak narrative "
                           "examples, bias awareness); assessments can be submitted after it (E10)")
ERR_DIMENSION_INCOMPLETE = ("every dimension needs an outcome with at least {minimum} cited piece(s) of evidence "
                            "(this cycle's minimum); missing: {dims}")
ERR_UNKNOWN_SETTING = ("{names}: not a cycle setting; a cycle's settings are whether a submitted self review is "
                       "required before manager assessment, and the minimum cited evidence per dimension")
ERR_SETTING_BOOL = "whether a self review is required must be true or false, not {value!r}"
ERR_SETTING_MIN_EVIDENCE = "the minimum cited evidence per dimension must be a whole number from 1 to {maximum}"
ERR_SELF_REVIEWS_MISSING = ("this cycle requires a submitted self review before manager assessment; still open: "
                            "{names}")
ERR_READINESS_MISSING = "state promotion readiness against the next level before submitting"
ERR_READINESS_EVIDENCE = ("'ready for promotion' means next-level behaviours shown consistently, with enough "
                          "evidence: cite at least {minimum} items; {count} cited")
ERR_ADVERSE_EVIDENCE = ("'needs support' on {dimension} needs at least 2 cited evidence items that are not AI "
                        "signals; {count} cited (AI assists, humans decide: C10)")
ERR_ADVERSE_APPROVAL = ("'needs support' on {dims} needs a second approver (a people partner or someone above the "
                        "manager) before submission (C10)")
ERR_NO_ADVERSE = "there is no 'needs support' outcome to approve"
ERR_NOT_SECOND_APPROVER = "{name} cannot be the second approver: it must be someone other than the proposer and " \
                          "the person, who is a people partner or in the person's management chain"
ERR_PANEL_LOCKED = "the panel is fixed once calibration has started"
ERR_PANEL_NOT_ROTATED = ("panels rotate: {repeated} of {size} members also sat on the previous cycle's panel; "
                         "at most half may repeat (E8)")
ERR_NOT_PANELIST = "{name} is not on this cycle's calibration panel"
ERR_CONFLICTED = "{name} has a conflict of interest for {person} and takes no part in this decision"
ERR_VOTES_REVEALED = "all pre-votes are in and the spread is revealed; pre-votes can no longer change"
ERR_PRE_VOTES_OPEN = ("discussion starts once every eligible panelist has recorded a pre-vote ({voted} of "
                      "{eligible} so far); this keeps the first voice from anchoring the outcome")
ERR_REASON_REQUIRED = "write why: every change records its reason"
ERR_NO_CHANGE = "the outcome is already {outcome}"
ERR_DEPARTURE_NEEDS_EVIDENCE = ("this outcome departs from the manager's evidence-backed assessment ({proposed}); "
                                "the reason must cite evidence from the packet (E3)")
ERR_CITATION_NOT_IN_PACKET = "{reference} is not in this packet; a panel decides on the packet's evidence"
ERR_CHANGE_PENDING = "a change to this outcome is waiting for a second approver; approve or withdraw it first"
ERR_STALE_EDIT = ("{dimension} was changed by someone else (version {seen} → {current}) since you opened it; "
                  "nothing was overwritten; reload and decide again")
ERR_NOT_AWAITING = "this change is not waiting for approval"
ERR_ACCOUNTABLE = "the person finally accountable must be an active person other than {person}"
ERR_ALREADY_ACKNOWLEDGED = "already acknowledged on {at}"
ERR_APPEAL_WINDOW_CLOSED = "the appeal window closed on {date}"
ERR_APPEAL_THREAD_CLOSED = "this appeal is closed; its messages are kept as they are and no new message can be added"
ERR_APPEAL_OPEN = "an appeal for this review is already open"
ERR_CONTEXT_REQUIRED = "add the context the reviewers should weigh"
ERR_REVIEWER_IN_CHAIN = ("{name} is the person or in their management chain; a second review must come from outside "
                         "it (E7)")
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

QUOTA_WORDS = ("quota", "distribution", "target_percent", "target_percentage", "curve", "forced_rank",
               "forced_ranking", "stack_rank", "bell", "percentile_target", "rank_and_yank", "cap_on", "max_percent",
               "min_percent", "bottom_percent", "top_percent")
PERCENTAGE = re.compile(r"\d+(\.\d+)?\s*%")
MIN_PANEL_SIZE = 2
MIN_ADVERSE_EVIDENCE = 2
MIN_READINESS_EVIDENCE = 2
APPEAL_DECISION_DAYS = 14
SELF_REVIEW_ACCOMPLISHMENTS = (3, 5)
DIMENSIONS = tuple(Dimension.values)
OUTCOMES = tuple(Outcome.values)


# ---------------------------------------------------------------------------------------- helpers


def _check_packet_evidence(review: Review, *, actor: Person) -> None:
    """Tell the apps that check packets (insights: missing evidence, C5) that this draft packet's claims
    changed, inside the save's transaction so a failed save leaves no new check."""
    packet_claims_changed.send(sender=Review, review_id=review.pk, actor=actor)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ReviewError(message)


def _require_phase(cycle: ReviewCycle, *phases: str) -> None:
    # Read the phase from the database: an object loaded earlier may predate a phase change.
    cycle.phase = ReviewCycle.objects.filter(pk=cycle.pk).values_list("phase", flat=True).get()
    if cycle.phase in phases:
        return
    if phase_index(cycle.phase) >= phase_index(Phase.RELEASE) and Phase.RELEASE not in phases \
            and Phase.ACKNOWLEDGEMENT not in phases:
        raise ReviewError(ERR_RELEASED_USE_APPEAL)
    raise ReviewError(ERR_WRONG_PHASE.format(phases=" or ".join(phases), current=cycle.phase))


def _normalise_key(key: object) -> str:
    return str(key).strip().lower().replace("-", "_").replace(" ", "_")


def find_quota(config: Any, path: str = "") -> str | None:
    """The first key in ``config`` (walked recursively) that would impose a quota or a curve, else ``None``.

    Also catches a mapping from outcomes to numbers (``{"exceeds": 0.2}``): a target share under another name.
    """
    if isinstance(config, Mapping):
        keys = {_normalise_key(key) for key in config}
        numeric = [value for value in config.values() if isinstance(value, int | float) and not isinstance(value, bool)]
        if keys & set(OUTCOMES) and numeric:
            return path or "(outcome shares)"
        for key, value in config.items():
            name = _normalise_key(key)
            here = f"{path}.{key}" if path else str(key)
            if any(word in name for word in QUOTA_WORDS) or _names_a_share(name, value):
                return here
            found = find_quota(value, here)
            if found:
                return found
    elif isinstance(config, list | tuple):
        for index, value in enumerate(config):
            found = find_quota(value, f"{path}[{index}]")
            if found:
                return found
    return None


def _names_a_share(name: str, value: Any) -> bool:
    """A key that caps or targets an outcome (``max_exceeds``), the top or bottom of a ranking, or a percentage."""
    parts = set(name.split("_"))
    if any(outcome in name for outcome in OUTCOMES) or parts & {"top", "bottom", "rank", "ranking", "percent"}:
        return True
    return isinstance(value, str) and PERCENTAGE.fullmatch(value.strip()) is not None


def refuse_quota(config: Any) -> None:
    key = find_quota(config)
    if key is not None:
        raise ReviewError(ERR_QUOTA_REFUSED.format(key=key))


@dataclass(frozen=True)
class CycleSettings:
    """The settings of one cycle, each read by a rule: none of them can say how many people get an outcome."""

    self_review_required: bool = False  # advance_cycle: manager assessment waits for every self review
    min_evidence_per_dimension: int = 1  # submit_assessment: cited items needed on each dimension


CYCLE_SETTINGS = tuple(CycleSettings.__dataclass_fields__)
MAX_EVIDENCE_PER_DIMENSION = 5


def parse_cycle_settings(values: Mapping[str, Any] | None) -> CycleSettings:
    """Typed settings from a mapping; a quota-like key is refused first, with the reason, then any unknown key."""
    values = dict(values or {})
    refuse_quota(values)
    unknown = sorted(str(name) for name in values if name not in CYCLE_SETTINGS)
    _require(not unknown, ERR_UNKNOWN_SETTING.format(names=", ".join(unknown)))
    required = values.get("self_review_required", False)
    _require(isinstance(required, bool), ERR_SETTING_BOOL.format(value=required))
    minimum = values.get("min_evidence_per_dimension", 1)
    _require(isinstance(minimum, int) and not isinstance(minimum, bool) and 1 <= minimum <= MAX_EVIDENCE_PER_DIMENSION,
             ERR_SETTING_MIN_EVIDENCE.format(maximum=MAX_EVIDENCE_PER_DIMENSION))
    return CycleSettings(self_review_required=required, min_evidence_per_dimension=minimum)


def _parse_schedule(schedule: Mapping[str, Any]) -> dict[str, str]:
    needed = [phase for phase in PHASE_ORDER if phase != Phase.CLOSED]
    missing = [phase for phase in needed if not schedule.get(phase)]
    _require(not missing, ERR_SCHEDULE_MISSING.format(phases=", ".join(missing)))
    parsed: dict[str, dt.date] = {}
    for phase in needed:
        value = schedule[phase]
        if isinstance(value, dt.date):
            parsed[phase] = value
            continue
        try:
            parsed[phase] = dt.date.fromisoformat(str(value))
        except ValueError as error:
            raise ReviewError(ERR_SCHEDULE_DATE.format(value=value, phase=phase)) from error
    for previous, phase in zip(needed, needed[1:], strict=False):
        _require(parsed[phase] >= parsed[previous],
                 ERR_SCHEDULE_ORDER.format(phase=phase, date=parsed[phase], previous=parsed[previous]))
    return {phase: day.isoformat() for phase, day in parsed.items()}


def manager_training_complete(person: Person) -> bool:
    """E10 gate: has ``person`` passed the current manager readiness module (answered by the feedback app)."""
    return feedback_services.manager_training_complete(person)


def adverse_basis_count(references: Iterable[Reference]) -> int:
    """How many distinct cited items are not AI signals (C10)."""
    return len({reference for reference in references if not reference.is_ai})


def _references(values: Iterable[str]) -> list[Reference]:
    return references_in("", list(values))


def _include(review: Review, reference: Reference, *, actor: Person, via: str, note: str = "") -> PacketItem:
    """Resolve and include one reference; logged once, when it first enters the packet."""
    try:
        resolve(reference, person=review.person, viewer=actor)
    except CitationError as error:
        raise ReviewError(str(error)) from error
    item, created = PacketItem.objects.get_or_create(
        review=review, kind=reference.kind, object_id=reference.object_id,
        defaults={"included_by": actor, "via": via, "note": note},
    )
    if created:
        log_action("reviews.packet.item_included", actor, item,
                   {"review": review.pk, "reference": str(reference), "via": via})
    return item


def _include_all(review: Review, references: Iterable[Reference], *, actor: Person, via: str) -> list[str]:
    return [_include(review, reference, actor=actor, via=via).reference for reference in references]


# ------------------------------------------------------------------------------------------ cycles


def _population(teams: Iterable[Team] | None) -> list[Person]:
    people = Person.objects.filter(is_active=True, manager__isnull=False).select_related("team", "level", "manager")
    team_ids = [team.pk for team in teams or ()]
    if team_ids:
        people = people.filter(team_id__in=team_ids)
    return list(people)


def open_cycle(*, actor: Person, name: str, schedule: Mapping[str, Any], teams: Iterable[Team] | None = None,
               settings: Mapping[str, Any] | CycleSettings | None = None) -> ReviewCycle:
    """Open a cycle in the evidence phase for ``teams`` (or every active person with a manager)."""
    _require(access.can_run_cycles(actor), ERR_NOT_PEOPLE_PARTNER.format(action="open a review cycle"))
    typed = settings if isinstance(settings, CycleSettings) else parse_cycle_settings(settings)
    parsed = _parse_schedule(schedule)
    team_list = list(teams or ())
    people = _population(team_list)
    _require(bool(people), ERR_EMPTY_POPULATION)
    with transaction.atomic():
        cycle = ReviewCycle.objects.create(name=name.strip() or "Review cycle", schedule=parsed,
                                           self_review_required=typed.self_review_required,
                                           min_evidence_per_dimension=typed.min_evidence_per_dimension,
                                           opened_by=actor, phase_changed_at=timezone.now())
        cycle.teams.set(team_list)
        for person in people:
            review = Review.objects.create(
                cycle=cycle, person=person, manager=person.manager, team=person.team, level=person.level,
                workload_class=person.team.workload_class if person.team else "")
            DimensionAssessment.objects.bulk_create(
                [DimensionAssessment(review=review, dimension=dimension) for dimension in DIMENSIONS])
        log_action("reviews.cycle.opened", actor, cycle, {
            "name": cycle.name, "schedule": parsed, "teams": [team.slug for team in team_list] or "all",
            "people": len(people), "settings": {name: getattr(typed, name) for name in CYCLE_SETTINGS}})
    return cycle


def next_phase(cycle: ReviewCycle) -> str | None:
    index = phase_index(cycle.phase)
    return PHASE_ORDER[index + 1] if index + 1 < len(PHASE_ORDER) else None


def _names(reviews: Iterable[Review], limit: int = 5) -> str:
    names = [review.person.name for review in reviews]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def advance_cycle(cycle: ReviewCycle, *, actor: Person, to_phase: str | None = None) -> ReviewCycle:
    """Move the cycle to its next phase, never further; each move has its own preconditions."""
    _require(access.can_run_cycles(actor), ERR_NOT_PEOPLE_PARTNER.format(action="advance a review cycle"))
    with transaction.atomic():
        cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
        target = next_phase(cycle)
        _require(target is not None, ERR_CYCLE_CLOSED)
        assert target is not None
        if to_phase is not None and to_phase != target:
            raise ReviewError(ERR_PHASE_SKIP.format(current=cycle.phase, next=target, requested=to_phase))
        reviews = cycle.reviews.select_related("person", "manager")
        conflicts = 0
        if target == Phase.MANAGER_ASSESSMENT and cycle.self_review_required:
            open_self = [review for review in reviews if review.self_review_submitted_at is None]
            _require(not open_self, ERR_SELF_REVIEWS_MISSING.format(names=_names(open_self)))
        elif target == Phase.CALIBRATION:
            open_reviews = [review for review in reviews if review.assessment_submitted_at is None]
            _require(not open_reviews, ERR_ASSESSMENTS_MISSING.format(names=_names(open_reviews)))
            panel_size = cycle.panel_members.count()
            _require(panel_size >= MIN_PANEL_SIZE, ERR_PANEL_TOO_SMALL.format(minimum=MIN_PANEL_SIZE,
                                                                              count=panel_size))
            conflicts = _declare_conflicts(cycle)
        elif target == Phase.DECISION_MEMO:
            pending = CalibrationChange.objects.filter(assessment__review__cycle=cycle,
                                                       status=CalibrationChange.Status.AWAITING_APPROVAL).count()
            _require(pending == 0, ERR_PENDING_APPROVALS.format(count=pending))
        elif target == Phase.RELEASE:
            missing = [review for review in reviews if not DecisionMemo.objects.filter(review=review).exists()]
            _require(not missing, ERR_MEMOS_MISSING.format(names=_names(missing)))
        elif target == Phase.CLOSED:
            open_count = Appeal.objects.filter(review__cycle=cycle, status__in=OPEN_APPEAL_STATES).count()
            _require(open_count == 0, ERR_OPEN_APPEALS.format(count=open_count))
        previous = cycle.phase
        cycle.phase = target
        cycle.phase_changed_at = timezone.now()
        if target == Phase.CLOSED:
            cycle.closed_at = cycle.phase_changed_at
        cycle.save(update_fields=["phase", "phase_changed_at", "closed_at"])
        data: dict[str, Any] = {"from": previous, "to": target}
        if target == Phase.CALIBRATION:
            data["conflicts_declared"] = conflicts
        log_action("reviews.cycle.advanced", actor, cycle, data)
    return cycle


# ------------------------------------------------------------------------------------- self review


def annotate_evidence(review: Review, *, actor: Person, reference: str, note: str) -> PacketItem:
    """The employee includes one of their items and says what it shows (B6)."""
    _require(access.is_self(actor, review.person), ERR_NOT_SELF)
    _require_phase(review.cycle, Phase.EVIDENCE, Phase.SELF_REVIEW)
    parsed = _references([reference])[0]
    with transaction.atomic():
        item = _include(review, parsed, actor=actor, via="annotation")
        item.note = note.strip()
        item.save(update_fields=["note"])
        log_action("reviews.packet.item_annotated", actor, item, {"review": review.pk, "reference": item.reference})
    return item


def select_accomplishments(review: Review, *, actor: Person, accomplishment_ids: Iterable[str | int]) -> list[str]:
    """The employee chooses the 3–5 accomplishments their packet shows (B4)."""
    _require(access.is_self(actor, review.person), ERR_NOT_SELF)
    _require_phase(review.cycle, Phase.SELF_REVIEW)
    references = _references([f"accomplishment:{value}" for value in accomplishment_ids])
    low, high = SELF_REVIEW_ACCOMPLISHMENTS
    _require(low <= len(references) <= high, ERR_ACCOMPLISHMENT_COUNT.format(count=len(references)))
    with transaction.atomic():
        chosen = _include_all(review, references, actor=actor, via="self_review")
        review.packet_items.filter(kind=PacketItem.Kind.ACCOMPLISHMENT).update(selected_accomplishment=False)
        review.packet_items.filter(kind=PacketItem.Kind.ACCOMPLISHMENT,
                                   object_id__in=[r.object_id for r in references]).update(selected_accomplishment=True)
        log_action("reviews.self_review.accomplishments_selected", actor, review, {"accomplishments": chosen})
        _check_packet_evidence(review, actor=actor)
    return chosen


def submit_self_review(review: Review, *, actor: Person, context: str) -> Review:
    _require(access.is_self(actor, review.person), ERR_NOT_SELF)
    _require_phase(review.cycle, Phase.SELF_REVIEW)
    selected = review.packet_items.filter(kind=PacketItem.Kind.ACCOMPLISHMENT, selected_accomplishment=True).count()
    low, high = SELF_REVIEW_ACCOMPLISHMENTS
    _require(low <= selected <= high, ERR_ACCOMPLISHMENT_COUNT.format(count=selected))
    with transaction.atomic():
        review.self_review_context = context.strip()
        review.self_review_submitted_at = timezone.now()
        review.save(update_fields=["self_review_context", "self_review_submitted_at"])
        log_action("reviews.self_review.submitted", actor, review, {"accomplishments": selected})
        _check_packet_evidence(review, actor=actor)
    return review


# ------------------------------------------------------------------------------ manager assessment


def _check_manager_can_edit(review: Review, actor: Person) -> None:
    manager_name = review.manager.name if review.manager else "nobody"
    _require(access.can_assess(actor, review), ERR_NOT_MANAGER.format(manager=manager_name))
    _require_phase(review.cycle, Phase.MANAGER_ASSESSMENT)
    if review.assessment_submitted_at is not None:
        raise ReviewError(ERR_ALREADY_SUBMITTED.format(at=review.assessment_submitted_at.date()))


def _check_dimension(dimension: str) -> None:
    _require(dimension in DIMENSIONS, ERR_UNKNOWN_DIMENSION.format(dimension=dimension,
                                                                   dimensions=", ".join(DIMENSIONS)))


def _check_outcome(outcome: str) -> None:
    _require(outcome in OUTCOMES, ERR_UNKNOWN_OUTCOME.format(outcome=outcome))


def save_assessment(review: Review, *, actor: Person, dimension: str, outcome: str, rationale: str,
                    citations: Iterable[str] = ()) -> DimensionAssessment:
    """The manager's proposed outcome on one dimension, with its cited evidence (D4).

    Citing an item is its explicit inclusion into the packet (principle 7): each is logged.
    """
    _check_manager_can_edit(review, actor)
    _check_dimension(dimension)
    _check_outcome(outcome)
    try:
        references = references_in(rationale, list(citations))
    except CitationError as error:
        raise ReviewError(str(error)) from error
    with transaction.atomic():
        cited = _include_all(review, references, actor=actor, via="assessment")
        assessment = DimensionAssessment.objects.select_for_update().get(review=review, dimension=dimension)
        previous = assessment.proposed_outcome
        assessment.proposed_outcome = outcome
        assessment.outcome = outcome
        assessment.rationale = rationale.strip()
        assessment.citations = cited
        assessment.version += 1
        assessment.save()
        log_action("reviews.assessment.saved", actor, assessment, {
            "dimension": dimension, "outcome": {"from": previous, "to": outcome}, "citations": cited})
        _check_packet_evidence(review, actor=actor)
    return assessment


@dataclass(frozen=True)
class ManagerNarrative:
    """The manager's interpretation beside the per-dimension outcomes."""

    summary: str = ""
    cross_functional_impact: str = ""
    scope_growth: str = ""
    promotion_readiness: str = PromotionReadiness.NOT_ASSESSED
    promotion_rationale: str = ""
    promotion_citations: tuple[str, ...] = field(default_factory=tuple)


def save_manager_narrative(review: Review, *, actor: Person, narrative: ManagerNarrative) -> Review:
    _check_manager_can_edit(review, actor)
    _require(narrative.promotion_readiness in PromotionReadiness.values,
             f"{narrative.promotion_readiness!r} is not a promotion readiness")
    try:
        texts = [narrative.summary, narrative.cross_functional_impact, narrative.scope_growth]
        references = references_in(" ".join(texts))
        readiness_refs = references_in(narrative.promotion_rationale, list(narrative.promotion_citations))
    except CitationError as error:
        raise ReviewError(str(error)) from error
    if narrative.promotion_readiness == PromotionReadiness.READY:
        _require(len(readiness_refs) >= MIN_READINESS_EVIDENCE, ERR_READINESS_EVIDENCE.format(
            minimum=MIN_READINESS_EVIDENCE, count=len(readiness_refs)))
    with transaction.atomic():
        _include_all(review, references, actor=actor, via="assessment")
        readiness_cited = _include_all(review, readiness_refs, actor=actor, via="assessment")
        review.manager_summary = narrative.summary.strip()
        review.cross_functional_impact = narrative.cross_functional_impact.strip()
        review.scope_growth = narrative.scope_growth.strip()
        previous = review.promotion_readiness
        review.promotion_readiness = narrative.promotion_readiness
        review.promotion_rationale = narrative.promotion_rationale.strip()
        review.promotion_citations = readiness_cited
        review.save()
        log_action("reviews.assessment.narrative_saved", actor, review, {
            "promotion_readiness": {"from": previous, "to": review.promotion_readiness},
            "promotion_citations": readiness_cited})
        _check_packet_evidence(review, actor=actor)
    return review


def _adverse_dimensions(review: Review) -> list[DimensionAssessment]:
    return list(review.assessments.filter(proposed_outcome=Outcome.NEEDS_SUPPORT).order_by("dimension"))


def _check_adverse_evidence(dimension: str, citations: Iterable[str]) -> None:
    count = adverse_basis_count(_references(citations))
    _require(count >= MIN_ADVERSE_EVIDENCE, ERR_ADVERSE_EVIDENCE.format(dimension=dimension, count=count))


def approve_adverse_assessment(review: Review, *, approver: Person, reason: str) -> Review:
    """A second person approves a proposed *needs support* (C10) after checking its evidence."""
    _require_phase(review.cycle, Phase.MANAGER_ASSESSMENT)
    _require(access.can_approve_adverse_outcome(approver, review, review.manager),
             ERR_NOT_SECOND_APPROVER.format(name=approver.name))
    _require(bool(reason.strip()), ERR_REASON_REQUIRED)
    adverse = _adverse_dimensions(review)
    _require(bool(adverse), ERR_NO_ADVERSE)
    for assessment in adverse:
        _check_adverse_evidence(assessment.dimension, assessment.citations)
    with transaction.atomic():
        review.adverse_approved_by = approver
        review.adverse_approved_at = timezone.now()
        review.adverse_approved_dimensions = [assessment.dimension for assessment in adverse]
        review.save(update_fields=["adverse_approved_by", "adverse_approved_at", "adverse_approved_dimensions"])
        log_action("reviews.assessment.adverse_approved", approver, review, {
            "dimensions": review.adverse_approved_dimensions, "reason": reason.strip()})
    return review


def submit_assessment(review: Review, *, actor: Person) -> Review:
    """Submit the assessment: trained manager (E10), every dimension cited (D4), adverse outcomes guarded (C10)."""
    _check_manager_can_edit(review, actor)
    _require(manager_training_complete(actor), ERR_TRAINING_INCOMPLETE.format(manager=actor.name))
    assessments = list(review.assessments.all())
    minimum = review.cycle.min_evidence_per_dimension
    incomplete = [a.dimension for a in assessments if not a.proposed_outcome or len(a.citations) < minimum]
    _require(not incomplete, ERR_DIMENSION_INCOMPLETE.format(minimum=minimum, dims=", ".join(incomplete)))
    has_next_level = review.level is not None and review.level.next_level() is not None
    if has_next_level:
        _require(review.promotion_readiness != PromotionReadiness.NOT_ASSESSED, ERR_READINESS_MISSING)
    adverse = [a for a in assessments if a.proposed_outcome == Outcome.NEEDS_SUPPORT]
    for assessment in adverse:
        _check_adverse_evidence(assessment.dimension, assessment.citations)
    adverse_dims = sorted(a.dimension for a in adverse)
    if adverse_dims:
        _require(review.adverse_approved_by_id is not None
                 and sorted(review.adverse_approved_dimensions) == adverse_dims,
                 ERR_ADVERSE_APPROVAL.format(dims=", ".join(adverse_dims)))
    with transaction.atomic():
        review.assessment_submitted_at = timezone.now()
        review.save(update_fields=["assessment_submitted_at"])
        log_action("reviews.assessment.submitted", actor, review, {
            "outcomes": {a.dimension: a.proposed_outcome for a in assessments},
            "promotion_readiness": review.promotion_readiness,
            "adverse_approved_by": review.adverse_approved_by_id})
    return review


# ------------------------------------------------------------------------------------- calibration


def _previous_panel(cycle: ReviewCycle) -> set[int]:
    previous = (ReviewCycle.objects.filter(opened_at__lt=cycle.opened_at, panel_members__isnull=False)
                .exclude(pk=cycle.pk).order_by("-opened_at", "-id").first())
    if previous is None:
        return set()
    return set(previous.panel_members.values_list("person_id", flat=True))


def set_panel(cycle: ReviewCycle, *, actor: Person, members: Iterable[Person]) -> list[PanelMember]:
    """Seat the calibration panel; at most half may repeat from the previous cycle's panel (rotation, E8)."""
    _require(access.can_run_cycles(actor), ERR_NOT_PEOPLE_PARTNER.format(action="set a calibration panel"))
    _require(phase_index(cycle.phase) < phase_index(Phase.CALIBRATION), ERR_PANEL_LOCKED)
    people = list({person.pk: person for person in members}.values())
    _require(len(people) >= MIN_PANEL_SIZE, ERR_PANEL_TOO_SMALL.format(minimum=MIN_PANEL_SIZE, count=len(people)))
    repeated = _previous_panel(cycle) & {person.pk for person in people}
    _require(len(repeated) * 2 <= len(people),
             ERR_PANEL_NOT_ROTATED.format(repeated=len(repeated), size=len(people)))
    with transaction.atomic():
        cycle.panel_members.all().delete()
        seats = [PanelMember.objects.create(cycle=cycle, person=person, added_by=actor) for person in people]
        log_action("reviews.panel.set", actor, cycle, {
            "members": sorted(person.pk for person in people), "repeated_from_previous_cycle": sorted(repeated)})
    return seats


def _declare_conflicts(cycle: ReviewCycle) -> int:
    """Declare every management-chain conflict when calibration starts; the panelist is excluded."""
    members = [seat.person for seat in cycle.panel_members.select_related("person")]
    count = 0
    for review in cycle.reviews.select_related("person"):
        chain = {manager.pk for manager in review.person.management_chain()}
        for member in members:
            reason = None
            if member.pk == review.person_id:
                reason = ConflictOfInterest.Reason.SELF
            elif member.pk in chain or member.pk == review.manager_id:
                reason = ConflictOfInterest.Reason.MANAGEMENT_CHAIN
            if reason is None:
                continue
            conflict, created = ConflictOfInterest.objects.get_or_create(review=review, panelist=member,
                                                                         defaults={"reason": reason})
            if created:
                count += 1
                log_action("reviews.conflict.declared", None, conflict, {
                    "review": review.pk, "panelist": member.pk, "reason": reason}, actor_label="system")
    return count


def declare_conflict(review: Review, *, panelist: Person, note: str) -> ConflictOfInterest:
    """A panelist declares a conflict the chain does not show (a friend, a former report, …)."""
    _require(access.is_panelist(panelist, review.cycle), ERR_NOT_PANELIST.format(name=panelist.name))
    _require(bool(note.strip()), ERR_REASON_REQUIRED)
    with transaction.atomic():
        conflict, _ = ConflictOfInterest.objects.get_or_create(
            review=review, panelist=panelist,
            defaults={"reason": ConflictOfInterest.Reason.DECLARED, "note": note.strip()})
        review.pre_votes.filter(panelist=panelist).delete()
        log_action("reviews.conflict.declared", panelist, conflict, {
            "review": review.pk, "panelist": panelist.pk, "reason": conflict.reason, "note": note.strip()})
    return conflict


def eligible_panelists(review: Review) -> list[Person]:
    seats = review.cycle.panel_members.select_related("person")
    return [seat.person for seat in seats if not access.has_conflict_of_interest(seat.person, review)]


def _check_eligible(review: Review, person: Person) -> None:
    _require(access.is_panelist(person, review.cycle), ERR_NOT_PANELIST.format(name=person.name))
    _require(not access.has_conflict_of_interest(person, review),
             ERR_CONFLICTED.format(name=person.name, person=review.person.name))


@dataclass(frozen=True)
class PreVoteSpread:
    """What a viewer may see of the pre-votes: the spread only once every eligible panelist has voted."""

    eligible: int
    voted: int
    complete: bool
    own_votes: dict[str, str]
    # {dimension: {outcome: count}}; empty until complete.
    spread: dict[str, dict[str, int]]
    votes: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"eligible": self.eligible, "voted": self.voted, "complete": self.complete,
                "own_votes": self.own_votes, "spread": self.spread, "votes": self.votes}


def _voters(review: Review, eligible: list[Person]) -> set[int]:
    counts = Counter(review.pre_votes.filter(panelist__in=eligible).values_list("panelist_id", flat=True))
    return {panelist for panelist, count in counts.items() if count == len(DIMENSIONS)}


def pre_votes_complete(review: Review) -> bool:
    eligible = eligible_panelists(review)
    return bool(eligible) and len(_voters(review, eligible)) == len(eligible)


@dataclass(frozen=True)
class PanelistLabels:
    """How the viewer sees who cast each pre-vote: names, or "Panelist 1, 2, 3" for the employee when the
    policy hides names after release. The numbers follow a per-review hash, not the panelists' order."""

    anonymised: bool
    by_id: dict[int, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)

    def of(self, panelist: Person) -> str:
        return self.by_id.get(panelist.pk, ANONYMOUS_PANELIST) if self.anonymised else panelist.name

    def of_name(self, name: str) -> str:
        return self.by_name.get(name, ANONYMOUS_PANELIST) if self.anonymised else name


ANONYMOUS_PANELIST = "A panelist"


def panelist_labels(review: Review, viewer: Person | None) -> PanelistLabels:
    """Names for everyone but the reviewed employee, who sees them only if the policy says so."""
    from brightline.policy.services import employee_sees_prevote_names

    if viewer is None or viewer.pk != review.person_id or employee_sees_prevote_names():
        return PanelistLabels(anonymised=False)
    panelists = sorted(Person.objects.filter(pk__in=review.pre_votes.values("panelist")),
                       key=lambda person: hashlib.sha256(f"{review.pk}:{person.pk}".encode()).hexdigest())
    labels = {person.pk: f"Panelist {number}" for number, person in enumerate(panelists, start=1)}
    return PanelistLabels(True, labels, {person.name: labels[person.pk] for person in panelists})


def memo_sections_for(review: Review, sections: Mapping[str, Any], viewer: Person | None) -> dict[str, Any]:
    """The stored memo sections as ``viewer`` may read them: dissent names follow :func:`panelist_labels`."""
    labels = panelist_labels(review, viewer)
    if not labels.anonymised:
        return dict(sections)
    dissent = [{**row, "panelist": labels.of_name(str(row.get("panelist", "")))}
               for row in sections.get("dissent", [])]
    return {**sections, "dissent": sorted(dissent, key=lambda row: (row["panelist"], str(row.get("dimension"))))}


def pre_vote_spread(review: Review, *, viewer: Person | None) -> PreVoteSpread:
    eligible = eligible_panelists(review)
    voters = _voters(review, eligible)
    complete = bool(eligible) and len(voters) == len(eligible)
    own = {vote.dimension: vote.outcome for vote in review.pre_votes.filter(panelist=viewer)} if viewer else {}
    spread: dict[str, dict[str, int]] = {}
    votes: list[dict[str, Any]] = []
    if complete:
        labels = panelist_labels(review, viewer)
        for vote in review.pre_votes.filter(panelist__in=eligible).select_related("panelist"):
            spread.setdefault(vote.dimension, dict.fromkeys(OUTCOMES, 0))[vote.outcome] += 1
            votes.append({"panelist": labels.of(vote.panelist), "dimension": vote.dimension,
                          "outcome": vote.outcome, "note": vote.note})
        if labels.anonymised:
            votes.sort(key=lambda vote: (vote["panelist"], vote["dimension"]))
    return PreVoteSpread(len(eligible), len(voters), complete, own, spread, votes)


def record_pre_vote(review: Review, *, panelist: Person, dimension: str, outcome: str, note: str = "") -> PreVote:
    """An independent assessment before discussion; others' votes stay hidden until everyone has voted."""
    _require_phase(review.cycle, Phase.CALIBRATION)
    _check_eligible(review, panelist)
    _check_dimension(dimension)
    _check_outcome(outcome)
    _require(not pre_votes_complete(review), ERR_VOTES_REVEALED)
    with transaction.atomic():
        vote, _ = PreVote.objects.update_or_create(review=review, panelist=panelist, dimension=dimension,
                                                   defaults={"outcome": outcome, "note": note.strip()})
        # The outcome itself is not in the audit data: the audit trail must not reveal the spread early.
        log_action("reviews.prevote.recorded", panelist, vote, {"review": review.pk, "dimension": dimension})
    return vote


def _apply_outcome(assessment: DimensionAssessment, *, seen_version: int, outcome: str | None) -> None:
    """Optimistic lock: update only if nobody changed the assessment since ``seen_version``."""
    changes: dict[str, Any] = {"version": F("version") + 1, "updated_at": timezone.now()}
    if outcome is not None:
        changes["outcome"] = outcome
    updated = DimensionAssessment.objects.filter(pk=assessment.pk, version=seen_version).update(**changes)
    if updated == 0:
        current = DimensionAssessment.objects.filter(pk=assessment.pk).values_list("version", flat=True).first()
        raise ConcurrentEditError(ERR_STALE_EDIT.format(dimension=assessment.dimension, seen=seen_version,
                                                        current=current))


def _packet_references(review: Review, references: list[Reference]) -> list[str]:
    in_packet = {item.reference for item in review.packet_items.all()}
    for reference in references:
        _require(str(reference) in in_packet, ERR_CITATION_NOT_IN_PACKET.format(reference=reference))
    return [str(reference) for reference in references]


def record_calibration_change(assessment: DimensionAssessment, *, actor: Person, to_outcome: str, reason: str,
                              seen_version: int, citations: Iterable[str] = ()) -> CalibrationChange:
    """Change a calibrated outcome: who, when, from → to, why and the evidence cited (E3, E4).

    A change to *needs support* waits for a second approver (C10). Concurrent edits: the
    change applies only if the assessment is still at ``seen_version``.
    """
    review = assessment.review
    _require_phase(review.cycle, Phase.CALIBRATION)
    _check_eligible(review, actor)
    _check_outcome(to_outcome)
    if not pre_votes_complete(review):
        spread = pre_vote_spread(review, viewer=None)
        raise ReviewError(ERR_PRE_VOTES_OPEN.format(voted=spread.voted, eligible=spread.eligible))
    _require(bool(reason.strip()), ERR_REASON_REQUIRED)
    try:
        references = references_in(reason, list(citations))
    except CitationError as error:
        raise ReviewError(str(error)) from error
    cited = _packet_references(review, references)
    _require(not assessment.changes.filter(status=CalibrationChange.Status.AWAITING_APPROVAL).exists(),
             ERR_CHANGE_PENDING)
    _require(to_outcome != assessment.outcome, ERR_NO_CHANGE.format(outcome=assessment.outcome))
    if to_outcome != assessment.proposed_outcome:
        _require(bool(cited), ERR_DEPARTURE_NEEDS_EVIDENCE.format(proposed=assessment.proposed_outcome))
    adverse = to_outcome == Outcome.NEEDS_SUPPORT
    if adverse:
        _check_adverse_evidence(assessment.dimension, cited)
    with transaction.atomic():
        _apply_outcome(assessment, seen_version=seen_version, outcome=None if adverse else to_outcome)
        change = CalibrationChange.objects.create(
            assessment=assessment, actor=actor, from_outcome=assessment.outcome, to_outcome=to_outcome,
            reason=reason.strip(), citations=cited, seen_version=seen_version,
            status=CalibrationChange.Status.AWAITING_APPROVAL if adverse else CalibrationChange.Status.APPLIED)
        log_action("reviews.calibration.changed", actor, change, {
            "review": review.pk, "dimension": assessment.dimension,
            "outcome": {"from": assessment.outcome, "to": to_outcome}, "reason": change.reason,
            "citations": cited, "status": change.status})
    assessment.refresh_from_db()
    return change


def approve_calibration_change(change: CalibrationChange, *, approver: Person) -> CalibrationChange:
    """The second approver of a change to *needs support* (C10): another eligible panelist or a people partner."""
    review = change.assessment.review
    _require_phase(review.cycle, Phase.CALIBRATION)
    _require(change.status == CalibrationChange.Status.AWAITING_APPROVAL, ERR_NOT_AWAITING)
    eligible = access.can_decide_in_calibration(approver, review) or (
        access.is_people_partner(approver) and not access.has_conflict_of_interest(approver, review))
    _require(eligible and approver.pk != change.actor_id, ERR_NOT_SECOND_APPROVER.format(name=approver.name))
    with transaction.atomic():
        assessment = DimensionAssessment.objects.get(pk=change.assessment_id)
        _apply_outcome(assessment, seen_version=assessment.version, outcome=change.to_outcome)
        change.status = CalibrationChange.Status.APPLIED
        change.approved_by = approver
        change.approved_at = timezone.now()
        change.save(update_fields=["status", "approved_by", "approved_at"])
        log_action("reviews.calibration.change_approved", approver, change, {
            "review": review.pk, "dimension": assessment.dimension,
            "outcome": {"from": change.from_outcome, "to": change.to_outcome}})
    return change


def outcome_distribution(cycle: ReviewCycle) -> dict[str, dict[str, int]]:
    """Counts per dimension and outcome, for information only: never a target (E3)."""
    table = {dimension: dict.fromkeys(OUTCOMES, 0) for dimension in DIMENSIONS}
    rows = DimensionAssessment.objects.filter(review__cycle=cycle).exclude(outcome="").values_list("dimension",
                                                                                                  "outcome")
    for dimension, outcome in rows:
        table[dimension][outcome] += 1
    return table


@dataclass(frozen=True)
class CalibrationFlag:
    kind: str
    message: str
    review_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "review_id": self.review_id}


FLAG_NO_EVIDENCE = "{person}: {dimension} has an outcome without cited evidence"
FLAG_MANAGER_LEAN = ("calibration has moved {manager}'s proposals {direction} in {moved} of {n} cases across cycles "
                     "(p = {p:.3f}): a possible {lean} pattern to discuss with them, not a verdict")


def calibration_flags(cycle: ReviewCycle) -> list[CalibrationFlag]:
    """Outcomes without evidence in this cycle; managers whose proposals calibration moves systematically (G5)."""
    from brightline.core.fairness import CalibrationRecord, measure_calibration_movement
    from brightline.policy.services import get_policy

    flags: list[CalibrationFlag] = []
    for assessment in (DimensionAssessment.objects.filter(review__cycle=cycle).exclude(outcome="")
                       .select_related("review__person")):
        cited = list(assessment.citations) + [c for change in assessment.changes.all() for c in change.citations]
        if not cited:
            flags.append(CalibrationFlag("outcome_without_evidence", FLAG_NO_EVIDENCE.format(
                person=assessment.review.person.name, dimension=assessment.get_dimension_display()),
                assessment.review_id))
    records = [
        CalibrationRecord(manager=name, proposed=OUTCOME_SCALE[proposed], calibrated=OUTCOME_SCALE[outcome])
        for name, proposed, outcome in DimensionAssessment.objects.filter(
            review__cycle__phase__in=[p for p in PHASE_ORDER if phase_index(p) > phase_index(Phase.CALIBRATION)]
            + [Phase.CALIBRATION], review__manager__isnull=False)
        .exclude(proposed_outcome="").exclude(outcome="")
        .values_list("review__manager__name", "proposed_outcome", "outcome")
    ]
    report = measure_calibration_movement(records, min_cohort=get_policy().min_cohort_size)
    for movement in report.managers:
        if movement.lean is None or movement.p_value is None:
            continue
        direction = "down" if movement.lean == "lenient" else "up"
        flags.append(CalibrationFlag("manager_movement", FLAG_MANAGER_LEAN.format(
            manager=movement.manager, direction=direction, moved=movement.up + movement.down, n=movement.n,
            p=movement.p_value, lean="leniency" if movement.lean == "lenient" else "severity")))
    return flags


# ------------------------------------------------------------------------------------ decision memo


def _ai_disagreements(review: Review) -> list[dict[str, Any]]:
    """Signals about the person that a human dismissed: where people disagreed with the AI (E5)."""
    return [{"signal": f"signal:{signal.pk}", "summary": signal.summary[:300], "status": "dismissed",
             "reason": signal.review_note or ""}
            for signal in Signal.objects.filter(person=review.person, status=Signal.Status.DISMISSED)]


def build_memo_sections(review: Review, accountable: Person) -> dict[str, Any]:
    from brightline.reviews.packet_items import describe, parse_reference

    assessments = list(review.assessments.all())
    cited = sorted({c for a in assessments for c in a.citations})
    changes = (CalibrationChange.objects.filter(assessment__review=review).select_related("actor", "approved_by",
                                                                                          "assessment"))
    final = {a.dimension: a.outcome for a in assessments}
    dissent = []
    if pre_votes_complete(review):
        for vote in review.pre_votes.select_related("panelist"):
            if vote.outcome != final.get(vote.dimension):
                dissent.append({"panelist": vote.panelist.name, "dimension": vote.dimension,
                                "pre_vote": vote.outcome, "final": final.get(vote.dimension), "note": vote.note})
    team = review.team
    return {
        "outcomes": [{"dimension": a.dimension, "label": a.get_dimension_display(), "proposed": a.proposed_outcome,
                      "final": a.outcome, "rationale": a.rationale, "citations": a.citations} for a in assessments],
        "main_signals": [describe(parse_reference(reference)) for reference in cited],
        "context": {"level": review.level.code if review.level else "", "team": team.name if team else "",
                    "team_mission": team.mission if team else "", "workload_class": review.workload_class,
                    "self_review": review.self_review_context},
        "manager_interpretation": {"manager": review.manager.name if review.manager else "",
                                   "summary": review.manager_summary,
                                   "cross_functional_impact": review.cross_functional_impact,
                                   "scope_growth": review.scope_growth,
                                   "promotion_readiness": review.promotion_readiness,
                                   "promotion_rationale": review.promotion_rationale},
        "calibration_changes": [{"dimension": c.assessment.dimension, "from": c.from_outcome, "to": c.to_outcome,
                                 "by": c.actor.name, "at": c.changed_at.isoformat(), "reason": c.reason,
                                 "citations": c.citations, "status": c.status, "source": c.source,
                                 "approved_by": c.approved_by.name if c.approved_by else None} for c in changes],
        "dissent": dissent,
        "ai_disagreements": _ai_disagreements(review),
        "accountable": accountable.name,
    }


def generate_decision_memo(review: Review, *, actor: Person, accountable: Person) -> DecisionMemo:
    """Generate (or regenerate) the memo from the record, naming the person finally accountable (E5, E7)."""
    _require(access.can_run_cycles(actor) or access.can_assess(actor, review),
             ERR_NOT_PEOPLE_PARTNER.format(action="write decision memos (or the manager on the review)"))
    _require_phase(review.cycle, Phase.DECISION_MEMO)
    _require(accountable.is_active and accountable.pk != review.person_id,
             ERR_ACCOUNTABLE.format(person=review.person.name))
    with transaction.atomic():
        memo, created = DecisionMemo.objects.update_or_create(
            review=review, defaults={"sections": build_memo_sections(review, accountable), "accountable": accountable,
                                     "generated_by": actor})
        log_action("reviews.memo.generated", actor, memo, {"review": review.pk, "accountable": accountable.pk,
                                                           "regenerated": not created})
    return memo


# --------------------------------------------------------------------------------- release, appeal


def acknowledge_review(review: Review, *, actor: Person, comment: str = "") -> Review:
    """The employee confirms they have seen the outcome; acknowledging never waives the right to appeal."""
    _require(access.is_self(actor, review.person), ERR_NOT_SELF)
    _require_phase(review.cycle, Phase.RELEASE, Phase.ACKNOWLEDGEMENT)
    if review.acknowledged_at is not None:
        raise ReviewError(ERR_ALREADY_ACKNOWLEDGED.format(at=review.acknowledged_at.date()))
    with transaction.atomic():
        review.acknowledged_at = timezone.now()
        review.acknowledgement_comment = comment.strip()
        review.save(update_fields=["acknowledged_at", "acknowledgement_comment"])
        log_action("reviews.review.acknowledged", actor, review, {"comment": review.acknowledgement_comment})
    return review


OPEN_APPEAL_STATES = (Appeal.Status.REQUESTED, Appeal.Status.IN_REVIEW, Appeal.Status.ESCALATED)


def appeal_deadline(cycle: ReviewCycle) -> dt.date:
    return dt.date.fromisoformat(cycle.schedule[Phase.ACKNOWLEDGEMENT])


def file_appeal(review: Review, *, actor: Person, context: str, today: dt.date | None = None) -> Appeal:
    """Within the window, the employee adds context and requests a second review (E7)."""
    today = today or timezone.localdate()
    _require(access.is_self(actor, review.person), ERR_NOT_SELF)
    _require_phase(review.cycle, Phase.RELEASE, Phase.ACKNOWLEDGEMENT)
    deadline = appeal_deadline(review.cycle)
    _require(today <= deadline, ERR_APPEAL_WINDOW_CLOSED.format(date=deadline))
    _require(not review.appeals.filter(status__in=OPEN_APPEAL_STATES).exists(), ERR_APPEAL_OPEN)
    _require(bool(context.strip()), ERR_CONTEXT_REQUIRED)
    with transaction.atomic():
        appeal = Appeal.objects.create(review=review, context=context.strip(),
                                       due_on=today + dt.timedelta(days=APPEAL_DECISION_DAYS))
        log_action("reviews.appeal.filed", actor, appeal, {"review": review.pk, "due_on": appeal.due_on})
    return appeal


def appeal_reviewer_refusal(person: Person, review: Review) -> str | None:
    """Why ``person`` may not decide an appeal on ``review``, or ``None``: outside the chain always (E7), and
    among the people the policy's appeal setting names."""
    if not access.can_review_appeal(person, review):
        return ERR_REVIEWER_IN_CHAIN.format(name=person.name)
    rule = policy_services.appeal_reviewers()
    if rule == AppealReviewers.PANEL_OUTSIDE_CHAIN and not access.can_decide_in_calibration(person, review):
        return ERR_REVIEWER_NOT_PANELIST.format(name=person.name)
    if rule == AppealReviewers.PEOPLE_PARTNER and not access.is_people_partner(person):
        return ERR_REVIEWER_NOT_PEOPLE_PARTNER.format(name=person.name)
    return None


def appeal_reviewer_candidates(review: Review) -> list[Person]:
    """Everyone a people partner may assign to this appeal under the policy."""
    return [person for person in Person.objects.filter(is_active=True).order_by("name")
            if appeal_reviewer_refusal(person, review) is None]


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
            dimension=dimension, current=current, requested=outcome))
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


# ------------------------------------------------------------------------------------------ export

EXPORT_COLUMNS = (
    "cycle_id", "employee_id", "team", "level", "workload_class", "manager_employee_id",
    *(f"outcome_{dimension}" for dimension in DIMENSIONS),
    "promotion_readiness", "support_plan_opened", "calibration_changed", "appeal_filed",
)


def decision_records(cycle: ReviewCycle) -> list[dict[str, Any]]:
    """One row per person: the decision record for the fairness audit and the HRIS.

    A fixed number of queries whatever the cycle's size: the flags are annotated, not asked per review.
    """
    rows = []
    changed_in_calibration = CalibrationChange.objects.filter(
        assessment__review=OuterRef("pk"), status=CalibrationChange.Status.APPLIED,
        source=CalibrationChange.Source.CALIBRATION)
    # Support sits above reviews: its plans are read through their link to the review, not imported.
    support_plans = Review.support_plans.rel.related_model.objects.filter(review=OuterRef("pk"))
    reviews = (cycle.reviews.select_related("person", "team", "level", "manager").prefetch_related("assessments")
               .annotate(has_support_plan=Exists(support_plans),
                         has_calibration_change=Exists(changed_in_calibration),
                         has_appeal=Exists(Appeal.objects.filter(review=OuterRef("pk")))))
    for review in reviews.order_by("person__employee_id"):
        outcomes = {a.dimension: a.outcome for a in review.assessments.all()}
        row: dict[str, Any] = {
            "cycle_id": cycle.pk, "employee_id": review.person.employee_id,
            "team": review.team.slug if review.team else "", "level": review.level.code if review.level else "",
            "workload_class": review.workload_class,
            "manager_employee_id": review.manager.employee_id if review.manager else "",
        }
        for dimension in DIMENSIONS:
            row[f"outcome_{dimension}"] = outcomes.get(dimension, "")
        row["promotion_readiness"] = review.promotion_readiness
        row["support_plan_opened"] = review.has_support_plan
        row["calibration_changed"] = review.has_calibration_change
        row["appeal_filed"] = review.has_appeal
        rows.append(row)
    return rows
