"""Fairness JSON API (mounted at ``/api/fairness``): the leadership aggregates, the outcome audit of a
cycle, the LL144-shaped report and the AI-system record. Same access rules as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError

from brightline import access
from brightline.core.fairness import FairnessInputError
from brightline.fairness import compliance, decisions, leadership
from brightline.fairness.audits import run_outcome_audits
from brightline.fairness.demographics import DemographicsError, has_demographics
from brightline.policy.services import min_cohort_size

router = Router(tags=["fairness"])

ERR_FORBIDDEN_AUDITS = "Fairness audits and compliance reports are for people partners."
ERR_FORBIDDEN_AGGREGATES = "Organisation aggregates are for leaders and people partners."
ERR_NO_CYCLE = "No review cycle {cycle} that has reached the decision memo."


def _cycle(cycle_id: int) -> Any:
    cycle = next((cycle for cycle in decisions.auditable_cycles() if cycle.pk == cycle_id), None)
    if cycle is None:
        raise HttpError(404, ERR_NO_CYCLE.format(cycle=cycle_id))
    return cycle


@router.get("/leadership", summary="Leadership aggregates: published cells only, with the executive brief")
def leadership_aggregates(request: HttpRequest, cycle: str | None = None) -> dict[str, Any]:
    """``cycle``: a decided cycle's id; by default the latest decided cycle with the minimum cohort of people."""
    viewer = request.auth  # type: ignore[attr-defined]
    if not access.can_view_leadership_view(viewer):
        raise HttpError(403, ERR_FORBIDDEN_AGGREGATES)
    try:
        view = leadership.build_leadership_view(min_cohort=min_cohort_size(), cycle=cycle)
    except leadership.UnknownCycle as error:
        raise HttpError(404, str(error)) from None
    shown = next((choice for choice in view.cycles if choice.id == view.cycle_id), None)
    return {
        "min_cohort": view.min_cohort,
        "as_of": view.as_of.isoformat() if view.as_of else None,
        "cycle": shown.to_json() if shown else None,
        "cycles": [choice.to_json() for choice in view.cycles],
        "comparisons_withheld": view.comparisons_withheld,
        "brief": [{"text": s.text, "evidence": [e.__dict__ for e in s.evidence]} for s in view.brief],
        "teams": [{"team": row.label, "headcount": row.headcount, "withheld": row.headcount is None,
                   **({} if row.headcount is None else {
                       "deployments_per_week": row.deployments_per_week, "change_fail_rate": row.change_fail_rate,
                       "outside_hours_share": row.outside_hours_share})} for row in view.teams],
        "promotion_by_level": view.promotion_by_level.to_json() if view.promotion_by_level else None,
        "calibration": view.calibration.to_json() if view.calibration else None,
        "calibration_withheld": view.calibration_withheld,
        "promotion_velocity": view.velocity.to_json(),
        "four_fifths_flags": len(view.flags), "comparisons": view.comparisons,
        "improvement_after_feedback": [{"cycle_name": row.cycle_name, **row.summary.to_json()}
                                       for row in view.improvement],
        "feedback_themes": [row.to_json() for row in leadership.feedback_themes(viewer)],
    }


@router.get("/cycles/{cycle_id}/outcome-audit", summary="Outcome audit of a decided cycle (people partners)")
def cycle_outcome_audit(request: HttpRequest, cycle_id: int) -> dict[str, Any]:
    viewer = request.auth  # type: ignore[attr-defined]
    if not access.can_run_fairness_audits(viewer):
        raise HttpError(403, ERR_FORBIDDEN_AUDITS)
    table = decisions.table_from_cycle(_cycle(cycle_id), viewer=viewer, include_protected=has_demographics(),
                                       via="api")
    results = run_outcome_audits(table, actor=viewer, min_cohort=min_cohort_size())
    return {"source": table.source, "people": len(table.rows), "results": [result.to_json() for result in results]}


@router.get("/cycles/{cycle_id}/ll144", summary="LL144-shaped bias audit of promotion decisions (people partners)")
def cycle_ll144(request: HttpRequest, cycle_id: int) -> dict[str, Any]:
    viewer = request.auth  # type: ignore[attr-defined]
    if not access.can_run_fairness_audits(viewer):
        raise HttpError(403, ERR_FORBIDDEN_AUDITS)
    table = decisions.table_from_cycle(_cycle(cycle_id), viewer=viewer, include_protected=True, via="api")
    try:
        return compliance.build_ll144_report(table, min_cohort=min_cohort_size()).to_json()
    except (FairnessInputError, DemographicsError) as error:
        raise HttpError(400, str(error)) from None


@router.get("/ai-system-record", summary="EU AI Act record generated from the live configuration (people partners)")
def ai_system_record(request: HttpRequest) -> dict[str, Any]:
    viewer = request.auth  # type: ignore[attr-defined]
    if not access.can_run_fairness_audits(viewer):
        raise HttpError(403, ERR_FORBIDDEN_AUDITS)
    return compliance.build_ai_system_record().to_json()
