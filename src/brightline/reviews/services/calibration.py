"""Panels, conflicts, pre-votes and calibration changes (E3, E8)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from brightline import access
from brightline.audit.services import log_action
from brightline.people.models import Dimension, Person
from brightline.reviews.models import (
    OUTCOME_SCALE,
    PHASE_ORDER,
    STEP_PHASES,
    CalibrationChange,
    ConflictOfInterest,
    DimensionAssessment,
    Outcome,
    PanelMember,
    Phase,
    PreVote,
    Review,
    ReviewCycle,
    phase_index,
)
from brightline.reviews.packet_items import CitationError, Reference, references_in
from brightline.reviews.panels import PanelistLabels, label_panelists, votes_complete
from brightline.reviews.services.assessment import _check_adverse_evidence, _check_dimension, _check_outcome
from brightline.reviews.services.common import (
    DIMENSIONS,
    ERR_NOT_PEOPLE_PARTNER,
    ERR_NOT_SECOND_APPROVER,
    ERR_PANEL_TOO_SMALL,
    ERR_REASON_REQUIRED,
    MIN_PANEL_SIZE,
    OUTCOMES,
    ActionRefused,
    ConcurrentEditError,
    ReviewError,
    _allow,
    _require,
    _require_phase,
)

ERR_PANEL_LOCKED = "the panel is fixed once calibration has started"


ERR_PANEL_NOT_ROTATED = ("panels rotate: {repeated} of {size} members also sat on the previous cycle's panel; "
                         "at most half may repeat")


ERR_NOT_PANELIST = "{name} is not on this cycle's calibration panel"


ERR_CONFLICTED = "{name} has a conflict of interest for {person} and takes no part in this decision"


ERR_VOTES_REVEALED = "all pre-votes are in and the spread is revealed; pre-votes can no longer change"


ERR_PRE_VOTES_OPEN = ("discussion starts once every eligible panelist has recorded a pre-vote ({voted} of "
                      "{eligible} so far); this keeps the first voice from anchoring the outcome")


ERR_NO_CHANGE = "the outcome is already {outcome}"


ERR_DEPARTURE_NEEDS_EVIDENCE = ("this outcome departs from the manager's evidence-backed assessment ({proposed}); "
                                "the reason must cite evidence from the packet")


ERR_CITATION_NOT_IN_PACKET = "{reference} is not in this packet; a panel decides on the packet's evidence"


ERR_CHANGE_PENDING = "a change to this outcome is waiting for a second approver; approve or withdraw it first"


ERR_STALE_EDIT = ("{dimension} was changed by someone else (version {seen} → {current}) since you opened it; "
                  "nothing was overwritten; reload and decide again")


ERR_NOT_AWAITING = "this change is not waiting for approval"


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
            elif (member.pk in chain or member.pk == review.manager_id
                  or access.manages(review.person, member)):  # below the person: deciding on one's own manager
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


# Neither names the person: before calibration a panelist sees no name of the cycle, and a guessed address
# should not tell them whose review it is.
WHY_PANEL_NOT_YET = ("The calibration panel reads this review once calibration starts. Until then the manager is "
                     "still writing the assessment, and what it proposes is theirs; each panelist's first read of "
                     "the packet, and their pre-vote, stay their own.")


WHY_PANEL_DONE = ("The calibration panel reads this review only while it calibrates it. That step is over: the "
                  "decision memo, the release and any appeal are in other hands.")


WHY_CONFLICTED = "You sit on this cycle's calibration panel but take no part in {person}'s decision: {reason}."


CONFLICT_REASONS = {
    "self": "it is your own review",
    "above": "you are in {person}'s management chain",
    "below": "{person} is in your management chain, and nobody decides on their own manager",
    "declared": "you declared a conflict of interest",
}


def conflict_reason(review: Review, panelist: Person) -> str:
    """Why ``panelist`` takes no part in ``review``'s decision, in words ("" when they may take part): the same
    tests as ``access.has_conflict_of_interest``."""
    person = review.person
    if panelist.pk == person.pk:
        key = "self"
    elif review.manager_id == panelist.pk or access.manages(panelist, person):
        key = "above"
    elif access.manages(person, panelist):
        key = "below"
    elif review.conflicts.filter(panelist=panelist).exists():
        key = "declared"
    else:
        return ""
    return CONFLICT_REASONS[key].format(person=person.name)


def panel_refusal(review: Review, viewer: Person) -> str:
    """What a panelist refused a review reads instead of the general refusal ("" for anyone else): the step has
    not started or is over (naming nobody), or they take no part in this person's decision."""
    if not access.is_panelist(viewer, review.cycle):
        return ""
    if phase_index(review.cycle.phase) < phase_index(Phase.CALIBRATION):
        return WHY_PANEL_NOT_YET
    if not access.panel_reads_now(review.cycle):
        return WHY_PANEL_DONE
    reason = conflict_reason(review, viewer)
    return WHY_CONFLICTED.format(person=review.person.name, reason=reason) if reason else ""


