"""Decision memos (E5)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from brightline import access
from brightline.audit.services import log_action
from brightline.insights.models import Signal
from brightline.people.models import Person
from brightline.reviews.models import (
    CalibrationChange,
    DecisionMemo,
    Phase,
    Review,
)
from brightline.reviews.services.calibration import pre_votes_complete
from brightline.reviews.services.common import ERR_NOT_PEOPLE_PARTNER, _require, _require_phase

ERR_ACCOUNTABLE = "the person finally accountable must be an active person other than {person}"


def _ai_disagreements(review: Review) -> list[dict[str, Any]]:
    """Where people disagreed with the AI in this review (E5): the signals of the review's own decision space that a
    human dismissed — those its packet cites and the checks of its packet's claims. A signal the person dismissed
    in her growth space stays there (principle 7: what reaches a decision is what the review cites), so her
    coaching conversation with the AI never turns up in her decision memo."""
    cited = [int(object_id) for object_id in review.packet_items.filter(kind="signal").values_list(
        "object_id", flat=True) if str(object_id).isdigit()]
    in_review = Q(pk__in=cited) | Q(detail__packet__review=review.pk)
    return [{"signal": f"signal:{signal.pk}", "summary": signal.summary[:300], "status": "dismissed",
             "reason": signal.review_note or ""}
            for signal in Signal.objects.filter(in_review, person=review.person, status=Signal.Status.DISMISSED)]


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
