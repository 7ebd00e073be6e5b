"""What every phase shares: the error, constants of several rules, packet inclusion, quota refusal,
cycle settings."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from brightline.audit.services import log_action
from brightline.feedback import services as feedback_services
from brightline.feedback.signals import packet_claims_changed
from brightline.people.models import Dimension, Person
from brightline.reviews.models import (
    PHASE_ORDER,
    Outcome,
    PacketItem,
    Phase,
    Review,
    ReviewCycle,
    phase_index,
)
from brightline.reviews.packet_items import CitationError, Reference, references_in, resolve


class ReviewError(Exception):
    """A review action that the rules do not allow; the message says why."""


class ConcurrentEditError(ReviewError):
    """Someone else changed the same outcome since it was read; nothing was overwritten."""


class ActionRefused(ReviewError):
    """This person may not take this step on this review now: who they are to it, or the review's phase or state,
    rather than what they sent. ``access.review_actions`` offers a step exactly when no service refuses it so."""


ERR_NOT_PEOPLE_PARTNER = "only people partners can {action}"


ERR_QUOTA_REFUSED = ("Brightline calibrates standards, not outcomes: the setting {key!r} would impose a quota, "
                     "target percentage or forced curve and is refused (PRODUCT.md E3, principle 2)")


ERR_SCHEDULE_MISSING = "the schedule needs an end date for every phase; missing: {phases}"


ERR_SCHEDULE_ORDER = ("{phase} would end on {date}, before {previous_phase} ends ({previous}); each phase ends on or "
                      "after the one before it")


ERR_SCHEDULE_DATE = "{value!r} is not a date (YYYY-MM-DD) for the end of {phase}"


ERR_PANEL_TOO_SMALL = "calibration needs a panel of at least {minimum} people; this cycle has {count}"


ERR_WRONG_PHASE = "this can be done only during the {phases} phase; the cycle is in {current}"


ERR_RELEASED_USE_APPEAL = ("the outcome has been released; after release it changes only through an appeal "
                           "decided by a second reviewer")


ERR_NOT_SELF = "only the person being reviewed can do this"


ERR_UNKNOWN_SETTING = ("{names}: not a cycle setting; a cycle's settings are whether a submitted self review is "
                       "required before manager assessment, and the minimum cited evidence per dimension")


ERR_SETTING_BOOL = "whether a self review is required must be true or false, not {value!r}"


ERR_SETTING_MIN_EVIDENCE = "the minimum cited evidence per dimension must be a whole number from 1 to {maximum}"


ERR_NOT_SECOND_APPROVER = "{name} cannot be the second approver: it must be someone other than the proposer and " \
                          "the person, who is a people partner or in the person's management chain"


ERR_REASON_REQUIRED = "write why: every change records its reason"


QUOTA_WORDS = ("quota", "distribution", "target_percent", "target_percentage", "curve", "forced_rank",
               "forced_ranking", "stack_rank", "bell", "percentile_target", "rank_and_yank", "cap_on", "max_percent",
               "min_percent", "bottom_percent", "top_percent")


PERCENTAGE = re.compile(r"\d+(\.\d+)?\s*%")


MIN_PANEL_SIZE = 2


DIMENSIONS = tuple(Dimension.values)


OUTCOMES = tuple(Outcome.values)


def _check_packet_evidence(review: Review, *, actor: Person) -> None:
    """Tell the apps that check packets (insights: missing evidence, C5) that this draft packet's claims
    changed, inside the save's transaction so a failed save leaves no new check."""
    packet_claims_changed.send(sender=Review, review_id=review.pk, actor=actor)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ReviewError(message)


def _allow(condition: bool, message: str) -> None:
    """A check of who may act, or of whether the review's state allows the step (see ``ActionRefused``)."""
    if not condition:
        raise ActionRefused(message)