def eligible_panelists(review: Review) -> list[Person]:
    return review.eligible_panelists()


def _check_eligible(review: Review, person: Person) -> None:
    _allow(access.is_panelist(person, review.cycle), ERR_NOT_PANELIST.format(name=person.name))
    _allow(not access.has_conflict_of_interest(person, review),
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
    return review.pre_voters(eligible)


def pre_votes_complete(review: Review) -> bool:
    return review.pre_votes_complete()


def panelist_labels(review: Review, viewer: Person | None) -> PanelistLabels:
    """Names for everyone but the reviewed employee, who sees them only if the policy says so."""
    return label_panelists(Person.objects.filter(pk__in=review.pre_votes.values("panelist")).values_list("pk", "name"),
                           subject_person_id=review.person_id, viewer=viewer, salt=str(review.pk))


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
    complete = votes_complete(eligible=len(eligible), voted=len(voters))
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
    _require_phase(review.cycle, *STEP_PHASES["calibrate"])
    _check_eligible(review, panelist)
    _allow(not pre_votes_complete(review), ERR_VOTES_REVEALED)
    _check_dimension(dimension)
    _check_outcome(outcome)
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
    _require_phase(review.cycle, *STEP_PHASES["calibrate"])
    _check_eligible(review, actor)
    if not pre_votes_complete(review):
        spread = pre_vote_spread(review, viewer=None)
        raise ActionRefused(ERR_PRE_VOTES_OPEN.format(voted=spread.voted, eligible=spread.eligible))
    _check_outcome(to_outcome)
    _require(bool(reason.strip()), ERR_REASON_REQUIRED)
    try:
        references = references_in(reason, list(citations))
    except CitationError as error:
        raise ReviewError(str(error)) from error
    cited = _packet_references(review, references)
    _require(not assessment.changes.filter(status=CalibrationChange.Status.AWAITING_APPROVAL).exists(),
             ERR_CHANGE_PENDING)
    _require(to_outcome != assessment.outcome, ERR_NO_CHANGE.format(outcome=assessment.get_outcome_display()))
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
    _require_phase(review.cycle, *STEP_PHASES["calibrate"])
    _allow(access.can_approve_calibration_change(approver, review), ERR_NOT_SECOND_APPROVER.format(name=approver.name))
    _require(change.status == CalibrationChange.Status.AWAITING_APPROVAL, ERR_NOT_AWAITING)
    _require(approver.pk != change.actor_id, ERR_NOT_SECOND_APPROVER.format(name=approver.name))
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


def counted_assessments(cycle: ReviewCycle) -> QuerySet[DimensionAssessment]:
    """The assessments of ``cycle`` that count in what others read of it: those with an outcome whose manager has
    submitted the assessment. A draft is its assessor's until then (with one person assessed, counting it would
    show that person's draft ratings)."""
    return DimensionAssessment.objects.filter(review__cycle=cycle, review__assessment_submitted_at__isnull=False
                                              ).exclude(outcome="")


def outcome_distribution(cycle: ReviewCycle) -> dict[str, dict[str, int]]:
    """Counts per dimension and outcome of the submitted assessments, for information only: never a target (E3)."""
    table = {dimension: dict.fromkeys(OUTCOMES, 0) for dimension in DIMENSIONS}
    rows = counted_assessments(cycle).values_list("dimension", "outcome")
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


@dataclass(frozen=True)
class CycleOverview:
    """The outcome counts and flags of a cycle as one viewer may see them on its overview.

    ``distribution`` maps each dimension to its outcome counts; a count is an int, or "fewer than 3" for a small
    cell when the viewer has no role in every review (``exact`` false). ``distribution_withheld``: fewer people
    than the minimum cohort have an outcome, so any count would show a person's draft. ``flags`` name people
    only for the reviews the viewer has a role in; ``others`` counts the rest, in words ("" when none)."""

    distribution: dict[str, dict[str, int | str]]
    distribution_withheld: bool
    flags: list[CalibrationFlag]
    others: str
    exact: bool
    min_cohort: int


def _small(count: int) -> int | str:
    from brightline.core.fairness import SMALL_CELL, is_small_cell

    return f"fewer than {SMALL_CELL}" if is_small_cell(count) else count


def cycle_overview(cycle: ReviewCycle, viewer: Person | None) -> CycleOverview:
    """``outcome_distribution`` and ``calibration_flags`` for ``viewer``: names and draft outcomes are for the
    people partner, the cycle's panel and each person's management chain (``access.cycle_reviews_with_a_role``);
    anyone else sees counts only, with counts of 1 or 2 said as "fewer than 3" and the whole distribution
    withheld while fewer than the minimum cohort have an outcome."""
    from brightline.policy.services import get_policy

    min_cohort = get_policy().min_cohort_size
    allowed = access.cycle_reviews_with_a_role(viewer, cycle)
    distribution = outcome_distribution(cycle)
    flags = calibration_flags(cycle)
    if allowed is None:
        return CycleOverview(dict(distribution), False, flags, "", True, min_cohort)
    assessed = counted_assessments(cycle).values("review_id").distinct().count()
    withheld = assessed < min_cohort
    shown_distribution: dict[str, dict[str, int | str]] = {
        dimension: {} if withheld else {outcome: _small(count) for outcome, count in counts.items()}
        for dimension, counts in distribution.items()}
    shown = [flag for flag in flags if flag.kind == "outcome_without_evidence" and flag.review_id in allowed]
    hidden_outcomes = sum(1 for flag in flags if flag.kind == "outcome_without_evidence"
                          and flag.review_id not in allowed)
    hidden_managers = sum(1 for flag in flags if flag.kind == "manager_movement")
    parts = []
    if hidden_outcomes:
        parts.append(f"{_small(hidden_outcomes)} outcomes without cited evidence")  # 1 reads "fewer than 3"
    if hidden_managers:
        parts.append(f"{_small(hidden_managers)} managers whose proposals calibration moved one way across cycles")
    others = (" and ".join(parts) + " in reviews you have no part in: the people partner, the calibration "
              "panel and each person's management chain see who they are.") if parts else ""
    return CycleOverview(shown_distribution, withheld, shown, others[:1].upper() + others[1:], False, min_cohort)


@dataclass(frozen=True)
class CalibrationMove:
    """One outcome calibration changed, and which way: for those who judge whether calibration was fair."""

    dimension: str
    from_outcome: str
    to_outcome: str
    direction: str  # "raised", "lowered" or "unchanged" (a change back to where it was)


def calibration_moves(cycle: ReviewCycle) -> list[CalibrationMove]:
    """The applied calibration changes of ``cycle``, each with its direction on the outcome scale, in the order
    they were made (one query). No person is named: the page that shows them is about the cycle, not a person."""
    labels, dimensions = dict(Outcome.choices), dict(Dimension.choices)
    moves = []
    for dimension, before, after in (CalibrationChange.objects.filter(
            assessment__review__cycle=cycle, status=CalibrationChange.Status.APPLIED,
            source=CalibrationChange.Source.CALIBRATION).order_by("changed_at", "pk")
            .values_list("assessment__dimension", "from_outcome", "to_outcome")):
        step = OUTCOME_SCALE.get(after, 0) - OUTCOME_SCALE.get(before, 0) if before in OUTCOME_SCALE else 0
        moves.append(CalibrationMove(dimensions.get(dimension, dimension), labels.get(before, "not set"),
                                     labels.get(after, after), "raised" if step > 0 else
                                     "lowered" if step < 0 else "unchanged"))
    return moves
