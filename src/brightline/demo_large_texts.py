"""The texts of the large demo's records, composed from parts so that thousands of them rarely read alike.

Each ``compose_*`` function draws one part from each pool with the generator it is given and fills in the
thing worked on, a teammate's first name, numbers and citations (``[E:<id>]``). Nothing here is a rating of
anyone: outcomes come from the builder, these only put words to them, and every judgement names what happened.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

# -- evidence written up by hand: an outcome a draft may quote ------------------------------------------------
# (kind, title, summary, metric name); ``{a}`` and ``{b}`` are the numbers before and after, ``{n}`` a count. The
# pages put the kind before the title ("Design document: …"), so a title does not repeat it.
WRITTEN_EVIDENCE = (
    ("design_doc", "One write path for the {x}",
     "Compares {n} options for the {x} and picks the one the consuming teams agreed. After the change p95 latency "
     "went from {a} ms to {b} ms.", "p95_ms"),
    ("design_doc", "Moving the {x} off the shared database",
     "Plans the move in three steps, each reversible. Lock waits on the shared database fell from {a} to {b} a day "
     "once the first step shipped.", "lock_waits_per_day"),
    ("incident_debrief", "The {x} outage",
     "Led the debrief with an owner for every action. Time to detect a stalled {x} fell from {a} to {b} minutes "
     "after the alert change.", "time_to_detect_minutes"),
    ("incident_debrief", "Errors after the {x} release",
     "Wrote the timeline before the meeting and proposed the canary step the team adopted. Failed requests during "
     "a release fell from {a} to {b} per thousand.", "failed_requests_per_thousand"),
    ("design_review", "The {x} rollout plan",
     "Found that the {x} plan would drop events for {n} partners; the design changed before any code was written.",
     ""),
    ("design_review", "Capacity of the {x}",
     "Asked for a load test before launch; it showed the {x} saturating at {a} requests a second, and the team "
     "sized it for {b}.", "requests_per_second"),
    ("other", "Runbook for the {x}",
     "Rewrote the runbook and the two noisiest alerts. Pages for the {x} fell from {a} to {b} a month.",
     "pages_per_month"),
    ("other", "Onboarding guide for the {x}",
     "New joiners shipped their first {x} change in {b} days instead of {a}, by the guide's own count.",
     "days_to_first_change"),
)

# -- review texts ----------------------------------------------------------------------------------------------
RATIONALE_OPENINGS = {
    "technical_excellence": {
        "exceeds": ("Redesigned the {x} so the whole team now builds on it {cites}.",
                    "Raised the bar for the {x}: tests, alerts and a runbook others copied {cites}.",
                    "Took the hardest technical problem of the half, the {x}, and closed it cleanly {cites}."),
        "meets": ("Kept changes to the {x} small, tested and easy to review {cites}.",
                  "Solid, well-tested work on the {x}; reviews rarely needed a second round {cites}.",
                  "Made sound technical choices on the {x} and wrote them down {cites}."),
        "needs_support": ("Two changes to the {x} shipped without tests and had to be rolled back {cites}.",
                          "The {x} work repeatedly needed rework after review {cites}."),
    },
    "delivery_results": {
        "exceeds": ("Delivered the {x} a month early and took on the follow-up nobody owned {cites}.",
                    "Shipped everything committed for the half plus the {x}, without extra incidents {cites}."),
        "meets": ("Delivered the committed {x} work on the dates agreed with the team {cites}.",
                  "Shipped the {x} as planned and kept stakeholders informed when scope moved {cites}.",
                  "Steady delivery across the half; the {x} landed when the team needed it {cites}."),
        "needs_support": ("The {x} slipped twice without warning; the team learned of it at the deadline {cites}.",
                          "Most of the committed {x} work did not ship this half, and the delays were not raised "
                          "early {cites}."),
    },
    "judgment_communication": {
        "exceeds": ("Settled a cross-team dispute on the {x} with a written comparison of the options {cites}.",
                    "Wrote the decision record for the {x} that three teams now follow {cites}."),
        "meets": ("Wrote down the trade-offs of the {x} before building and shared them {cites}.",
                  "Raised risks on the {x} early and in writing {cites}.",
                  "Clear updates on the {x}; nobody was surprised by a change of plan {cites}."),
        "needs_support": ("Changed the {x} interface without telling the teams that depend on it {cites}.",),
    },
    "leadership": {
        "exceeds": ("Ran the incident reviews for two neighbouring teams, beyond the level's scope {cites}.",
                    "Mentored two engineers through their first {x} changes; both now work on it alone {cites}."),
        "meets": ("Helped newer teammates through their first on-call weeks {cites}.",
                  "Reviewed others' {x} changes promptly and kindly {cites}.",
                  "Took part in planning and owned the {x} follow-ups they signed up for {cites}."),
        "needs_support": ("Left the {x} handover to others twice, and the team covered the gaps {cites}.",),
    },
}
RATIONALE_CLOSINGS = ("", "", " Consistent across the half.", " Seen by peers too, in their feedback.",
                      " Most visible in the second quarter.", " The level's criteria describe exactly this.")
SUMMARY_OPENINGS = ("{name} owned their part of the {x} this half {cite}.",
                    "{name} spent most of the half on the {x} {cite}.",
                    "The {x} was {name}'s main work this half {cite}.",
                    "{name} moved between the {x} and on-call duties this half {cite}.")
SUMMARY_MIDDLES = ("The work was reliable and well explained.", "Peers came to them with questions about it.",
                   "They asked for help when it stalled, which kept it moving.",
                   "The scope grew during the half and they adapted.", "It was a steady half without surprises.",
                   "Two incidents interrupted it; both were handled calmly.")
SUMMARY_CLOSINGS = {
    "ready": ("Next-level scope shown consistently, with evidence across both quarters.",
              "Ready for the next level: the scope matches its written criteria."),
    "not_yet": ("Next-level scope shown in places, not yet consistently.",
                "Growing towards the next level; the evidence covers one quarter so far."),
    "not_assessed": ("", "Focus for next half: the {x}."),
}
SELF_REVIEWS = ("I spent this half mostly on the {x}. I am proudest of {proud}; I would do {regret} differently.",
                "Most of my time went to the {x}, with two on-call weeks. The best part was {proud}; the hardest "
                "was {regret}.",
                "This half I took over the {x} from a teammate. {proud} went well; {regret} took longer than it "
                "should have.",
                "I split my time between the {x} and helping new joiners. I'd like credit for {proud}, and I "
                "learned from {regret}.")
SELF_PROUD = ("the migration plan", "the runbook", "pairing with the new joiners", "the latency work",
              "the design review", "closing the old incidents")
SELF_REGRET = ("the estimates", "the rollout", "the handover", "asking for help earlier", "the first design draft")
CHANGE_REASONS = {
    "up": ("The packet shows {what} {cite}, which the level's criteria place above meets; the manager's text did "
           "not weigh it.",
           "Compared with peers at the same level, {what} {cite} is the stronger evidence; the panel agreed after "
           "the pre-votes.",
           "The manager's rationale left out {what} {cite}; read against the criteria it exceeds."),
    "down": ("The rationale claims more than the packet shows: {what} {cite} covers one quarter, not the half.",
             "Read against the level's criteria, {what} {cite} is what the level expects, not beyond it.",
             "The panel found {what} {cite} already counted under another dimension."),
    "needs_support": ("Two releases without the agreed rollback plan {cite}; the panel read both records and "
                      "agreed with the second approver.",),
}
CHANGE_WHATS = ("the incident review they led", "the design document", "the runbook rewrite", "the mentoring",
                "the migration", "the cross-team decision record")
CONFLICT_NOTES = ("We worked in the same team until last year.", "I was their mentor during onboarding.",
                  "We are close friends outside work.", "I interviewed and hired them last quarter.",
                  "They report to my partner's team.", "I co-wrote most of the design they are assessed on.")
PRE_VOTE_NOTES = ("", "", "", "Leaning on the design document.", "The incident review tips it for me.",
                  "Evidence is thin for the second quarter.", "Peers' feedback matches the manager's text.")
APPEAL_CONTEXTS = ("The assessment leaves out the {x} migration I led in the second quarter; it is in my packet.",
                   "My manager changed during the half and the {x} work I did before is not mentioned.",
                   "The delivery outcome counts the {x} delay against me, but the delay was agreed with product.",
                   "The leadership rationale does not mention the two new joiners I mentored on the {x}.")
APPEAL_UPHELD = ("Re-read against the cited evidence and the level's written criteria; the outcome stands.",
                 "The {x} work is in the packet and was weighed in calibration; meets matches the criteria.",
                 "The agreed delay is recorded; the outcome rests on other evidence that the appeal does not change.")
APPEAL_CHANGED = ("The {x} work is in the packet but was not weighed; against the criteria it exceeds {cite}.",
                  "The first-quarter {x} work under the previous manager was missed; with it the outcome is higher "
                  "{cite}.",
                  "The mentoring is well documented {cite}; the criteria put it above what the level expects.")

# -- the growth space ------------------------------------------------------------------------------------------
NOTE_OPENINGS = ("Talked about the {x}.", "Mostly about on-call this time.", "{first} wanted to talk about growth.",
                 "Short one; {first} is heads-down on the {x}.", "Went through last week's incident on the {x}.",
                 "Started with how the new joiners are settling in.", "{first} asked about the reorg rumours.",
                 "Check-in after {first}'s week off.", "Looked at the {x} estimate together.")
NOTE_MIDDLES = ("{first} feels stretched between the {x} and reviews; we moved one review rota week.",
                "Agreed {first} leads the next design review for the {x}.",
                "{first} would like more pairing; set up a weekly slot with a senior engineer.",
                "The {x} is going well; {first} wants to write it up for the wider team.",
                "{first} is unsure whether to go deeper on the {x} or broaden; we listed pros and cons.",
                "Discussed the feedback from the last retro; {first} will try writing decisions down first.",
                "{first} raised that planning meetings run long; I will try a written agenda.",
                "Talked through what the next level looks like for the {x} work.",
                "{first} is tired after two on-call weeks; swapped the next one.")
NOTE_CLOSINGS = ("Follow up next time.", "I owe {first} an answer on the conference budget.",
                 "Next: look at the {x} plan together.", "", "Both happy with the direction.",
                 "{first} will share a draft by Friday.", "Revisit in a month.")
CHECKPOINT_WINS = ("Shipped the {x} {cite}.", "Led the debrief for the {x} incident {cite}.",
                   "Unblocked two teammates on the {x}.", "Wrote the {x} design and got it agreed {cite}.",
                   "Cut the {x} alert noise in half.", "Took over the {x} handover without gaps.")
CHECKPOINT_MISSES = ("The {x} estimate was off by two weeks.", "Did not ask for help early enough on the {x}.",
                     "The {x} rollout skipped the canary step.", "", "Review turnaround slipped during on-call.",
                     "The {x} handover notes were thin.")
CHECKPOINT_IMPACTS = ("Fewer pages for the {x}.", "The consuming teams stopped waiting on us for the {x}.",
                      "Customers saw faster {x} responses.", "The team can deploy the {x} on its own now.",
                      "Support tickets about the {x} dropped.")
CHECKPOINT_NEXT = ("Pair on the next {x} design.", "Write the {x} runbook.", "Lead the next incident review.",
                   "Share a one-page plan before building the {x}.", "Take a lighter on-call month.",
                   "Mentor the new joiner on the {x}.")
DRAFT_EDITS = (" (edited: the numbers are from the service's dashboard)", "", "")


def compose(rng: random.Random, *pools: Sequence[str], **fill: str) -> str:
    """One part from each pool, joined by spaces and filled in; empty parts are left out."""
    parts = [rng.choice(pool) for pool in pools]
    return " ".join(part for part in parts if part).format(**fill).strip()
