"""Manager quality (G5): how one manager's reviewing, one-to-ones and reports fare, from what the reviews,
feedback, support and promotions apps hold, and the organisation's counts of it.

Not to be confused with system health (``system_health.py``: the organisation's promotion velocity,
calibration, movements and clarity) or a team's working-hours health (the evidence app). Each
figure is computed by the pure core where one exists (calibration movement, rates with
suppression). Data not yet recorded is reported as "not available" with the reason — never as zero.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db.models import QuerySet

from brightline.core.fairness import (
    SIGNIFICANCE_LEVEL,
    CalibrationRecord,
    CycleImprovementSummary,
    FeedbackComparison,
    ManagerCalibrationMovement,
    ManagerCycleFeedback,
    compare_after_feedback,
    measure_calibration_movement,
    summarise_improvement,
)
from brightline.core.narrative import NarrativeKind, check_text
from brightline.core.narrative.version import checks_version
from brightline.fairness.decisions import auditable_cycles
from brightline.feedback.models import Checkpoint
from brightline.governance.models import HrisEvent, ReviewFlagCount
from brightline.governance.surveys import ClarityReport, clarity_for_manager
from brightline.people.models import Level, Person
from brightline.promotions.models import CaseDecision, CaseStatus, PromotionCase
from brightline.reviews.models import OUTCOME_SCALE, CalibrationChange, DimensionAssessment, Review
from brightline.support.models import SupportPlan

CHECKPOINT_WINDOW_DAYS = 92  # a quarter: the slowest checkpoint cadence the feedback app offers
ATTRITION_WINDOW_DAYS = 365
# The narrative checks that tell a manager something about how they wrote an assessment (C5): vague or
# personality language and claims without evidence. "Output without outcome" and the others are advice
# about the engineer's accomplishments, not feedback on the reviewer.
FEEDBACK_FLAGS = frozenset({"vague", "personality", "no_evidence"})


def _outcome_scale() -> dict[str, int]:
    return {str(key): value for key, value in OUTCOME_SCALE.items()}


def calibration_records(*, manager: Person | None = None, cycle: Any = None) -> list[CalibrationRecord]:
    """Proposed → calibrated outcome for every assessed dimension (reviews app), as ordinal steps."""
    scale = _outcome_scale()
    assessments = DimensionAssessment.objects.exclude(proposed_outcome="").exclude(outcome="")
    if manager is not None:
        assessments = assessments.filter(review__manager=manager)
    if cycle is not None:
        assessments = assessments.filter(review__cycle=cycle)
    return [CalibrationRecord(manager=str(manager_id), proposed=scale[proposed], calibrated=scale[outcome],
                              person=str(person_id))
            for manager_id, proposed, outcome, person_id in assessments.values_list(
                "review__manager_id", "proposed_outcome", "outcome", "review__person_id")
            if proposed in scale and outcome in scale]


# --------------------------------------------------------------------------- improvement after feedback


_FEEDBACK_KIND: NarrativeKind = "manager_narrative"


@lru_cache(maxsize=4096)
def _feedback_flag_count(text: str, cited_ids: tuple[str, ...]) -> int:
    return sum(1 for flag in check_text(text, kind=_FEEDBACK_KIND, cited_ids=cited_ids).flags
               if flag.flag_id in FEEDBACK_FLAGS)


ReviewTexts = list[tuple[str, tuple[str, ...]]]


def _review_texts(review: Review) -> ReviewTexts:
    """What the manager wrote in ``review`` that the reviewer flags read, each with the citations attached to it."""
    texts: ReviewTexts = [(review.manager_summary, ()), (review.cross_functional_impact, ()), (review.scope_growth, ())]
    texts += [(assessment.rationale, tuple(str(c) for c in assessment.citations or ()))
              for assessment in review.assessments.all()]
    return [(text, cited) for text, cited in texts if text]


def _texts_digest(texts: ReviewTexts) -> str:
    """The narrative checks' version, the flags counted and the texts (in a fixed order: the count is a sum),
    hashed."""
    payload = json.dumps([checks_version(), _FEEDBACK_KIND, sorted(FEEDBACK_FLAGS), sorted(texts)],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _review_flag_counts(reviews: list[Review], query: QuerySet[Review]) -> dict[int, int]:
    """Each review's reviewer-flag count (``reviews``: those ``query`` selects): the stored one while its texts and
    the narrative checks are those it was counted from, otherwise checked now and stored (in practice once per
    review, when the first refresh after its cycle's calibration reads it; again after the checks change)."""
    stored = {review_id: (digest, flags) for review_id, digest, flags in ReviewFlagCount.objects.filter(
        review__in=query.values("pk")).values_list("review_id", "digest", "flags")}
    counts: dict[int, int] = {}
    fresh: list[ReviewFlagCount] = []
    for review in reviews:
        texts = _review_texts(review)
        digest = _texts_digest(texts)
        if review.pk in stored and stored[review.pk][0] == digest:
            counts[review.pk] = stored[review.pk][1]
            continue
        counts[review.pk] = sum(_feedback_flag_count(text, cited) for text, cited in texts)
        fresh.append(ReviewFlagCount(review_id=review.pk, flags=counts[review.pk], digest=digest))
    if fresh:
        ReviewFlagCount.objects.bulk_create(fresh, batch_size=2000, update_conflicts=True, unique_fields=["review"],
                                            update_fields=["flags", "digest"])
    return counts


def _calibrated_outcomes(assessments: list[Any]) -> dict[int, str]:
    """Each assessment's outcome as calibration left it: an appeal decided later is not calibration feedback."""
    outcomes = {assessment.pk: assessment.outcome for assessment in assessments}
    appealed: set[int] = set()
    for assessment_id, from_outcome in CalibrationChange.objects.filter(
            assessment__in=list(outcomes), source="appeal", status="applied").order_by(
            "changed_at", "id").values_list("assessment_id", "from_outcome"):
        if assessment_id not in appealed and from_outcome:
            outcomes[assessment_id] = from_outcome
        appealed.add(assessment_id)
    return outcomes


@dataclass(frozen=True)
class FeedbackCycle:
    """A review cycle whose calibration is over, as the improvement-after-feedback figures name it."""

    key: str
    name: str
    opened_on: dt.date


def calibrated_cycles() -> list[FeedbackCycle]:
    """Cycles past calibration (decision memo or later), oldest first by the day they opened."""
    cycles = [FeedbackCycle(str(cycle.pk), cycle.name, cycle.opened_at.date()) for cycle in auditable_cycles()]
    return sorted(cycles, key=lambda cycle: (cycle.opened_on, int(cycle.key)))


def feedback_records(*, manager: Person | None = None) -> list[ManagerCycleFeedback]:
    """Per manager (person id) and calibrated cycle: written assessments, proposals, proposals calibration
    changed, and narrative flags on what the manager wrote (summary, cross-functional impact, scope growth,
    each dimension's rationale with its attached citations)."""
    cycles = {cycle.key: cycle for cycle in calibrated_cycles()}
    if not cycles:
        return []
    reviews = Review.objects.filter(cycle_id__in=[int(key) for key in cycles], manager__isnull=False,
                                    assessment_submitted_at__isnull=False)
    if manager is not None:
        reviews = reviews.filter(manager=manager)
    written = list(reviews.prefetch_related("assessments"))
    calibrated = _calibrated_outcomes([a for review in written for a in review.assessments.all()])
    flag_counts = _review_flag_counts(written, reviews)
    tallies: dict[tuple[str, str], list[int]] = {}
    for review in written:
        reviews_proposals_changed_flags = tallies.setdefault((str(review.manager_id), str(review.cycle_id)),
                                                             [0, 0, 0, 0])
        reviews_proposals_changed_flags[0] += 1
        for assessment in review.assessments.all():
            if assessment.proposed_outcome and assessment.outcome:
                reviews_proposals_changed_flags[1] += 1
                reviews_proposals_changed_flags[2] += calibrated[assessment.pk] != assessment.proposed_outcome
        reviews_proposals_changed_flags[3] += flag_counts[review.pk]
    return [ManagerCycleFeedback(manager_id, cycle_key, cycles[cycle_key].opened_on, *counts)
            for (manager_id, cycle_key), counts in tallies.items()]


@dataclass(frozen=True)
class ImprovementRow:
    """One cycle of one manager as the page shows it: rates only from ``min_reviews`` written assessments."""

    cycle_name: str
    baseline_name: str | None
    comparison: FeedbackComparison
    enough_reviews: bool  # this cycle alone has at least the minimum: its own rates may be shown

    @property
    def change_points(self) -> int | None:
        """The change in the share of proposals changed, in whole percentage points."""
        delta = self.comparison.change_rate_delta
        return None if delta is None else round(delta * 100)

    @property
    def change_significant(self) -> bool:
        p_value = self.comparison.change_rate_p_value
        return p_value is not None and p_value < SIGNIFICANCE_LEVEL

    @property
    def flags_significant(self) -> bool:
        p_value = self.comparison.flag_rate_p_value
        return p_value is not None and p_value < SIGNIFICANCE_LEVEL


@dataclass(frozen=True)
class ImprovementAfterFeedback:
    """One manager's calibrated cycles, each against their previous cycle with feedback (oldest first)."""

    rows: tuple[ImprovementRow, ...]
    min_reviews: int

    @property
    def needs_two_cycles(self) -> bool:
        return len(self.rows) < 2


def improvement_after_feedback(manager: Person, *, min_cohort: int) -> ImprovementAfterFeedback:
    """G5 "improvement after feedback" for one manager; a comparison needs ``min_cohort`` assessments in
    both cycles (the policy's minimum cohort)."""
    names = {cycle.key: cycle.name for cycle in calibrated_cycles()}
    comparisons = compare_after_feedback(feedback_records(manager=manager), min_reviews=min_cohort)
    return ImprovementAfterFeedback(tuple(
        ImprovementRow(names[c.cycle], names[c.baseline.cycle] if c.baseline else None, c,
                       c.current.reviews >= min_cohort) for c in comparisons), min_cohort)


@dataclass(frozen=True)
class ImprovementSummaryRow:
    cycle_name: str
    summary: CycleImprovementSummary


def improvement_across_managers(*, min_cohort: int) -> list[ImprovementSummaryRow]:
    """Organisation level, per cycle: how many managers improved, stayed, worsened or moved both ways after
    feedback; a cycle with fewer than ``min_cohort`` managers compared is withheld whole."""
    names = {cycle.key: cycle.name for cycle in calibrated_cycles()}
    comparisons = compare_after_feedback(feedback_records(), min_reviews=min_cohort)
    return [ImprovementSummaryRow(names[summary.cycle], summary)
            for summary in summarise_improvement(comparisons, min_cohort=min_cohort)]


# ------------------------------------------------------------------------------------ manager quality


@dataclass(frozen=True)
class Timeliness:
    assessments_on_time: int
    assessments_late: int
    assessments_missing: int
    reports: int
    reports_with_recent_checkpoint: int


@dataclass
class ManagerQuality:
    manager: Person
    min_cohort: int
    movement: ManagerCalibrationMovement | None
    proposals: int
    timeliness: Timeliness
    clarity: ClarityReport
    improvement: ImprovementAfterFeedback
    support_plan_outcomes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    developed: PeopleDeveloped | None = None


def _assessment_timeliness(manager: Person) -> tuple[int, int, int]:
    on_time = late = missing = 0
    for submitted_at, schedule in Review.objects.filter(manager=manager).values_list("assessment_submitted_at",
                                                                                    "cycle__schedule"):
        due = (schedule or {}).get("manager_assessment")
        if submitted_at is None:
            missing += 1
        elif due and submitted_at.date() > dt.date.fromisoformat(due):
            late += 1
        else:
            on_time += 1
    return on_time, late, missing


def measure_manager_quality(manager: Person, *, min_cohort: int, today: dt.date | None = None) -> ManagerQuality:
    """G5 for one manager: how calibration moved their proposals, timeliness, clarity of expectations as their
    reports answered it in surveys, support-plan outcomes, and the people developed among their reports."""
    today = today or dt.date.today()
    notes: list[str] = []
    records = calibration_records(manager=manager)
    report = measure_calibration_movement(records, min_cohort=min_cohort)
    movement = report.managers[0] if report.managers else None
    if records and movement is None:
        notes.append(f"Fewer than {min_cohort} calibrated proposals so far: the direction is withheld until there "
                     "are enough to read without singling anyone out.")
    if not records:
        notes.append("No calibrated proposals yet.")
    reports = list(manager.reports.filter(is_active=True))
    since = today - dt.timedelta(days=CHECKPOINT_WINDOW_DAYS)
    recent = Checkpoint.objects.filter(person__in=reports, held_on__gte=since).values(
        "person").distinct().count()
    on_time, late, missing = _assessment_timeliness(manager)
    outcomes: Counter[str] = Counter()
    for status, outcome in SupportPlan.objects.filter(person__manager=manager).values_list("status", "outcome"):
        outcomes[outcome or status] += 1
    clarity = clarity_for_manager(manager, min_cohort=min_cohort)
    if not clarity.quarters:
        notes.append("No clarity-of-expectations survey answers have been imported for this manager's reports.")
    return ManagerQuality(manager, min_cohort, movement, len(records),
                          Timeliness(on_time, late, missing, len(reports), recent), clarity,
                          improvement_after_feedback(manager, min_cohort=min_cohort), dict(outcomes), notes,
                          people_developed(manager, min_cohort=min_cohort))


# ------------------------------------------------------------------------------------ people developed


@dataclass(frozen=True)
class DevelopedYear:
    """One calendar year of a manager's people developed: promotions and moves into management among the
    people who reported to them."""

    year: int
    promotions: int
    successors: int


@dataclass(frozen=True)
class PeopleDeveloped:
    """Promotions and successors among the people who have reported to one manager, per year (G5).

    ``reports`` counts everyone who reported to the manager as Brightline knows it: their current
    reports (active or not) and anyone a promotion case named them the manager of. A promotion is a
    decided promotion case the manager was the manager of, or a promotion from the HR system of one of
    those people (the same person and level counted once). A successor is one of those people who now
    manages people or was promoted to a level on the manager track. Withheld whole (``withheld``)
    when fewer than ``min_cohort`` people reported: a count of one would name that person's move.
    """

    min_cohort: int
    reports: int
    promotions: int = 0
    successors: int = 0
    years: tuple[DevelopedYear, ...] = ()
    successors_without_date: int = 0  # now managing people, with no promotion that says when

    @property
    def withheld(self) -> bool:
        return self.reports < self.min_cohort


def people_developed(manager: Person, *, min_cohort: int) -> PeopleDeveloped:
    """G5 "people developed" for ``manager``: promotions and successors among the people who reported to them."""
    reports = set(Person.objects.filter(manager=manager).values_list("pk", flat=True))
    reports |= set(PromotionCase.objects.filter(manager=manager).values_list("person_id", flat=True))
    reports.discard(manager.pk)
    if len(reports) < min_cohort:
        return PeopleDeveloped(min_cohort, len(reports))
    manager_track = set(Level.objects.filter(ladder__track="manager").values_list("code", flat=True))
    promoted: dict[tuple[int, str], dt.date] = {}
    for person_id, decided_at, code in PromotionCase.objects.filter(
            manager=manager, status=CaseStatus.DECIDED, decision=CaseDecision.PROMOTED,
            decided_at__isnull=False).values_list("person_id", "decided_at", "to_level__code"):
        promoted[(person_id, code)] = min(decided_at.date(), promoted.get((person_id, code), decided_at.date()))
    for person_id, day, code in HrisEvent.objects.filter(
            event=HrisEvent.Kind.PROMOTED, person_id__in=reports).values_list("person_id", "date", "to_level"):
        promoted[(person_id, code)] = min(day, promoted.get((person_id, code), day))
    into_management: dict[int, dt.date] = {}
    for (person_id, code), day in promoted.items():
        if code in manager_track:
            into_management[person_id] = min(day, into_management.get(person_id, day))
    managing_now = set(Person.objects.filter(pk__in=reports, reports__is_active=True).values_list("pk", flat=True))
    undated = managing_now - into_management.keys()
    by_year: dict[int, list[int]] = {}
    for day in promoted.values():
        by_year.setdefault(day.year, [0, 0])[0] += 1
    for day in into_management.values():
        by_year.setdefault(day.year, [0, 0])[1] += 1
    return PeopleDeveloped(min_cohort, len(reports), promotions=len(promoted),
                           successors=len(into_management) + len(undated),
                           years=tuple(DevelopedYear(year, *counts) for year, counts in sorted(by_year.items())),
                           successors_without_date=len(undated))


def managers_visible_to(visible: QuerySet[Person]) -> Iterable[Person]:
    """Active managers among ``visible`` (the people whose quality page the viewer may open): one query."""
    return list(Person.objects.filter(is_active=True, reports__is_active=True, pk__in=visible.values("pk"))
                .distinct().order_by("name"))
