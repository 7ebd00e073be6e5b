"""The leadership view's rollups: outcome patterns per decided cycle and organisation-wide figures,
each per minimum cohort (a policy change starts new ones)."""

from __future__ import annotations

from brightline.governance import leadership, system_health
from brightline.rollups.registry import Source, register


def _cycle_keys() -> list[str]:
    from brightline.fairness.decisions import auditable_cycles
    from brightline.policy.services import min_cohort_size

    # With no decided cycle the leadership view reads the figures of "no cycle" (key 0): declared too, so that a
    # refresh computes them and no page has to.
    return [f"{cycle.pk}:{min_cohort_size()}" for cycle in auditable_cycles()] or [f"0:{min_cohort_size()}"]


def _organisation_keys() -> list[str]:
    from brightline.policy.services import min_cohort_size

    return [str(min_cohort_size())]


register(Source(
    kind=leadership.CYCLE_ROLLUP, description="outcome patterns per decided review cycle",
    every_key=_cycle_keys, compute=leadership.cycle_figures, slow=True,
    triggers=("reviews.cycle.", "reviews.memo.", "reviews.appeal.outcome_changed", "people.person.",
              "people.team.", "demo.loaded")))
register(Source(
    kind=leadership.ORGANISATION_ROLLUP, description="promotion velocity, attrition, improvement after feedback",
    every_key=_organisation_keys, compute=leadership.organisation_figures, slow=True,
    triggers=("reviews.cycle.", "people.person.", "fairness.hris_events.", "fairness.survey_answers.",
              "demo.loaded")))
register(Source(
    kind=system_health.HEALTH_NEXT_TO_DELIVERY_ROLLUP,
    description="system health next to delivery, per team and quarter",
    every_key=_organisation_keys, slow=True,
    compute=lambda key: system_health.health_next_to_delivery(min_cohort=int(key)),
    triggers=("evidence.", "people.person.", "people.team.", "fairness.hris_events.", "fairness.survey_answers.",
              "demo.loaded")))
