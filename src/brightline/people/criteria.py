"""Written criteria for needs support / meets / exceeds, per dimension and level (PRODUCT.md D4).

The criteria are worded from the ladder itself, so editing a level's expectation in the admin changes
them: *meets* is the level's expectation shown consistently with cited evidence, *exceeds* is the next
level's expectation shown with evidence more than once, and *needs support* is the level's expectation
not yet shown consistently, with the level below as the reference. None of them is a share of people:
everyone who meets the criteria gets the outcome (no quota, E3).
"""

from __future__ import annotations

from dataclasses import dataclass

from brightline.people.models import Competency, Level

CONSISTENTLY = "across the period, in more than one piece of cited work"


@dataclass(frozen=True)
class OutcomeCriteria:
    """What each outcome means for one dimension at one level."""

    dimension: str
    label: str
    needs_support: str
    meets: str
    exceeds: str


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:] if len(text) > 1 and text[1:2].islower() else text


def criteria_for(competency: Competency, *, previous: Competency | None, following: Competency | None,
                 level: Level, next_level: Level | None, previous_level: Level | None) -> OutcomeCriteria:
    expectation = _sentence(competency.expectation)
    meets = f"Shown {CONSISTENTLY}: {expectation}."
    if following is not None and next_level is not None:
        exceeds = (f"Meets {level.code}, and the cited evidence shows more than once the {next_level.code} "
                   f"expectation: {_sentence(following.expectation)}.")
    else:
        exceeds = (f"Meets {level.code}, and the cited evidence shows more than once work whose reach goes beyond "
                   "what this level describes.")
    if previous is not None and previous_level is not None:
        needs = (f"The cited evidence does not yet show this consistently: {expectation}. For reference, "
                 f"the {previous_level.code} expectation: {_sentence(previous.expectation)}. The support owed is "
                 "agreed with the person, never an exit signal.")
    else:
        needs = (f"The cited evidence does not yet show this consistently: {expectation}. The work still needs "
                 "closer guidance than the level describes; the support owed is agreed with the person, never an "
                 "exit signal.")
    return OutcomeCriteria(competency.dimension, competency.get_dimension_display(), needs, meets, exceeds)


def ladder_criteria(levels: list[Level]) -> dict[int, dict[str, OutcomeCriteria]]:
    """Criteria of every level of one ladder, from levels in rank order whose competencies are prefetched."""
    def by_dimension(candidate: Level | None) -> dict[str, Competency]:
        return {c.dimension: c for c in candidate.competencies.all()} if candidate is not None else {}

    found: dict[int, dict[str, OutcomeCriteria]] = {}
    for index, level in enumerate(levels):
        previous_level = levels[index - 1] if index > 0 else None
        next_level = levels[index + 1] if index + 1 < len(levels) else None
        below, above = by_dimension(previous_level), by_dimension(next_level)
        found[level.pk] = {
            dimension: criteria_for(competency, previous=below.get(dimension), following=above.get(dimension),
                                    level=level, next_level=next_level, previous_level=previous_level)
            for dimension, competency in by_dimension(level).items()}
    return found


def level_criteria(level: Level) -> dict[str, OutcomeCriteria]:
    """The criteria of every dimension of ``level``, keyed by dimension (two queries)."""
    levels = list(level.ladder.levels.order_by("rank").prefetch_related("competencies"))
    return ladder_criteria(levels).get(level.pk, {})


# Shown to every employee on the "how outcomes are decided" page (D5). Each states a rule the workflow enforces.
CALIBRATION_PRINCIPLES: tuple[tuple[str, str], ...] = (
    ("Standards, not quotas",
     "Everyone is assessed against the written criteria of their level. No share of people is set for any "
     "outcome; a configured quota is refused, and the distribution is shown to panels for information only."),
    ("Evidence before judgment",
     "Evidence is gathered before anyone proposes an outcome. Every outcome cites the work it rests on, and an "
     "outcome of needs support needs more than one piece of cited evidence."),
    ("You see your packet first",
     "Once your manager submits the assessment you can read what they cite, and until calibration ends you can "
     "add your own notes; your manager and the panel read them beside the packet."),
    ("A change needs a written reason",
     "The panel calibrates the standard, not the person. Any change to a proposed outcome records who changed "
     "it, from what to what, and why; an outcome that departs from the evidence needs a written reason."),
    ("Independent panels",
     "Panel membership rotates, and nobody in your own management chain sits on your panel. Panelists vote "
     "before they see each other's votes."),
    ("People decide, not models",
     "Summaries and signals from models are labelled hypotheses with their confidence. They never set an "
     "outcome and can never be the only basis of an adverse one."),
    ("Explained, and open to appeal",
     "A decision memo explains the outcome, the main evidence and any dissent. You can add context, ask for a "
     "second review by someone outside your chain, and escalate to a named person accountable."),
)

PROMOTION_RULE = ("Promotion readiness means the next level's expectations shown consistently — across the period, "
                  "in more than one piece of cited work — not a single standout project and not time in the role.")
