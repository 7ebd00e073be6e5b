"""The recommendation that ends the leadership brief, and the human decision on it.

The recommendation itself is pure (``brightline.core.governance``) and drawn from the brief's published figures
only. It is never acted on by itself: a leader or people partner accepts or rejects it with a reason; the
decision is kept with who and when, and audited (``policy.recommendation.accepted`` / ``.rejected``).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, transaction

from brightline import access
from brightline.audit.services import log_action
from brightline.core.governance import BriefFigures, FlaggedComparison, Recommendation, recommend_next_quarter
from brightline.people.models import Person
from brightline.policy.models import BriefRecommendation

ERR_NOT_ALLOWED = "The brief's recommendation is accepted or rejected by leaders and people partners."
ERR_DECISION = "Choose accept or reject."
ERR_REASON = "Say why: a decision on the recommendation needs a reason."
ERR_REASON_TOO_LONG = "The reason can be at most 2,000 characters."
ERR_ALREADY_DECIDED = "This recommendation was already {decision} by {name} on {day}."
ERR_NO_RECOMMENDATION = "There is no recommendation to decide on for this brief."


class RecommendationError(ValueError):
    """A decision on the brief's recommendation that is refused; the message says why."""


@dataclass(frozen=True)
class ShownRecommendation:
    """The recommendation as the brief shows it, and the decision on it if one was taken."""

    recommendation: Recommendation
    cycle_id: int | None
    cycle_name: str
    decision: BriefRecommendation | None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.cycle_id, self.recommendation)

    def to_json(self) -> dict[str, Any]:
        decision = self.decision
        return {"rule": self.recommendation.rule, "text": self.recommendation.text,
                "evidence": [asdict(item) for item in self.recommendation.evidence],
                "for_a_person_to_decide": True,
                "decision": None if decision is None else {
                    "decision": decision.decision, "reason": decision.reason, "decided_at": decision.decided_at,
                    "decided_by": decision.decided_by.name if decision.decided_by else None}}


def fingerprint(cycle_id: int | None, recommendation: Recommendation) -> str:
    return hashlib.sha256(f"{cycle_id}|{recommendation.rule}|{recommendation.text}".encode()).hexdigest()


def brief_figures(view: Any) -> BriefFigures:
    """The published figures of a leadership view (``fairness.leadership.LeadershipView``), as plain data."""
    flagged = tuple(FlaggedComparison(measure=item.measure.label, cut=item.cut.label,
                                      impact_ratio=float(item.impact_ratio))
                    for item in view.flags if item.impact_ratio is not None)
    figures: dict[str, Any] = {
        "min_cohort": view.min_cohort, "teams_shown": sum(1 for row in view.teams if row.headcount is not None),
        "teams_withheld": view.withheld_teams, "comparisons": view.comparisons, "flagged": flagged}
    calibration = view.calibration
    if calibration is not None:
        figures.update(calibration_n=calibration.n, calibration_changed=calibration.changed)
    promotion = view.promotion_by_level
    if promotion is not None and promotion.event is not None and promotion.event.groups:
        audit = promotion.event
        figures.update(promotion_n=sum(group.n for group in audit.groups),
                       promotion_ready=sum(group.favourable for group in audit.groups))
        lowest = next((group for group in audit.groups if group.group == audit.lowest_group), None)
        if lowest is not None and audit.reference_group and audit.reference_group != audit.lowest_group:
            figures.update(lowest_level=str(lowest.group), lowest_level_n=lowest.n,
                           lowest_level_ready=lowest.favourable)
    attrition = view.attrition
    if attrition.population:
        figures.update(leavers=attrition.leavers, regretted=attrition.regretted)
    return BriefFigures(**figures)


def recommend_for_brief(view: Any) -> ShownRecommendation:
    """The brief's closing recommendation for ``view``, with the decision already taken on it, if any."""
    recommendation = recommend_next_quarter(brief_figures(view))
    decision = (BriefRecommendation.objects.select_related("decided_by")
                .filter(fingerprint=fingerprint(view.cycle_id, recommendation)).first())
    return ShownRecommendation(recommendation, view.cycle_id, view.cycle_name or "", decision)


def decide_recommendation(*, actor: Person, shown: ShownRecommendation, decision: str,
                          reason: str) -> BriefRecommendation:
    """Accept or reject the recommendation the brief shows now; refused once it has been decided."""
    if not access.can_view_leadership_view(actor):
        raise RecommendationError(ERR_NOT_ALLOWED)
    if decision not in BriefRecommendation.Decision.values:
        raise RecommendationError(ERR_DECISION)
    reason = reason.strip()
    if not reason:
        raise RecommendationError(ERR_REASON)
    if len(reason) > 2000:
        raise RecommendationError(ERR_REASON_TOO_LONG)
    if shown.decision is not None:
        raise _already(shown.decision)
    recommendation = shown.recommendation
    try:
        with transaction.atomic():
            row = BriefRecommendation.objects.create(
                fingerprint=shown.fingerprint, cycle_id=shown.cycle_id, cycle_name=shown.cycle_name,
                rule=recommendation.rule, text=recommendation.text,
                evidence=[asdict(item) for item in recommendation.evidence], decision=decision, reason=reason,
                decided_by=actor)
            log_action(f"policy.recommendation.{decision}", actor, row, {
                "rule": recommendation.rule, "cycle": shown.cycle_id, "reason": reason})
    except IntegrityError:
        # Someone decided the same recommendation a moment earlier.
        raise _already(BriefRecommendation.objects.select_related("decided_by")
                       .get(fingerprint=shown.fingerprint)) from None
    return row


def _already(row: BriefRecommendation) -> RecommendationError:
    return RecommendationError(ERR_ALREADY_DECIDED.format(
        decision=row.get_decision_display().lower(), name=row.decided_by.name if row.decided_by else "someone",
        day=row.decided_at.date().isoformat()))
