"""Demo history of the growth space: checkpoints, 1:1 notes, 360 feedback (one anonymous request
with enough answers to show text and themes), manager commentary, accomplishments citing
evidence, and one draft from evidence. Deterministic: no clock, no unseeded randomness.

The services stamp what they create with the real clock (``auto_now_add``); each record is then
moved to a realistic moment before the demo's "today", so the growth space reads as a half of
work and the signals computed from it see comments written when they would have been.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from brightline.evidence.models import EvidenceItem
from brightline.feedback import services, training
from brightline.feedback.models import (
    Accomplishment,
    Annotation,
    Checkpoint,
    DraftEdit,
    FeedbackRequest,
    FeedbackResponse,
    ImpactDraft,
    ManagerCommentary,
    OneOnOneNote,
    TrainingAttempt,
)
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


# When the feedback requests went out, in days before today (answers arrive within the following days).
ERIN_REQUEST_DAYS_AGO = 24
UPWARD_REQUEST_DAYS_AGO = 21
ANNOTATION_DAYS_AGO = 9
COMMENTARY_DAYS_AGO = 4
# Mo took the manager readiness module before assessing in the 2025 H2 review cycle (September 2025).
MO_TRAINING_DAYS_AGO = (430, 450)

# Anonymous 360 rounds: everyone else on the team answers, so each round is released in full (groups of
# three) and gives a month enough answers from enough people for the tone chart and the themes (C1, C2).
# (subject, asked this many days before "today", context, answers)
ANONYMOUS_ROUNDS = (
    ("erin", 150, "Mid-half 360 for Erin: on-call, the retry work and helping new joiners", (
        ("Erin ran the on-call handover for the payouts service and wrote the runbook steps we now use.",
         "Payout pages are resolved faster because the runbook is clear.",
         "Share runbook changes in the team channel before merging them."),
        ("Her code reviews on the retry path were careful and caught an idempotency bug before release.",
         "The release went out without a single duplicate charge.",
         "Leave a short summary on large reviews so authors know what matters most."),
        ("Erin mentored me through my first on-call week and patiently taught me how the alerts map to services.",
         "I handled my first incident alone a week later.",
         "Write down the alert-to-service mapping so others can use it too."),
        ("She kept the FX cache change small and well tested.",
         "Quote latency dropped and nothing broke.",
         "Involve the data team earlier when a change touches their dashboards."),
        ("Erin answered our integration questions quickly and clearly, which was a great help.",
         "Checkout shipped the new currency list on time.",
         "Share drafts of API changes earlier with the teams affected."),
        ("Great work after the payouts incident: she wrote a clear postmortem with an owner for every action.",
         "The same payouts alert has not fired twice since.",
         "Delegate some follow-up actions instead of taking all of them."),
    )),
    ("pat", 95, "360 for Pat: build health and the issuer incident", (
        ("Pat moved the flaky tests into quarantine and gave each one an owner.",
         "We trust a red main build again.",
         "Explain the quarantine rules in the contributing guide."),
        ("Pat was a calm incident commander during the issuer change.",
         "Card payments recovered within 18 minutes.",
         "Hand over the incident notes sooner so the debrief can start."),
        ("Pat gives thorough code reviews and explains the reason for each comment.",
         "My changes got simpler and better tested.",
         "Reviews can take two days; a quicker first pass would unblock me."),
        ("Pat mentored me through my first release and let me drive it.",
         "I can run a release on my own now.",
         "Write down the release checklist he keeps in his head."),
        ("He fixed the slow test suite that held up every pull request.",
         "Builds take half the time they used to.",
         "Tell the other teams when shared test fixtures change."),
        ("Pat took time to walk me through my first payments change, step by step.",
         "It shipped without a rollback.",
         "Push back more often on scope that arrives late in the sprint."),
    )),
    ("erin", 28, "End-of-half 360 for Erin: the ledger design and the settlement incident", (
        ("Erin wrote the ledger design and walked us through the trade-offs.",
         "We agreed on one write path for refunds and payouts.",
         "Bring consuming teams in before building a prototype; we found out late."),
        ("She handled the settlement export incident calmly and led a clear debrief.",
         "The export now pages after 30 minutes instead of stalling for hours.",
         "Delegate some of the follow-up work; she took on too much at once."),
        ("Erin checked my ledger changes line by line.",
         "The migration scripts were correct the first time.",
         "Reviews sometimes take two or three days; a quicker first pass would unblock us."),
        ("She was responsive and steady while on call, and documented each page.",
         "Fewer repeat pages for the same payouts alert.",
         "Take a break after heavy on-call weeks; the pace looked tiring."),
        ("The prototype week went into a design the consumers could not use, which was disappointing.",
         "It started a useful conversation, but late.",
         "Ask the consuming teams what they need before writing code."),
        ("Erin kept the FX work moving while the ledger design was still open.",
         "Both pieces landed, though later than planned.",
         "Say no sooner when two large pieces of work overlap."),
    )),
)


def _at(today: date, days_before: int) -> datetime:
    return datetime.combine(today - timedelta(days=days_before), time(10, 0), tzinfo=UTC)


def _working_moment(rng: random.Random, day: date, *, earliest: int = 9, latest: int = 17) -> datetime:
    """A moment during the working day (UTC): when a person would have written something down."""
    return datetime.combine(day, time(rng.randint(earliest, latest - 1), rng.randrange(60)), tzinfo=UTC)


def timeline_rng(context: DemoContext, salt: str) -> random.Random:
    """A generator for this step's timestamps, seeded from the demo's generator without drawing from it,
    so every later step draws the same numbers it drew before timestamps were added."""
    return random.Random(f"{salt}:{context.rng.getstate()!r}")


def build_demo_history(context: DemoContext) -> None:
    personas = context.personas
    erin, mo, pat = personas["erin"], personas["mo"], personas["pat"]
    today = context.today
    clock = timeline_rng(context, "feedback")
    evidence: dict[str, int] = {}
    for key, who, kind, days, title, summary, metrics in EVIDENCE:
        person = personas[who]
        item = EvidenceItem.objects.create(kind=kind, title=title, summary=summary, occurred_at=_at(today, days),
                                           person=person, team=person.team, service="payments", source="manual",
                                           source_ref=f"demo-growth-{key}", metrics=metrics)
        # Written up by hand a few hours after it happened.
        EvidenceItem.objects.filter(pk=item.pk).update(
            created_at=item.occurred_at + timedelta(hours=clock.randint(1, 6), minutes=clock.randrange(60)))
        evidence[key] = item.pk

    def cite(text: str) -> str:
        return text.format(**evidence)

    for who, author, cadence, label, days, wins, misses, impact, next_steps in CHECKPOINTS:
        data = services.CheckpointInput(cadence=cadence, label=label, held_on=today - timedelta(days=days),
                                        wins=cite(wins), misses=misses, impact=impact, next_steps=next_steps)
        checkpoint = services.record_checkpoint(actor=personas[author], person=personas[who], data=data)
        Checkpoint.objects.filter(pk=checkpoint.pk).update(
            created_at=_working_moment(clock, checkpoint.held_on, earliest=14, latest=18))
    for who, days, body in ONE_ON_ONE_NOTES:
        note = services.record_one_on_one_note(actor=mo, person=personas[who], held_on=today - timedelta(days=days),
                                               body=body)
        OneOnOneNote.objects.filter(pk=note.pk).update(created_at=_working_moment(clock, note.held_on))

    _build_feedback(context, erin, mo, pat, clock)
    _build_anonymous_rounds(context)

    principles = {p.key: p.pk for p in Principle.objects.all()}
    for (who, title, evidence_keys, principle_keys, situation, action, result, impact, level, teams, people,
         measure, unit, before, after, risk) in ACCOMPLISHMENTS:
        accomplishment = services.create_accomplishment(
            actor=personas[who], person=personas[who], data=services.AccomplishmentInput(
                period=PERIOD, title=title, situation=cite(situation), action=cite(action), result=cite(result),
                impact=cite(impact), impact_level=level, teams_affected=teams, people_affected=people,
                measure=measure, measure_unit=unit, measure_before=Decimal(before) if before else None,
                measure_after=Decimal(after) if after else None, risk_not_worked_out=risk,
                principle_ids=tuple(principles[k] for k in principle_keys if k in principles),
                evidence_ids=tuple(evidence[k] for k in evidence_keys)))
        # Written up within a week or two of the latest work it cites, and never after today.
        latest = min(days for key, _who, _kind, days, *_rest in EVIDENCE if key in evidence_keys)
        written = today - timedelta(days=max(1, latest - clock.randint(3, 14)))
        stamp = _working_moment(clock, written)
        Accomplishment.objects.filter(pk=accomplishment.pk).update(created_at=stamp, updated_at=stamp)
    annotation = services.annotate(actor=erin, person=erin, period=PERIOD,
                                   body="I was on call for 5 of the 26 weeks this half, which is why fewer changes "
                                        "merged in August and September.")
    Annotation.objects.filter(pk=annotation.pk).update(
        created_at=_working_moment(clock, today - timedelta(days=ANNOTATION_DAYS_AGO)))
    commentary = services.save_manager_commentary(actor=mo, person=erin, data=services.CommentaryInput(
        period=PERIOD, **{name: cite(text) for name, text in MANAGER_COMMENTARY.items()}))
    stamp = _working_moment(clock, today - timedelta(days=COMMENTARY_DAYS_AGO))
    ManagerCommentary.objects.filter(pk=commentary.pk).update(created_at=stamp, updated_at=stamp)
    draft = services.generate_impact_draft(person=erin, window_start=today - timedelta(days=100), window_end=today,
                                           requested_by=erin)
    # Erin asked for the draft on the morning of "today".
    stamp = _working_moment(clock, today, earliest=8, latest=10)
    ImpactDraft.objects.filter(pk=draft.pk).update(created_at=stamp)
    DraftEdit.objects.filter(draft_id=draft.pk).update(created_at=stamp)
    # Mo passed the manager readiness module; Lee has not taken it yet.
    attempt = services.record_training_attempt(actor=mo, answers={q.key: q.correct for q in training.QUESTIONS})
    TrainingAttempt.objects.filter(pk=attempt.pk).update(
        created_at=_working_moment(clock, today - timedelta(days=clock.randint(*MO_TRAINING_DAYS_AGO))))


def _build_anonymous_rounds(context: DemoContext) -> None:
    """The anonymous 360 rounds above, each asked by the subject's manager and answered within ten days."""
    clock = timeline_rng(context, "feedback:anonymous-rounds")
    for who, days_ago, context_text, answers in ANONYMOUS_ROUNDS:
        subject = context.personas[who]
        team = list(Person.objects.filter(team=subject.team, is_active=True).exclude(pk=subject.pk).order_by("pk"))
        request = services.request_feedback(
            actor=subject.manager or subject, subject=subject, anonymous=True, context=context_text,
            respondents=[(person, "manager" if person.pk == subject.manager_id else "peer") for person in team])
        asked = _working_moment(clock, context.today - timedelta(days=days_ago))
        # Anonymous answers carry no moment of their own (it could point at a respondent): the round's date is
        # the request's.
        FeedbackRequest.objects.filter(pk=request.pk).update(created_at=asked)
        for invitation, (did, impact, grow) in zip(request.invitations.order_by("pk"), answers, strict=False):
            services.submit_feedback_response(actor=invitation.respondent, invitation=invitation,
                                              data=services.ResponseInput(did, impact, grow))


