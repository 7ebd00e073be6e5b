"""Demo history: two past review cycles for the demo organisation, run through the real services.

Deterministic (``context.rng``). Every outcome cites evidence; one calibration change with its
reason, one adverse outcome with its second approver, one appeal decided outside the chain.

Time: the services stamp what they create with the real clock; each cycle's records are then moved to
the days of its schedule, so a 2025 review reads as written in 2025 and nothing happens after the
demo's "today". The opening days are written on the demo's reference calendar and moved onto the
calendar of the day the demo is built for; each cycle is named after the half-year it opens in.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from typing import Any

from django.db.models import F

from brightline.core.demo_calendar import half_year_name, on_demo_calendar
from brightline.evidence.demo import SERVICES as DEMO_SERVICES
from brightline.evidence.models import EvidenceItem
from brightline.people.models import AccessRole, Dimension, Person
from brightline.reviews import services
from brightline.reviews.models import (
    Appeal,
    AppealMessage,
    CalibrationChange,
    ConflictOfInterest,
    DecisionMemo,
    DimensionAssessment,
    PacketItem,
    PanelMember,
    Phase,
    PreVote,
    Review,
    ReviewCycle,
)

# The two decided cycles' opening days, oldest first (on the reference calendar: "2025 H2", "2026 H1").
CYCLE_STARTS = (dt.date(2025, 9, 1), dt.date(2026, 3, 2))
# The cycle in progress on the demo's "today" (day 28: manager assessment), for the Payments team: a draft
# packet whose claims the insights layer checks for missing evidence.
DRAFT_CYCLE_START = dt.date(2026, 10, 5)


def demo_cycle_names(today: dt.date) -> tuple[str, str, str]:
    """The names of the demo's cycles for a demo built for ``today``: the two decided ones, then the draft.

    The draft is named after the half-year it opens in and the decided ones after the two halves before it.
    """
    opens = on_demo_calendar(DRAFT_CYCLE_START, today)
    older, decided, draft = (f"{half_year_name(opens, before)} review" for before in (2, 1, 0))
    return older, decided, draft
DRAFT_SELF_REVIEW = ("This half I took over the payouts retry work from Pat and became the person the team asks "
                     "about on-call. I also wrote the onboarding notes the two new joiners used.")
DRAFT_ASSESSMENTS = {
    # dimension: (outcome, rationale, titles of Erin's items it cites); "{cites}" becomes their citations.
    "delivery_results": ("meets", "Shipped idempotent card captures and the per-currency FX rate cache on the dates "
                                  "agreed {cites}.", ("Idempotent card captures", "Cache FX rates per currency pair")),
    "technical_excellence": ("meets", "The retry change for card authorisation came with a contract test that guards "
                                      "the idempotency key {cites}.", ("Idempotent retries for card authorisation",)),
    "leadership": ("exceeds", "Became the go-to person for on-call questions and helped both new joiners settle in.",
                   ()),
}
DRAFT_SUMMARY = "Erin grew into the payouts area this half and is ready for broader scope."
# How far back a review looks: the half-year before its cycle opens.
HALF_DAYS = 183
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


class CycleTimeline:
    """Moments on a cycle's calendar: day 0 is the cycle's start, the schedule's dates end each phase.

    Drawn from its own generator (seeded from the demo's, which it never draws from), on weekdays,
    in working hours (UTC).
    """

    def __init__(self, start: dt.date, rng: random.Random):
        self.start = start
        self.rng = rng

    def day(self, offset: int) -> dt.date:
        return self.start + dt.timedelta(days=offset)

    def at(self, offset: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(self.day(offset), dt.time(hour, minute), tzinfo=dt.UTC)

    def phase_end(self, phase: str) -> int:
        return dict(PHASE_DAYS)[phase]

    def workday(self, first: int, last: int) -> dt.datetime:
        """A working-hours moment on a weekday between day ``first`` and day ``last`` (inclusive)."""
        days = [offset for offset in range(first, last + 1) if self.day(offset).weekday() < 5] or [first]
        return self.at(self.rng.choice(days), self.rng.randint(9, 16), self.rng.randrange(60))


def timeline_rng(context: Any, salt: str) -> random.Random:
    """A generator for timestamps, seeded from the demo's generator without drawing from it."""
    return random.Random(f"{salt}:{context.rng.getstate()!r}")


# What a demo engineer wrote up for a review, as a real item reads: a design document and an incident debrief
# about their team's service, chosen by the person (a stable hash of their employee id, not the demo's generator,
# so the rest of the demo draws what it drew before the titles were written).
WRITTEN_UP: dict[str, tuple[tuple[str, str], ...]] = {
    EvidenceItem.Kind.DESIGN_DOC: (
        ("Design: retries with backoff for {service}", "Weighed three retry schemes; the team chose capped "
         "exponential backoff with jitter."),
        ("Design: splitting the slowest endpoint of {service}", "Moved the report export off the request path "
         "onto a queue."),
        ("Design: a read cache in front of {service}", "What may be stale and for how long, agreed with the "
         "teams that call it."),
        ("Design: schema change for {service} without downtime", "Expand, migrate, contract: each step safe to "
         "roll back."),
        ("Design: feature flags for {service} releases", "Releases ship dark and are turned on team by team."),
        ("Design: moving the nightly batch of {service} to events", "Replaces a nightly job that overran on "
         "busy days."),
    ),
    EvidenceItem.Kind.INCIDENT_DEBRIEF: (
        ("Debrief: {service} latency spike after a dependency upgrade", "Timeline, cause and the follow-ups: "
         "a canary step and a pinned version."),
        ("Debrief: {service} queue backlog during peak traffic", "Workers scaled by queue depth now, not by "
         "processor load."),
        ("Debrief: a failed {service} release rolled back", "The migration ran before the code that needed it; "
         "the pipeline now checks the order."),
        ("Debrief: {service} errors above their objective for an afternoon", "A retry storm from one caller; "
         "limits per caller added."),
        ("Debrief: an expired certificate on {service}", "Renewal is automated and alerts a month ahead."),
        ("Debrief: {service} disk filled by debug logging", "Log levels reset on deploy; disk alerts moved "
         "earlier."),
    ),
}
# The service a team's items are about (the demo's delivery history builds these services).
TEAM_SERVICE = {slug: services[0][0] for slug, services in DEMO_SERVICES.items()}


def _written_up(person: Person, kind: str, index: int) -> tuple[str, str]:
    """The title and summary of a demo engineer's written-up item of ``kind``."""
    choices = WRITTEN_UP[kind]
    title, summary = choices[(zlib.crc32(person.employee_id.encode()) + index) % len(choices)]
    service = TEAM_SERVICE.get(person.team.slug, "the team's service") if person.team else "the team's service"
    return title.format(service=service), summary


def _evidence_for(person: Person, rng: Any, today: dt.date, *, cycle_start: dt.date) -> list[EvidenceItem]:
    """The items a past review of ``person`` cites: work of the half before its cycle opened, most recent first.

    The demo's generator is drawn exactly as before this rule existed (so the rest of the demo is unchanged);
    when the person has too little work from before the cycle, write-ups dated in the months before it are
    added, from a generator of their own. They fall outside the signals' half-year window, so the current
    half's missing-evidence checks are what they were."""
    items = list(EvidenceItem.objects.filter(person=person).order_by("id")[:3])
    kinds = [EvidenceItem.Kind.DESIGN_DOC, EvidenceItem.Kind.INCIDENT_DEBRIEF, EvidenceItem.Kind.CODE_REVIEW]
    while len(items) < 2:
        kind = kinds[len(items)]
        moment = dt.datetime.combine(today - dt.timedelta(days=rng.randint(30, 400)), dt.time(10), tzinfo=dt.UTC)
        title, summary = _written_up(person, kind, len(items))
        items.append(EvidenceItem.objects.create(
            kind=kind, title=title, person=person, team=person.team, occurred_at=moment, source="demo-reviews",
            source_ref=f"{person.employee_id}-{len(items)}", summary=summary))
    opened = dt.datetime.combine(cycle_start, dt.time(0), tzinfo=dt.UTC)
    half = EvidenceItem.objects.filter(person=person, occurred_at__lt=opened,
                                       occurred_at__gte=opened - dt.timedelta(days=HALF_DAYS))
    cited = list(half.order_by("-occurred_at", "id")[:len(items)])
    earlier = random.Random(f"{person.employee_id}:{cycle_start.isoformat()}")
    while len(cited) < len(items):
        kind = kinds[len(cited) % 2]
        moment = dt.datetime.combine(cycle_start - dt.timedelta(days=earlier.randint(20, 160)), dt.time(10),
                                     tzinfo=dt.UTC)
        title, summary = _written_up(person, kind, len(cited) + 2)
        cited.append(EvidenceItem.objects.create(
            kind=kind, title=title, person=person, team=person.team, occurred_at=moment, source="demo-reviews",
            source_ref=f"{person.employee_id}-{cycle_start.isoformat()}-{len(cited)}", summary=summary))
    return cited


def _train(manager: Person, timeline: CycleTimeline) -> None:
    """Managers pass the readiness module (E10) in the weeks before their first cycle."""
    if services.manager_training_complete(manager):
        return
    from brightline.feedback import services as feedback_services
    from brightline.feedback import training
    from brightline.feedback.models import TrainingAttempt

    attempt = feedback_services.record_training_attempt(actor=manager,
                                                        answers={q.key: q.correct for q in training.QUESTIONS})
    TrainingAttempt.objects.filter(pk=attempt.pk).update(created_at=timeline.workday(-25, -3))


def _assess(review: Review, rng: Any, evidence: list[EvidenceItem], *, adverse: bool, partner: Person) -> None:
    manager = review.manager
    assert manager is not None
    cites = " ".join(item.citation for item in evidence)
    service = review.team.name if review.team else "team"
    exceeded = 0
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
        exceeded += outcome == "exceeds"
    has_next = review.level is not None and review.level.next_level() is not None
    # Readiness follows the evidence, never a share: whoever exceeded on two dimensions with enough cited
    # items is ready (so the promotion audits have selections to compare); the rest are "not yet".
    ready = has_next and not adverse and exceeded >= 2 and len(evidence) >= services.MIN_READINESS_EVIDENCE
    if ready:
        readiness, rationale = "ready", f"Next-level scope shown consistently across the half {cites}."
    elif has_next:
        readiness, rationale = "not_yet", "Next-level scope shown in places, not yet consistently."
    else:
        readiness, rationale = "not_assessed", ""
    services.save_manager_narrative(review, actor=manager, narrative=services.ManagerNarrative(
        summary=f"{review.person.name} owned their area of {service} this half {evidence[0].citation}.",
        promotion_readiness=readiness, promotion_rationale=rationale))
    if adverse:
        services.approve_adverse_assessment(review, approver=partner,
                                            reason="Read both release records; the missing rollback plans are real.")
    services.submit_assessment(review, actor=manager)


def _run_cycle(context: Any, name: str, start: dt.date, panel: list[Person], *, adverse_person: Person | None,
               change_person: Person, appeal_person: Person | None) -> ReviewCycle:
    rng, partner = context.rng, context.personas["pia"]
    timeline = CycleTimeline(start, timeline_rng(context, f"reviews:{name}"))
    schedule = {phase: (start + dt.timedelta(days=days)).isoformat() for phase, days in PHASE_DAYS}
    cycle = services.open_cycle(actor=partner, name=name, schedule=schedule)
    services.set_panel(cycle, actor=partner, members=panel)
    for _ in range(2):
        cycle = services.advance_cycle(cycle, actor=partner)
    for review in cycle.reviews.select_related("person", "manager", "level", "team").order_by("person__employee_id"):
        _train(review.manager, timeline)
        evidence = _evidence_for(review.person, rng, context.today, cycle_start=start)
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
    # Before the memos are written: they quote when each calibration change was made.
    _date_until_calibration(cycle, timeline)
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
        reviewer = next(p for p in panel if services.appeal_reviewer_refusal(p, review) is None)
        services.assign_appeal_reviewer(appeal, actor=partner, reviewer=reviewer)
        services.decide_appeal(appeal, reviewer=reviewer, decision="upheld",
                               reason="The migration is in the packet and was weighed in calibration; 'meets' "
                                      "matches the written criteria for the level.")
        services.close_appeal(appeal, actor=appeal_person)
    cycle = services.advance_cycle(cycle, actor=partner)  # closed
    _date_after_calibration(cycle, timeline)
    return cycle


def _date_until_calibration(cycle: ReviewCycle, timeline: CycleTimeline) -> None:
    """Opening, panel, assessments (with their packet items and adverse approvals), conflicts, pre-votes and
    calibration changes, each on the days of the schedule's phases."""
    ReviewCycle.objects.filter(pk=cycle.pk).update(opened_at=timeline.at(0, 9))
    PanelMember.objects.filter(cycle=cycle).update(added_at=timeline.at(0, 9, 30))
    assessing_from = timeline.phase_end(Phase.SELF_REVIEW) + 1
    calibration_starts = timeline.phase_end(Phase.MANAGER_ASSESSMENT)
    for review in cycle.reviews.order_by("person__employee_id"):
        submitted = timeline.workday(assessing_from, calibration_starts - 1)
        Review.objects.filter(pk=review.pk).update(
            assessment_submitted_at=submitted,
            self_review_submitted_at=None if review.self_review_submitted_at is None
            else submitted - dt.timedelta(days=7),
            adverse_approved_at=None if review.adverse_approved_at is None else submitted - dt.timedelta(minutes=30))
        DimensionAssessment.objects.filter(review=review).update(updated_at=submitted - dt.timedelta(hours=1))
        PacketItem.objects.filter(review=review).exclude(via="appeal").update(
            included_at=submitted - dt.timedelta(hours=2))
    # Ids first, then a plain update: PostgreSQL plans an UPDATE … WHERE id IN (a join) badly on fresh, unanalysed rows.
    conflict_ids = list(ConflictOfInterest.objects.filter(review__cycle=cycle).values_list("pk", flat=True))
    ConflictOfInterest.objects.filter(pk__in=conflict_ids).update(declared_at=timeline.at(calibration_starts, 9))
    memos_from = timeline.phase_end(Phase.CALIBRATION)
    for vote in PreVote.objects.filter(review__cycle=cycle).order_by("pk"):
        PreVote.objects.filter(pk=vote.pk).update(voted_at=timeline.workday(calibration_starts, memos_from - 3))
    changes = CalibrationChange.objects.filter(assessment__review__cycle=cycle,
                                               source=CalibrationChange.Source.CALIBRATION).order_by("pk")
    for change in changes:
        changed = timeline.workday(memos_from - 2, memos_from - 1)
        CalibrationChange.objects.filter(pk=change.pk).update(
            changed_at=changed, approved_at=None if change.approved_at is None else changed + dt.timedelta(hours=2))
        DimensionAssessment.objects.filter(pk=change.assessment_id).update(updated_at=changed)


def _date_after_calibration(cycle: ReviewCycle, timeline: CycleTimeline) -> None:
    """Memos, acknowledgements, appeals and the close, each on the days of the schedule's phases."""
    memos_from = timeline.phase_end(Phase.CALIBRATION)
    released = timeline.phase_end(Phase.DECISION_MEMO)
    window_opens = timeline.phase_end(Phase.RELEASE)
    for memo in DecisionMemo.objects.filter(review__cycle=cycle).order_by("review__person__employee_id"):
        DecisionMemo.objects.filter(pk=memo.pk).update(generated_at=timeline.workday(memos_from, released - 3))
    acknowledged = cycle.reviews.filter(acknowledged_at__isnull=False).order_by("person__employee_id")
    for review in acknowledged:
        Review.objects.filter(pk=review.pk).update(acknowledged_at=timeline.workday(released, window_opens - 1))
    for appeal in Appeal.objects.filter(review__cycle=cycle).order_by("pk"):
        filed_on = appeal.due_on - dt.timedelta(days=services.APPEAL_DECISION_DAYS)
        filed = dt.datetime.combine(filed_on, dt.time(11), tzinfo=dt.UTC)
        decided = filed + dt.timedelta(days=timeline.rng.randint(3, 9), hours=timeline.rng.randint(1, 5))
        Appeal.objects.filter(pk=appeal.pk).update(
            filed_at=filed, decided_at=None if appeal.decided_at is None else decided,
            escalated_at=None if appeal.escalated_at is None else decided + dt.timedelta(days=2),
            escalation_decided_at=None if appeal.escalation_decided_at is None else decided + dt.timedelta(days=9))
        AppealMessage.objects.filter(appeal=appeal).update(written_at=filed + dt.timedelta(days=1))
        PacketItem.objects.filter(review_id=appeal.review_id, via="appeal").update(included_at=decided)
        from_appeal = CalibrationChange.objects.filter(assessment__review_id=appeal.review_id,
                                                       source=CalibrationChange.Source.APPEAL)
        from_appeal.update(changed_at=decided)
        from_appeal.filter(approved_at__isnull=False).update(approved_at=decided + dt.timedelta(hours=2))
    closed = timeline.at(timeline.phase_end(Phase.ACKNOWLEDGEMENT), 17)
    ReviewCycle.objects.filter(pk=cycle.pk).update(phase_changed_at=closed, closed_at=closed)


def _draft_cycle(context: Any) -> ReviewCycle:
    """The Payments team's 2026 H2 review, in manager assessment on the demo's "today": Erin's self review
    and two of Mo's claims cite nothing yet, so her packet shows what the missing-evidence check finds."""
    personas = context.personas
    partner, erin, mo = personas["pia"], personas["erin"], personas["mo"]
    name, start = demo_cycle_names(context.today)[2], context.date(DRAFT_CYCLE_START)
    timeline = CycleTimeline(start, timeline_rng(context, f"reviews:{name}"))
    schedule = {phase: (start + dt.timedelta(days=days)).isoformat() for phase, days in PHASE_DAYS}
    cycle = services.open_cycle(actor=partner, name=name, schedule=schedule, teams=[erin.team])
    cycle = services.advance_cycle(cycle, actor=partner)  # self review
    review = cycle.reviews.get(person=erin)
    from brightline.feedback.models import Accomplishment

    chosen = list(Accomplishment.objects.filter(person=erin).order_by("pk").values_list("pk", flat=True)[:3])
    services.select_accomplishments(review, actor=erin, accomplishment_ids=chosen)
    services.submit_self_review(review, actor=erin, context=DRAFT_SELF_REVIEW)
    cycle = services.advance_cycle(cycle, actor=partner)  # manager assessment
    review.refresh_from_db()
    opened = dt.datetime.combine(start, dt.time(0), tzinfo=dt.UTC)
    for dimension, (outcome, rationale, titles) in DRAFT_ASSESSMENTS.items():
        # The items the sentence names, done before the cycle opened (the first two of hers if renamed).
        named = EvidenceItem.objects.filter(person=erin, title__in=titles, occurred_at__lt=opened).order_by("pk")
        cited = list(named) or list(EvidenceItem.objects.filter(person=erin).order_by("pk")[:2]) if titles else []
        services.save_assessment(review, actor=mo, dimension=dimension, outcome=outcome,
                                 rationale=rationale.format(cites=" ".join(item.citation for item in cited)))
    services.save_manager_narrative(review, actor=mo, narrative=services.ManagerNarrative(summary=DRAFT_SUMMARY))
    _date_draft_cycle(cycle, review, timeline)
    return cycle


def _date_draft_cycle(cycle: ReviewCycle, review: Review, timeline: CycleTimeline) -> None:
    """Opened on day 0, self review in its phase, the manager's drafts in the days before "today"."""
    evidence_ends, self_review_ends = timeline.phase_end(Phase.EVIDENCE), timeline.phase_end(Phase.SELF_REVIEW)
    ReviewCycle.objects.filter(pk=cycle.pk).update(opened_at=timeline.at(0, 9),
                                                   phase_changed_at=timeline.at(self_review_ends + 1, 9))
    assessment_ids = list(DimensionAssessment.objects.filter(review__cycle=cycle).values_list("pk", flat=True))
    DimensionAssessment.objects.filter(pk__in=assessment_ids).update(updated_at=timeline.at(0, 9))
    submitted = timeline.workday(evidence_ends + 1, self_review_ends - 1)
    Review.objects.filter(pk=review.pk).update(self_review_submitted_at=submitted)
    PacketItem.objects.filter(review=review, via="self_review").update(included_at=submitted - dt.timedelta(hours=1))
    drafted = timeline.workday(self_review_ends + 1, self_review_ends + 6)
    DimensionAssessment.objects.filter(review=review).exclude(proposed_outcome="").update(updated_at=drafted)
    PacketItem.objects.filter(review=review, via="assessment").update(included_at=drafted)


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
    names = demo_cycle_names(context.today)
    _run_cycle(context, names[0], context.date(CYCLE_STARTS[0]), first_panel, adverse_person=legacy[0],
               change_person=personas["pat"], appeal_person=None)
    _run_cycle(context, names[1], context.date(CYCLE_STARTS[1]), second_panel, adverse_person=None,
               change_person=personas["erin"], appeal_person=personas["pat"])
    assert ReviewCycle.objects.filter(phase=Phase.CLOSED).count() >= 2
    _draft_cycle(context)
    EvidenceItem.objects.filter(source="demo-reviews").update(created_at=F("occurred_at") + dt.timedelta(minutes=30))