def phase_label(phase: str) -> str:
    """A phase as people read it ("Manager assessment"), for messages; never its stored key."""
    return str(Phase(phase).label) if phase in Phase.values else phase


def _require_phase(cycle: ReviewCycle, *phases: str) -> None:
    # Read the phase from the database: an object loaded earlier may predate a phase change.
    cycle.phase = ReviewCycle.objects.filter(pk=cycle.pk).values_list("phase", flat=True).get()
    if cycle.phase in phases:
        return
    if phase_index(cycle.phase) >= phase_index(Phase.RELEASE) and Phase.RELEASE not in phases \
            and Phase.ACKNOWLEDGEMENT not in phases:
        raise ActionRefused(ERR_RELEASED_USE_APPEAL)
    raise ActionRefused(ERR_WRONG_PHASE.format(phases=" or ".join(phase_label(phase) for phase in phases),
                                               current=phase_label(cycle.phase)))


def _normalise_key(key: object) -> str:
    return str(key).strip().lower().replace("-", "_").replace(" ", "_")


def find_quota(config: Any, path: str = "") -> str | None:
    """The first key in ``config`` (walked recursively) that would impose a quota or a curve, else ``None``.

    Also catches a mapping from outcomes to numbers (``{"exceeds": 0.2}``): a target share under another name.
    """
    if isinstance(config, Mapping):
        keys = {_normalise_key(key) for key in config}
        numeric = [value for value in config.values() if isinstance(value, int | float) and not isinstance(value, bool)]
        if keys & set(OUTCOMES) and numeric:
            return path or "(outcome shares)"
        for key, value in config.items():
            name = _normalise_key(key)
            here = f"{path}.{key}" if path else str(key)
            if any(word in name for word in QUOTA_WORDS) or _names_a_share(name, value):
                return here
            found = find_quota(value, here)
            if found:
                return found
    elif isinstance(config, list | tuple):
        for index, value in enumerate(config):
            found = find_quota(value, f"{path}[{index}]")
            if found:
                return found
    return None


def _names_a_share(name: str, value: Any) -> bool:
    """A key that caps or targets an outcome (``max_exceeds``), the top or bottom of a ranking, or a percentage."""
    parts = set(name.split("_"))
    if any(outcome in name for outcome in OUTCOMES) or parts & {"top", "bottom", "rank", "ranking", "percent"}:
        return True
    return isinstance(value, str) and PERCENTAGE.fullmatch(value.strip()) is not None


def refuse_quota(config: Any) -> None:
    key = find_quota(config)
    if key is not None:
        raise ReviewError(ERR_QUOTA_REFUSED.format(key=key))


@dataclass(frozen=True)
class CycleSettings:
    """The settings of one cycle, each read by a rule: none of them can say how many people get an outcome."""

    self_review_required: bool = False  # advance_cycle: manager assessment waits for every self review
    min_evidence_per_dimension: int = 1  # submit_assessment: cited items needed on each dimension


CYCLE_SETTINGS = tuple(CycleSettings.__dataclass_fields__)


MAX_EVIDENCE_PER_DIMENSION = 5


def parse_cycle_settings(values: Mapping[str, Any] | None) -> CycleSettings:
    """Typed settings from a mapping; a quota-like key is refused first, with the reason, then any unknown key."""
    values = dict(values or {})
    refuse_quota(values)
    unknown = sorted(str(name) for name in values if name not in CYCLE_SETTINGS)
    _require(not unknown, ERR_UNKNOWN_SETTING.format(names=", ".join(unknown)))
    required = values.get("self_review_required", False)
    _require(isinstance(required, bool), ERR_SETTING_BOOL.format(value=required))
    minimum = values.get("min_evidence_per_dimension", 1)
    _require(isinstance(minimum, int) and not isinstance(minimum, bool) and 1 <= minimum <= MAX_EVIDENCE_PER_DIMENSION,
             ERR_SETTING_MIN_EVIDENCE.format(maximum=MAX_EVIDENCE_PER_DIMENSION))
    return CycleSettings(self_review_required=required, min_evidence_per_dimension=minimum)


