"""Demo history of the growth space: checkpoints, 1:1 notes, 360 feedback (one anonymous request
with enough answers to show text and themes), manager commentary, accomplishments citing
evidence, and one draft from evidence. Deterministic: no clock, no unseeded randomness.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from brightline.evidence.models import EvidenceItem
from brightline.feedback import services, training
from brightline.people.models import Person, Principle

if TYPE_CHECKING:
    from brightline.demo import DemoContext

PERIOD = "2026-H2"

# (key, person, kind, days before today, title, summary, metrics)
EVIDENCE = (
    ("retry", "erin", EvidenceItem.Kind.MERGED_CHANGE, 96, "Idempotent retries for card authorisation",
     "Retries now reuse the idempotency key, so a timed-out authorisation is never charged twice. Duplicate "
     "charges fell from 41 to 3 a week after release.", {"duplicate_charges_per_week_before": 41,
                                                         "duplicate_charges_per_week_after": 3}),
    ("debrief", "erin", EvidenceItem.Kind.INCIDENT_DEBRIEF, 71, "Debrief: settlement file delayed by 6 hours",
     "The nightly settlement export stalled on a lock held by a reporting query. Erin led the debrief; the "
     "export now runs against a replica and pages after 30 minutes instead of 4 hours.",
     {"time_to_detect_minutes_before": 240, "time_to_detect_minutes_after": 30}),
    ("ledger", "erin", EvidenceItem.Kind.DESIGN_DOC, 58, "Design: one ledger API for refunds and payouts",
     "Proposes a single ledger write path for refunds and payouts, compares it with keeping two services, and "
     "plans the migration of 3 consuming teams.", {}),
    ("fx", "erin", EvidenceItem.Kind.MERGED_CHANGE, 33, "Cache FX rates per currency pair",
     "Caches exchange rates for 60 seconds per pair. p95 latency of the quote endpoint went from 420 ms to 95 ms "
     "for all 30 currencies.", {"p95_ms_before": 420, "p95_ms_after": 95}),
    ("review", "erin", EvidenceItem.Kind.DESIGN_REVIEW, 12, "Design review notes: payout batching",
     "Erin's review found that batching payouts by bank would break same-day payouts for 2 markets; the "
     "design was changed before any code was written.", {}),
    ("pat-flaky", "pat", EvidenceItem.Kind.MERGED_CHANGE, 80, "Quarantine flaky payment tests",
     "Moves 14 flaky tests into a quarantine job with an owner each. Main-branch build failures not caused by "
     "a real defect fell from 9 to 2 a week.", {"false_failures_per_week_before": 9,
                                                "false_failures_per_week_after": 2}),
    ("pat-incident", "pat", EvidenceItem.Kind.INCIDENT_HANDLED, 44, "Card declines spike after issuer change",
     "Pat was incident commander; traffic was shifted to the secondary acquirer within 18 minutes.", {}),
)

CHECKPOINTS = (
    ("erin", "mo", "monthly", "August 2026", 92,
     "Shipped idempotent retries [E:{retry}]; duplicate charges fell from 41 to 3 a week.",
     "The rollout plan missed the Sunday batch window, so the release slipped by two days.",
     "Support tickets about double charges stopped after the release.",
     "Write the rollout plan with the on-call engineer before the next release."),
    ("erin", "mo", "monthly", "September 2026", 62,
     "Led the settlement debrief [E:{debrief}] and agreed the replica change with the data team.",
     "Spent a week on a ledger prototype before checking which teams would consume it.",
     "Time to detect a stalled export went from 4 hours to 30 minutes.",
     "Share a one-page proposal with the teams that will use the ledger before building a prototype."),
    ("erin", "mo", "monthly", "October 2026", 31,
     "Wrote the ledger design [E:{ledger}] and agreed the migration order with all 3 teams that use the ledger.",
     "The FX cache change needed a second review round because the tests did not cover stale rates.",
     "Quote latency for all 30 currencies dropped well below the 200 ms target.",
     "Pair with Pat on the payout batching design; lead the review."),
    ("pat", "mo", "quarterly", "Q3 2026", 35,
     "Quarantined the flaky payment tests [E:{pat-flaky}] and handled the issuer incident [E:{pat-incident}].",
     "The quarantine job has no alert yet, so two tests sat there for three weeks.",
     "Main-branch builds are trusted again; false failures fell from 9 to 2 a week.",
     "Add an owner alert to the quarantine job; mentor Erin on incident command."),
)

ONE_ON_ONE_NOTES = (
    ("erin", 40, "Talked about moving towards IC3. Erin wants to lead a cross-team design; agreed she leads the "
                 "ledger migration plan and I clear time by moving her off the rota for two weeks."),
    ("erin", 12, "Erin is tired after two on-call weeks in a row. Swapped her November shift with Pat's December "
                 "one. Follow up on the payout review next week."),
)

ERIN_REQUEST = ("Feedback on Erin's work on the ledger design and the FX cache this half", (
    ("pat", "peer", "Erin ran the ledger design review with the refunds, payouts and reporting teams and kept a "
                    "written list of every objection with its resolution.",
     "The three teams agreed the migration order in one meeting instead of the usual month of threads.",
     "Share drafts earlier: the refunds team saw the proposal only two days before the review."),
    ("mo", "manager", "Erin took over the settlement debrief on a day's notice and had the timeline written "
                      "before the meeting started.",
     "The debrief ended with two owned actions, both done within a week, and the export has not stalled since.",
     "Say no sooner: she accepted the FX work while the ledger design was still open, and both ran late."),
))

UPWARD_ANSWERS = (
    ("Mo protects focus time: he moved the weekly sync to a written update and kept Thursdays free of meetings.",
     "I finished the FX cache in one uninterrupted week.",
     "Explain the reasons behind priority changes in writing, not only in the stand-up."),
    ("Mo answered my design questions within a day and left the decisions to me.",
     "I kept ownership of the design and learned which trade-offs he cares about.",
     "Give feedback on rollout plans earlier, before the change is ready to merge."),
    ("Mo stepped in during the issuer incident to handle the communication with the support team.",
     "The incident channel stayed focused on the fix and the support team got updates every 20 minutes.",
     "Share the on-call rota plan a month ahead so people can plan leave."),
    ("He set clear expectations for the quarter in a one-page plan with three outcomes.",
     "I knew which work mattered and could say no to requests outside it.",
     "Check the plan against capacity: the third outcome needed more people than the team had."),
    ("Mo makes time for career conversations every month and writes down what we agreed.",
     "I have a concrete list of what IC3 means for my work.",
     "Follow up on the agreed actions; two from September were not revisited."),
    ("He paired with me on my first incident review and let me lead the second one.",
     "I felt ready to run the debrief on my own.",
     "Give more direct feedback in code review; some comments were too gentle to act on."),
)

ACCOMPLISHMENTS = (
    ("erin", "Stopped duplicate card charges", ("retry",), ("customer-outcomes", "ownership"),
     "Timed-out card authorisations were retried without the original idempotency key, so some customers were "
     "charged twice and support handled the refunds by hand.",
     "I traced the duplicates to the retry path and changed retries to reuse the idempotency key, with a "
     "contract test that fails if a retry ever sends a new key [E:{retry}].",
     "Duplicate charges fell from 41 to 3 a week [E:{retry}].",
     "Customers in all 30 currencies are no longer charged twice, and support no longer refunds duplicates by "
     "hand.", "business_outcome", 2, None, "duplicate charges per week", "", "41", "3", False),
    ("erin", "Made stalled settlement exports visible in 30 minutes", ("debrief",), ("ownership",),
     "A reporting query held a lock on the settlement tables and the nightly export stalled for 6 hours before "
     "anyone noticed.",
     "I led the debrief [E:{debrief}], moved the export to a read replica with the data team, and set a page "
     "after 30 minutes without progress.",
     "Time to detect a stalled export fell from 240 to 30 minutes [E:{debrief}].",
     "Finance receives settlement files on time, and 2 teams no longer share the lock.",
     "process_improvement", 2, None, "time to detect a stalled export", "minutes", "240", "30", False),
    ("erin", "Cut quote latency for every currency", ("fx",), ("customer-outcomes",),
     "The quote endpoint fetched exchange rates on every call, and p95 latency was above the 200 ms target.",
     "I added a 60-second cache per currency pair with a stale-rate test [E:{fx}].",
     "p95 latency went from 420 ms to 95 ms [E:{fx}].",
     "Checkout shows prices faster for all 30 currencies.", "execution", 1, None, "p95 quote latency", "ms",
     "420", "95", False),
    ("erin", "Prototyped a shared ledger before asking its consumers", ("ledger",), ("candour", "evidence"),
     "Refunds and payouts write to the ledger through two services that drift apart.",
     "I spent a week on a prototype of a single write path before talking to the consuming teams, then wrote "
     "the design [E:{ledger}] once they had raised requirements the prototype could not meet.",
     "The prototype was dropped; the design that replaced it was agreed by all 3 consuming teams.",
     "I now share a one-page proposal with consumers before building anything.",
     "execution", 3, None, "", "", None, None, True),
    ("pat", "Made main-branch builds trustworthy again", ("pat-flaky",), ("raise-others", "simplicity"),
     "Flaky payment tests failed the main build several times a week and people had started re-running builds "
     "without reading the failure.",
     "I moved 14 flaky tests into a quarantine job, gave each an owner, and repaired the five worst [E:{pat-flaky}].",
     "False build failures fell from 9 to 2 a week [E:{pat-flaky}].",
     "All 7 engineers on the team read build failures again, and a real defect was caught on main the next "
     "week.", "process_improvement", 1, 7, "false build failures per week", "", "9", "2", False),
    ("pat", "Restored card payments after an issuer change", ("pat-incident",), ("ownership", "customer-outcomes"),
     "An issuer changed its decline codes and card declines spiked for one market.",
     "As incident commander I shifted traffic to the secondary acquirer [E:{pat-incident}].",
     "Payments recovered within 18 minutes [E:{pat-incident}].",
     "Customers in the affected market could pay again the same evening.", "business_outcome", 1, None, "", "",
     None, None, False),
)

MANAGER_COMMENTARY = {
    "owned": "Erin owned the retry fix from diagnosis to release [E:{retry}] and the settlement debrief "
             "[E:{debrief}], including the follow-up work with the data team.",
    "ambiguity": "The ledger work started without a clear consumer; after the prototype was dropped she wrote "
                 "the design [E:{ledger}] and got agreement from all 3 consuming teams.",
    "coaching": "In August I asked her to plan rollouts with on-call; the FX cache release [E:{fx}] had a written "
                "plan reviewed by on-call before merge.",
    "growth": "Over the half she moved from fixing defects in her own service to leading a design across 3 teams, "
              "which is the scope IC3 expects.",
}


def _at(today: date, days_before: int) -> datetime:
    return datetime.combine(today - timedelta(days=days_before), time(10, 0), tzinfo=UTC)


def build_demo_history(context: DemoContext) -> None:
    personas = context.personas
    erin, mo, pat = personas["erin"], personas["mo"], personas["pat"]
    today = context.today
    evidence: dict[str, int] = {}
    for key, who, kind, days, title, summary, metrics in EVIDENCE:
        person = personas[who]
        item = EvidenceItem.objects.create(kind=kind, title=title, summary=summary, occurred_at=_at(today, days),
                                           person=person, team=person.team, service="payments", source="manual",
                                           source_ref=f"demo-growth-{key}", metrics=metrics)
        evidence[key] = item.pk

    def cite(text: str) -> str:
        return text.format(**evidence)

    for who, author, cadence, label, days, wins, misses, impact, next_steps in CHECKPOINTS:
        services.record_checkpoint(actor=personas[author], person=personas[who], data=services.CheckpointInput(
            cadence=cadence, label=label, held_on=today - timedelta(days=days), wins=cite(wins), misses=misses,
            impact=impact, next_steps=next_steps))
    for who, days, body in ONE_ON_ONE_NOTES:
        services.record_one_on_one_note(actor=mo, person=personas[who], held_on=today - timedelta(days=days),
                                        body=body)

    _build_feedback(context, erin, mo, pat)

    principles = {p.key: p.pk for p in Principle.objects.all()}
    for (who, title, evidence_keys, principle_keys, situation, action, result, impact, level, teams, people,
         measure, unit, before, after, risk) in ACCOMPLISHMENTS:
        services.create_accomplishment(actor=personas[who], person=personas[who], data=services.AccomplishmentInput(
            period=PERIOD, title=title, situation=cite(situation), action=cite(action), result=cite(result),
            impact=cite(impact), impact_level=level, teams_affected=teams, people_affected=people, measure=measure,
            measure_unit=unit, measure_before=Decimal(before) if before else None,
            measure_after=Decimal(after) if after else None, risk_not_worked_out=risk,
            principle_ids=tuple(principles[k] for k in principle_keys if k in principles),
            evidence_ids=tuple(evidence[k] for k in evidence_keys)))
    services.annotate(actor=erin, person=erin, period=PERIOD,
                      body="I was on call for 5 of the 26 weeks this half, which is why fewer changes merged in "
                           "August and September.")
    services.save_manager_commentary(actor=mo, person=erin, data=services.CommentaryInput(
        period=PERIOD, **{name: cite(text) for name, text in MANAGER_COMMENTARY.items()}))
    services.generate_impact_draft(person=erin, window_start=today - timedelta(days=100), window_end=today,
                                   requested_by=erin)
    # Mo passed the manager readiness module; Lee has not taken it yet.
    services.record_training_attempt(actor=mo, answers={q.key: q.correct for q in training.QUESTIONS})


def _build_feedback(context: DemoContext, erin: Person, mo: Person, pat: Person) -> None:
    personas = context.personas
    context_text, answers = ERIN_REQUEST
    others = [p for p in context.people if p.team_id and p.team_id != erin.team_id and p.manager_id
              and p.is_active]
    stakeholder = context.rng.choice(sorted(others, key=lambda p: p.pk))
    request = services.request_feedback(
        actor=erin, subject=erin, context=context_text,
        respondents=[(pat, "peer"), (mo, "manager"), (stakeholder, "stakeholder")])
    for who, _relationship, did, impact, grow in answers:
        invitation = request.invitations.get(respondent=personas[who])
        services.submit_feedback_response(actor=personas[who], invitation=invitation,
                                          data=services.ResponseInput(did, impact, grow))

    # Upward feedback about Mo from his reports, anonymous: six answers, so text and themes both show.
    reports = list(Person.objects.filter(manager=mo, is_active=True).order_by("pk"))
    upward = services.request_feedback(actor=mo, subject=mo, anonymous=True,
                                       context="Upward feedback on how I run the payments team this half",
                                       respondents=[(report, "report") for report in reports])
    invitations = list(upward.invitations.order_by("pk"))
    for invitation, (did, impact, grow) in zip(invitations, UPWARD_ANSWERS, strict=False):
        services.submit_feedback_response(actor=invitation.respondent, invitation=invitation,
                                          data=services.ResponseInput(did, impact, grow))
