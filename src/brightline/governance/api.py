"""Governance JSON API (mounted at ``/api/governance``): the leadership aggregates. Same access rules as
the pages. ``/api/fairness/leadership``, where it was first published, answers the same."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from brightline import access
from brightline.apierrors import ErrorOut
from brightline.core.fairness import is_small_cell
from brightline.governance import leadership, system_health
from brightline.policy import recommendations
from brightline.policy.services import min_cohort_size
from brightline.rollups import services as rollups

router = Router(tags=["governance"])
# The address the leadership aggregates had before they moved out of the fairness app; mounted at /fairness.
moved_router = Router(tags=["governance"])

ERR_FORBIDDEN_AGGREGATES = "Organisation aggregates are for leaders and people partners."


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
        "promotion_by_level": _small_cells_withheld(view.promotion_by_level.to_json())
        if view.promotion_by_level else None,
        "calibration": _small_cells_withheld(view.calibration.to_json()) if view.calibration else None,
        "calibration_withheld": view.calibration_withheld,
        "promotion_velocity": view.velocity.to_json(),
        "four_fifths_flags": len(view.flags), "comparisons": view.comparisons,
        "improvement_after_feedback": [{"cycle_name": row.cycle_name, **row.summary.to_json()}
                                       for row in view.improvement],
        "feedback_themes": [row.to_json() for row in leadership.feedback_themes(viewer)],
        "recommendation": view.recommendation.to_json() if view.recommendation else None,
    }


def _small_cells_withheld(data: Any) -> Any:
    """The leadership figures as the page shows them: a count of 1 or 2 people with an outcome (``favourable``, or
    calibration's ``changed``) becomes null with its rate and interval, marked ``small_cell``; an audit comparing
    such a group loses its exact ratio and difference (they would give the count back), keeping its flag."""
    if isinstance(data, list):
        return [_small_cells_withheld(item) for item in data]
    if not isinstance(data, dict):
        return data
    data = {key: _small_cells_withheld(value) for key, value in data.items()}
    if isinstance(data.get("people_changed"), int):
        # Calibration's directions, as the page says them: none while the changes concern fewer than 3 people
        # (nor the spread); no split while one direction is a small cell (beside the others it gives it back).
        raised, lowered, moved = data.get("people_raised", 0), data.get("people_lowered", 0), data["people_changed"]
        if (moved == 0 and data.get("changed")) or is_small_cell(moved):
            data.update(shift_variance=None)
        if (moved == 0 and data.get("changed")) or any(is_small_cell(count) for count in (raised, lowered, moved)):
            data.update({key: None for key in ("raised", "lowered", "unchanged", "people_raised", "people_lowered",
                                               "people_changed", "people_unchanged")}, direction_withheld=True)
    for count in ("favourable", "changed"):
        if isinstance(data.get(count), int) and is_small_cell(data[count]):
            data.update({count: None, "small_cell": True},
                        **{key: None for key in ("rate", "change_rate", "ci_low", "ci_high") if key in data})
    groups = data.get("groups")
    if isinstance(groups, list) and any(isinstance(group, dict) and group.get("small_cell")
                                        and group.get("group") in (data.get("lowest_group"),
                                                                   data.get("reference_group"))
                                        for group in groups):
        data.update(impact_ratio=None, rate_difference=None)
    return data


class RecommendationDecisionIn(Schema):
    decision: str = Field(description="accepted or rejected")
    reason: str = Field(max_length=2000)
    cycle: str | None = Field(None, description="the brief's cycle id, as for GET /leadership")


@router.post("/leadership/recommendation", response={201: dict[str, Any], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Accept or reject the recommendation that ends the brief of this cycle, with a reason")
def decide_brief_recommendation(request: HttpRequest, payload: RecommendationDecisionIn) -> Status[Any]:
    viewer = request.auth  # type: ignore[attr-defined]
    if not access.can_view_leadership_view(viewer):
        raise HttpError(403, ERR_FORBIDDEN_AGGREGATES)
    try:
        view = leadership.build_leadership_view(min_cohort=min_cohort_size(), cycle=payload.cycle)
    except leadership.UnknownCycle as error:
        raise HttpError(404, str(error)) from None
    if view.recommendation is None:
        return Status(400, {"detail": recommendations.ERR_NO_RECOMMENDATION})
    try:
        row = recommendations.decide_recommendation(actor=viewer, shown=view.recommendation,
                                                    decision=payload.decision, reason=payload.reason)
    except recommendations.RecommendationError as error:
        return Status(400, {"detail": str(error)})
    return Status(201, {"decision": row.decision, "reason": row.reason, "rule": row.rule, "text": row.text,
                        "decided_by": viewer.name, "decided_at": row.decided_at.isoformat()})



@router.get("/system-health", summary="System health per team next to its delivery outcomes, quarter by quarter")
def system_health_by_team(request: HttpRequest) -> dict[str, Any]:
    """Per team large enough to show and per quarter: movements, clarity and working-hours health beside the
    team's DORA figures over the same days. An association to look into, not a cause (``caution``)."""
    viewer = request.auth  # type: ignore[attr-defined]
    if not access.can_view_aggregates(viewer):
        raise HttpError(403, ERR_FORBIDDEN_AGGREGATES)
    min_cohort = min_cohort_size()
    stored = rollups.read_one(system_health.HEALTH_NEXT_TO_DELIVERY_ROLLUP, str(min_cohort))
    return {"min_cohort": min_cohort, "as_of": stored.as_of.isoformat(),
            "health_and_delivery": stored.value.to_json()}


moved_router.post("/leadership/recommendation", response={201: dict[str, Any], 400: ErrorOut, 403: ErrorOut,
                  404: ErrorOut}, summary="Decide the brief's recommendation (former address)",
                  operation_id="fairness_decide_brief_recommendation", deprecated=True)(decide_brief_recommendation)
moved_router.get("/leadership", summary="Leadership aggregates (former address of /governance/leadership)",
                 operation_id="fairness_leadership_aggregates", deprecated=True)(leadership_aggregates)