def _build_feedback(context: DemoContext, erin: Person, mo: Person, pat: Person, clock: random.Random) -> None:
    personas = context.personas
    today = context.today
    context_text, answers = ERIN_REQUEST
    others = [p for p in context.people if p.team_id and p.team_id != erin.team_id and p.manager_id
              and p.is_active]
    stakeholder = context.rng.choice(sorted(others, key=lambda p: p.pk))
    request = services.request_feedback(
        actor=erin, subject=erin, context=context_text,
        respondents=[(pat, "peer"), (mo, "manager"), (stakeholder, "stakeholder")])
    asked = _working_moment(clock, today - timedelta(days=ERIN_REQUEST_DAYS_AGO))
    FeedbackRequest.objects.filter(pk=request.pk).update(created_at=asked)
    for who, _relationship, did, impact, grow in answers:
        invitation = request.invitations.get(respondent=personas[who])
        response = services.submit_feedback_response(actor=personas[who], invitation=invitation,
                                                     data=services.ResponseInput(did, impact, grow))
        # Named answers keep their moment; anonymous ones have none, so a time cannot point at a respondent.
        answered = asked.date() + timedelta(days=clock.randint(1, 10))
        FeedbackResponse.objects.filter(pk=response.pk, submitted_at__isnull=False).update(
            submitted_at=_working_moment(clock, answered))

    # Upward feedback about Mo from his reports, anonymous: six answers, so text and themes both show.
    reports = list(Person.objects.filter(manager=mo, is_active=True).order_by("pk"))
    upward = services.request_feedback(actor=mo, subject=mo, anonymous=True,
                                       context="Upward feedback on how I run the payments team this half",
                                       respondents=[(report, "report") for report in reports])
    asked = _working_moment(clock, today - timedelta(days=UPWARD_REQUEST_DAYS_AGO))
    FeedbackRequest.objects.filter(pk=upward.pk).update(created_at=asked)
    invitations = list(upward.invitations.order_by("pk"))
    for invitation, (did, impact, grow) in zip(invitations, UPWARD_ANSWERS, strict=False):
        response = services.submit_feedback_response(actor=invitation.respondent, invitation=invitation,
                                                     data=services.ResponseInput(did, impact, grow))
        answered = asked.date() + timedelta(days=clock.randint(1, 10))
        FeedbackResponse.objects.filter(pk=response.pk, submitted_at__isnull=False).update(
            submitted_at=_working_moment(clock, answered))
