"""Builders shared by the reviews and support tests: evidence, trained managers, a cycle at a given phase.

The cycle covers the Payments team (Mo, Erin, Pat; Mo reports to Lee). The panel is Lee, Oscar and
Olga: Lee sits in the chain of everyone on the cycle and is excluded from every decision.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from brightline.evidence.models import EvidenceItem
from brightline.people.models import Dimension, Person, Team
from brightline.reviews import services
from brightline.reviews.models import Phase, Review, ReviewCycle

SCHEDULE = {
    "evidence": "2026-09-30", "self_review": "2026-10-07", "manager_assessment": "2026-10-21",
    "calibration": "2026-10-31", "decision_memo": "2026-11-07", "release": "2026-11-14",
    "acknowledgement": "2026-11-28",
}
IN_WINDOW = dt.date(2026, 11, 20)
AFTER_WINDOW = dt.date(2026, 11, 29)

_refs = itertools.count(1)


def make_evidence(person: Person, count: int = 3) -> list[EvidenceItem]:
    return [EvidenceItem.objects.create(
        kind=EvidenceItem.Kind.MERGED_CHANGE, title=f"Change {index} by {person.name}", person=person,
        team=person.team, occurred_at=timezone.now(), source="manual", source_ref=f"test-{next(_refs)}")
        for index in range(count)]


def train(manager: Person) -> None:
    """Pass the feedback app's manager readiness module (E10) for real."""
    from brightline.feedback import services as feedback_services
    from brightline.feedback import training

    feedback_services.record_training_attempt(actor=manager,
                                              answers={q.key: q.correct for q in training.QUESTIONS})


def olga() -> Person:
    return Person.objects.get(employee_id="E-olga")


def open_payments_cycle(personas, **overrides) -> ReviewCycle:
    options = {"name": "2026 H2", "schedule": SCHEDULE, "teams": [Team.objects.get(slug="payments")]}
    options.update(overrides)
    return services.open_cycle(actor=personas.pia, **options)


def advance_to(cycle: ReviewCycle, phase: str, actor: Person) -> ReviewCycle:
    while cycle.phase != phase:
        cycle = services.advance_cycle(cycle, actor=actor)
    return cycle


def assess(review: Review, manager: Person, outcome: str = "meets", *, evidence: list[EvidenceItem] | None = None,
           submit: bool = True) -> Review:
    items = evidence or make_evidence(review.person, 2)
    cited = " ".join(item.citation for item in items)
    for dimension in Dimension.values:
        services.save_assessment(review, actor=manager, dimension=dimension, outcome=outcome,
                                 rationale=f"Led the rollout that cut failed payouts by 30% for 2 teams {cited}.")
    services.save_manager_narrative(review, actor=manager, narrative=services.ManagerNarrative(
        summary=f"Owned the payouts retry work {items[0].citation}.", promotion_readiness="not_yet",
        promotion_rationale="Next-level scope not yet shown consistently."))
    if submit:
        services.submit_assessment(review, actor=manager)
    return review


def cycle_in_calibration(personas, *, panel: list[Person] | None = None) -> ReviewCycle:
    """Payments cycle with every assessment submitted (everyone 'meets') and the panel seated (Lee, Oscar and Olga
    unless ``panel`` says otherwise)."""
    train(personas.mo)
    train(personas.lee)
    cycle = open_payments_cycle(personas)
    services.set_panel(cycle, actor=personas.pia, members=panel or [personas.lee, personas.oscar, olga()])
    cycle = advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    for review in cycle.reviews.select_related("person", "manager"):
        assess(review, review.manager)
    return advance_to(cycle, Phase.CALIBRATION, personas.pia)


def pre_vote_all(review: Review, panelists: list[Person], outcome: str = "meets") -> None:
    for panelist in panelists:
        for dimension in Dimension.values:
            services.record_pre_vote(review, panelist=panelist, dimension=dimension, outcome=outcome)


def review_of(cycle: ReviewCycle, person: Person) -> Review:
    return cycle.reviews.get(person=person)
