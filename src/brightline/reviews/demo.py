"""Demo history: two past review cycles for the demo organisation, run through the real services.

Deterministic (``context.rng``). Every outcome cites evidence; one calibration change with its
reason, one adverse outcome with its second approver, one appeal decided outside the chain.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from brightline.evidence.models import EvidenceItem
from brightline.people.models import AccessRole, Dimension, Person
from brightline.reviews import services
from brightline.reviews.models import Phase, Review, ReviewCycle

CYCLES = (
    ("2025 H2 review", dt.date(2025, 9, 1)),
    ("2026 H1 review", dt.date(2026, 3, 2)),
)
PHASE_DAYS = (("evidence", 14), ("self_review", 21), ("manager_assessment", 35), ("calibration", 42),
              ("decision_memo", 49), ("release", 56), ("acknowledgement", 70))

RATIONALE = {
    "technical_excellence": "Kept {service} changes small and well tested {cites}; reviews rarely needed a "
                            "second round.",
    "delivery_results": "Delivered the committed work for the half on the dates agreed with the team {cites}.",
    "judgment_communication": "Wrote down trade-offs before building and shared them with the affected teams {cites}.",
    "leadership": "Helped newer teammates through their first on-call weeks {cites}.",
}
EXCEEDS = {
    "technical_excellence": "Redesigned the retry path so failed payouts fell by half across 3 services {cites}.",
    "delivery_results": "Shipped two quarters of roadmap in one half without extra incidents {cites}.",
    "judgment_communication": "Settled a cross-team design dispute with a written comparison of 3 options {cites}.",
    "leadership": "Ran the incident reviews for two neighbouring teams, beyond the level's scope {cites}.",
}
NEEDS_SUPPORT = ("Two of the three releases this half shipped without the agreed rollback plan {cites}; "
                 "both needed manual recovery.")


def _evidence_for(person: Person, rng: Any, today: dt.date) -> list[EvidenceItem]:
    items = list(EvidenceItem.objects.filter(person=person).order_by("id")[:3])
    kinds = [EvidenceItem.Kind.DESIGN_DOC, EvidenceItem.Kind.INCIDENT_DEBRIEF, EvidenceItem.Kind.CODE_REVIEW]
    while len(items) < 2:
        kind = kinds[len(items)]
        moment = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=rng.randint(30, 400)),
                                                         dt.time(10)))
        items.append(EvidenceItem.objects.create(
            kind=kind, title=f"{kind.label} by {person.name}", person=person, team=person.team,
            occurred_at=moment, source="demo-reviews", source_ref=f"{person.employee_id}-{len(items)}",
            summary="Written up for the review history of the demo organisation."))
    return items


def _train(manager: Person) -> None:
    if services.manager_training_complete(manager):
        return
    from brightline.feedback import services as feedback_services
    from brightline.feedback import training

    feedback_services.record_training_attempt(actor=manager, answers={q.key: q.correct for q in training.QUESTIONS})


def _assess(review: Review, rng: Any, evidence: list[EvidenceItem], *, adverse: bool, partner: Person) -> None:
    manager = review.manager
    assert manager is not None
    cites = " ".join(item.citation for item in evidence)
    service = review.team.name if review.team else "team"
    for dimension in Dimension.values:
        roll = rng.random()
        if adverse and dimension == Dimension.DELIVERY_RESULTS:
            outcome, text = "needs_support", NEEDS_SUPPORT
        elif roll < 0.18:
            outcome, text = "exceeds", EXCEEDS[dimension]
        else:
            outcome, text = "meets", RATIONALE[dimension]
        services.save_assessment(review, actor=manager, dimension=dimension, outcome=outcome,
                                 rationale=text.format(cites=cites, service=service))
    has_next = review.level is not None and review.level.next_level() is not None
    services.save_manager_narrative(review, actor=manager, narrative=services.ManagerNarrative(
        summary=f"{review.person.name} owned their area of {service} this half {evidence[0].citation}.",
        promotion_readiness="not_yet" if has_next else "not_assessed",
        promotion_rationale="Next-level scope shown in places, not yet consistently." if has_next else ""))
    if adverse:
        services.approve_adverse_assessment(review, approver=partner,
                                            reason="Read both release records; the missing rollback plans are real.")
    services.submit_assessment(review, actor=manager)


def _run_cycle(context: Any, name: str, start: dt.date, panel: list[Person], *, adverse_person: Person | None,
               change_person: Person, appeal_person: Person | None) -> ReviewCycle:
    rng, partner = context.rng, context.personas["pia"]
    schedule = {phase: (start + dt.timedelta(days=days)).isoformat() for phase, days in PHASE_DAYS}
    cycle = services.open_cycle(actor=partner, name=name, schedule=schedule)
    services.set_panel(cycle, actor=partner, members=panel)
    for _ in range(2):
        cycle = services.advance_cycle(cycle, actor=partner)
    for review in cycle.reviews.select_related("person", "manager", "level", "team").order_by("person__employee_id"):
        _train(review.manager)
        evidence = _evidence_for(review.person, rng, context.today)
        _assess(review, rng, evidence, adverse=review.person == adverse_person, partner=partner)
    cycle = services.advance_cycle(cycle, actor=partner)  # calibration
    target = cycle.reviews.get(person=change_person)
    eligible = services.eligible_panelists(target)
    for panelist in eligible:
        for dimension in Dimension.values:
            services.record_pre_vote(target, panelist=panelist, dimension=dimension,
                                     outcome="exceeds" if dimension == "leadership" and panelist == eligible[0]
                                     else "meets")
    assessment = target.assessments.get(dimension="leadership")
    if assessment.outcome != "exceeds":
        refs = [item.reference for item in target.packet_items.filter(kind="evidence_item")]
        services.record_calibration_change(
            assessment, actor=eligible[0], to_outcome="exceeds", citations=refs, seen_version=assessment.version,
            reason="The incident debrief shows them leading the review for a neighbouring team, which the IC "
                   "criteria place at the next level; the manager's text did not weigh it.")
    cycle = services.advance_cycle(cycle, actor=partner)  # decision memo
    for review in cycle.reviews.select_related("manager__manager"):
        accountable = review.manager.manager if review.manager and review.manager.manager else partner
        services.generate_decision_memo(review, actor=partner, accountable=accountable)
    cycle = services.advance_cycle(cycle, actor=partner)  # release
    for review in cycle.reviews.select_related("person").order_by("person__employee_id"):
        if rng.random() < 0.85:
            services.acknowledge_review(review, actor=review.person)
    cycle = services.advance_cycle(cycle, actor=partner)  # acknowledgement
    if appeal_person is not None:
        review = cycle.reviews.get(person=appeal_person)
        appeal = services.file_appeal(review, actor=appeal_person, today=start + dt.timedelta(days=60),
                                      context="The delivery outcome does not mention the ledger migration I led; "
                                              "it is in the packet as a design document.")
        reviewer = next(p for p in panel if services.access.can_review_appeal(p, review))
        services.assign_appeal_reviewer(appeal, actor=partner, reviewer=reviewer)
        services.decide_appeal(appeal, reviewer=reviewer, decision="upheld",
                               reason="The migration is in the packet and was weighed in calibration; 'meets' "
                                      "matches the written criteria for the level.")
        services.close_appeal(appeal, actor=appeal_person)
    return services.advance_cycle(cycle, actor=partner)  # closed


def build_demo_history(context: Any) -> None:
    personas = context.personas
    people = sorted(context.people, key=lambda p: p.employee_id)
    managers = [p for p in people if p.reports.exists() and p.access_role == AccessRole.EMPLOYEE
                and p.pk != personas["mo"].pk]
    first_panel = context.rng.sample(managers, 3)
    rest = [p for p in managers if p not in first_panel]
    second_panel = [first_panel[0], *context.rng.sample(rest, 2)]
    legacy = [p for p in people if p.team is not None and p.team.slug == "billing-legacy"
              and not p.reports.exists()]
    _run_cycle(context, CYCLES[0][0], CYCLES[0][1], first_panel, adverse_person=legacy[0],
               change_person=personas["pat"], appeal_person=None)
    _run_cycle(context, CYCLES[1][0], CYCLES[1][1], second_panel, adverse_person=None,
               change_person=personas["erin"], appeal_person=personas["pat"])
    assert ReviewCycle.objects.filter(phase=Phase.CLOSED).count() >= 2
