"""Opening, advancing and exporting review cycles (E1, E3): one service function per state change."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from brightline import access
from brightline.audit.models import AuditEntry
from brightline.audit.services import log_action
from brightline.people.models import Person, Team
from brightline.reviews.models import (
    OPEN_APPEAL_STATES,
    PHASE_ORDER,
    Appeal,
    CalibrationChange,
    DecisionMemo,
    DimensionAssessment,
    Phase,
    PreVote,
    Review,
    ReviewCycle,
    phase_index,
)
from brightline.reviews.services.calibration import _declare_conflicts
from brightline.reviews.services.common import (
    CYCLE_SETTINGS,
    DIMENSIONS,
    ERR_NOT_PEOPLE_PARTNER,
    ERR_PANEL_TOO_SMALL,
    MIN_PANEL_SIZE,
    CycleSettings,
    ReviewError,
    _check_packet_evidence,
    _parse_schedule,
    _require,
    parse_cycle_settings,
    phase_label,
)

# The phases that close a step in which an author edits their part of the draft packet: the self review
# (the person's part) and the manager assessment (the manager's part).
PACKET_STEP_ENDS = (Phase.MANAGER_ASSESSMENT, Phase.CALIBRATION)

ERR_EMPTY_POPULATION = "nobody in this population has a manager to assess them; no cycle was opened"


ERR_ALREADY_IN_CYCLE = ("{names} already {have} a review in the open cycle \"{cycle}\"; a person is reviewed in one "
                        "cycle at a time, so close that cycle first or leave their team out of this one")


ERR_CYCLE_CLOSED = "the cycle is closed; nothing moves after closing"


ERR_PHASE_SKIP = "a cycle moves one phase at a time: from {current} the next phase is {next}, not {requested}"


ERR_ASSESSMENTS_MISSING = "calibration starts when every manager assessment is submitted; still open: {names}"


ERR_PENDING_APPROVALS = "{count} calibration change(s) still wait for a second approver"


ERR_MEMOS_MISSING = "every review needs a decision memo before release; missing: {names}"


ERR_OPEN_APPEALS = "{count} appeal(s) are still open; a cycle closes only when every appeal is decided"


ERR_SELF_REVIEWS_MISSING = ("this cycle requires a submitted self review before manager assessment; still open: "
                            "{names}")


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
    busy = (Review.objects.filter(person__in=people).exclude(cycle__phase=Phase.CLOSED)
            .select_related("person", "cycle").order_by("cycle__opened_at", "person__name"))
    first = busy.first()
    if first is not None:
        taken = [review for review in busy if review.cycle_id == first.cycle_id]
        raise ReviewError(ERR_ALREADY_IN_CYCLE.format(names=_names(taken), have="has" if len(taken) == 1 else "have",
                                                      cycle=first.cycle.name))
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


@dataclass(frozen=True)
class Unfinished:
    """Work of the running phase not done yet, in words; ``blocks`` when advancing is refused until it is done."""

    text: str
    blocks: bool


def phases_closed_on(cycle: ReviewCycle) -> dict[str, dt.date]:
    """The day each phase the cycle has left actually closed, read from the audit of its advances (a phase
    advanced early closes before its scheduled end; the schedule alone would put it in the future)."""
    entries = AuditEntry.objects.filter(action="reviews.cycle.advanced", subject_type=ReviewCycle._meta.label_lower,
                                        subject_id=str(cycle.pk)).values_list("created_at", "data_json")
    closed: dict[str, dt.date] = {}
    for created_at, data_json in entries:
        phase = json.loads(data_json).get("from")
        if isinstance(phase, str):
            closed[phase] = timezone.localdate(created_at)
    return closed


def _uncalibrated(reviews: list[Review]) -> list[Review]:
    """The reviews the panel never touched: no panelist pre-voted on them and no outcome was changed in calibration."""
    ids = [review.pk for review in reviews]
    voted = set(PreVote.objects.filter(review_id__in=ids).values_list("review_id", flat=True))
    changed = set(CalibrationChange.objects.filter(assessment__review_id__in=ids,
                                                   source=CalibrationChange.Source.CALIBRATION)
                  .values_list("assessment__review_id", flat=True))
    return [review for review in reviews if review.pk not in voted | changed]


def unfinished_work(cycle: ReviewCycle) -> list[Unfinished]:
    """What advancing ``cycle`` now would leave undone, for the check before the irreversible step (the same
    preconditions :func:`advance_cycle` enforces say ``blocks``; the others are left behind for good)."""
    reviews = list(cycle.reviews.select_related("person"))
    total = len(reviews)
    found: list[Unfinished] = []
    if cycle.phase == Phase.SELF_REVIEW:
        open_self = [review for review in reviews if review.self_review_submitted_at is None]
        if open_self:
            found.append(Unfinished(
                f"{len(open_self)} of {total} self reviews are not submitted ({_names(open_self)})"
                + ("; the cycle moves on only once every one is in." if cycle.self_review_required else
                   "; advancing now ends the self-review step for them without one."),
                blocks=cycle.self_review_required))
    elif cycle.phase == Phase.MANAGER_ASSESSMENT:
        open_reviews = [review for review in reviews if review.assessment_submitted_at is None]
        if open_reviews:
            # Named by the person assessed, said so: a manager who is also assessed must not read as the one late.
            found.append(Unfinished(f"{len(open_reviews)} of {total} people still wait for their manager's "
                                    f"assessment to be submitted (the assessments of {_names(open_reviews)}); "
                                    "calibration starts only once every one is in.",
                                    blocks=True))
        panel_size = cycle.panel_members.count()
        if panel_size < MIN_PANEL_SIZE:
            found.append(Unfinished(f"The calibration panel has {panel_size} of the at least {MIN_PANEL_SIZE} "
                                    "people it needs; calibration starts only once it is chosen.", blocks=True))
    elif cycle.phase == Phase.CALIBRATION:
        pending = CalibrationChange.objects.filter(assessment__review__cycle=cycle,
                                                   status=CalibrationChange.Status.AWAITING_APPROVAL).count()
        if pending:
            found.append(Unfinished(f"{pending} calibration change{'s' if pending != 1 else ''} still wait for a "
                                    "second approver.", blocks=True))
        uncalibrated = _uncalibrated(reviews)
        if uncalibrated:
            found.append(Unfinished(
                f"{len(uncalibrated)} of {total} people have no pre-vote from any panelist and no outcome changed in "
                f"calibration yet ({_names(uncalibrated)}); advancing now sends their manager's proposed outcomes "
                "to the decision memo unchanged, never weighed by the panel, and the audit trail records it.",
                blocks=False))
    elif cycle.phase == Phase.DECISION_MEMO:
        with_memo = set(DecisionMemo.objects.filter(review__cycle=cycle).values_list("review_id", flat=True))
        missing = [review for review in reviews if review.pk not in with_memo]
        if missing:
            found.append(Unfinished(f"{len(missing)} of {total} decision memos are not written "
                                    f"({_names(missing)}).", blocks=True))
    elif cycle.phase == Phase.ACKNOWLEDGEMENT:
        open_count = Appeal.objects.filter(review__cycle=cycle, status__in=OPEN_APPEAL_STATES).count()
        if open_count:
            found.append(Unfinished(f"{open_count} appeal{'s are' if open_count != 1 else ' is'} still open.",
                                    blocks=True))
        unacknowledged = [review for review in reviews if review.acknowledged_at is None]
        if unacknowledged:
            found.append(Unfinished(f"{len(unacknowledged)} of {total} people have not acknowledged their outcome "
                                    f"({_names(unacknowledged)}); closing the cycle ends their appeal window.",
                                    blocks=False))
    return found


def advance_cycle(cycle: ReviewCycle, *, actor: Person, to_phase: str | None = None) -> ReviewCycle:
    """Move the cycle to its next phase, never further; each move has its own preconditions."""
    _require(access.can_run_cycles(actor), ERR_NOT_PEOPLE_PARTNER.format(action="advance a review cycle"))
    with transaction.atomic():
        cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
        target = next_phase(cycle)
        _require(target is not None, ERR_CYCLE_CLOSED)
        assert target is not None
        if to_phase is not None and to_phase != target:
            raise ReviewError(ERR_PHASE_SKIP.format(current=phase_label(cycle.phase), next=phase_label(target),
                                                    requested=phase_label(to_phase)))
        reviews = cycle.reviews.select_related("person", "manager")
        conflicts = 0
        uncalibrated: list[int] = []
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
            # Advancing with people the panel never weighed is allowed (a conflicted or absent panel must not
            # trap the cycle) but only after the confirmation page named them, and the audit keeps who they were.
            uncalibrated = [review.pk for review in _uncalibrated(list(reviews))]
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
        if target == Phase.DECISION_MEMO:
            data["uncalibrated_reviews"] = uncalibrated
        log_action("reviews.cycle.advanced", actor, cycle, data)
        if target in PACKET_STEP_ENDS:
            # A step in which authors edit their packet has closed: its checks no longer ask them (C5).
            for review in reviews:
                _check_packet_evidence(review, actor=actor)
    return cycle


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