ERR_PHASE_END_MISSING = "give the day the {phase} phase ends"


def schedule_problems(schedule: Mapping[str, Any]) -> dict[str, str]:
    """Every problem of a schedule at once, by phase (a form shows each next to its date; ``_parse_schedule``
    stops at the first): a missing date, a value that is not a date, a phase ending before the one before it."""
    needed = [phase for phase in PHASE_ORDER if phase != Phase.CLOSED]
    problems: dict[str, str] = {}
    parsed: dict[str, dt.date] = {}
    for phase in needed:
        value = schedule.get(phase)
        if not value:
            problems[phase] = ERR_PHASE_END_MISSING.format(phase=phase_label(phase).lower())
            continue
        try:
            parsed[phase] = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        except ValueError:
            problems[phase] = ERR_SCHEDULE_DATE.format(value=value, phase=phase_label(phase))
    dated = [phase for phase in needed if phase in parsed]
    for previous, phase in zip(dated, dated[1:], strict=False):
        if parsed[phase] < parsed[previous]:
            problems[phase] = ERR_SCHEDULE_ORDER.format(phase=phase_label(phase), date=f"{parsed[phase]:%-d %b %Y}",
                                                        previous_phase=phase_label(previous),
                                                        previous=f"{parsed[previous]:%-d %b %Y}")
    return problems


def _parse_schedule(schedule: Mapping[str, Any]) -> dict[str, str]:
    needed = [phase for phase in PHASE_ORDER if phase != Phase.CLOSED]
    missing = [phase for phase in needed if not schedule.get(phase)]
    _require(not missing, ERR_SCHEDULE_MISSING.format(phases=", ".join(phase_label(phase) for phase in missing)))
    parsed: dict[str, dt.date] = {}
    for phase in needed:
        value = schedule[phase]
        if isinstance(value, dt.date):
            parsed[phase] = value
            continue
        try:
            parsed[phase] = dt.date.fromisoformat(str(value))
        except ValueError as error:
            raise ReviewError(ERR_SCHEDULE_DATE.format(value=value, phase=phase_label(phase))) from error
    for previous, phase in zip(needed, needed[1:], strict=False):
        _require(parsed[phase] >= parsed[previous],
                 ERR_SCHEDULE_ORDER.format(phase=phase_label(phase), date=parsed[phase],
                                           previous_phase=phase_label(previous), previous=parsed[previous]))
    return {phase: day.isoformat() for phase, day in parsed.items()}


def manager_training_complete(person: Person) -> bool:
    """E10 gate: has ``person`` passed the current manager readiness module (answered by the feedback app)."""
    return feedback_services.manager_training_complete(person)


def adverse_basis_count(references: Iterable[Reference]) -> int:
    """How many distinct cited items are not AI signals (C10)."""
    return len({reference for reference in references if not reference.is_ai})


def _references(values: Iterable[str]) -> list[Reference]:
    return references_in("", list(values))


def _include(review: Review, reference: Reference, *, actor: Person, via: str, note: str = "") -> PacketItem:
    """Resolve and include one reference; logged once, when it first enters the packet."""
    try:
        resolve(reference, person=review.person, viewer=actor)
    except CitationError as error:
        raise ReviewError(str(error)) from error
    item, created = PacketItem.objects.get_or_create(
        review=review, kind=reference.kind, object_id=reference.object_id,
        defaults={"included_by": actor, "via": via, "note": note},
    )
    if created:
        log_action("reviews.packet.item_included", actor, item,
                   {"review": review.pk, "reference": str(reference), "via": via})
    return item


def _include_all(review: Review, references: Iterable[Reference], *, actor: Person, via: str) -> list[str]:
    return [_include(review, reference, actor=actor, via=via).reference for reference in references]
