"""Reading and changing the policy. Every change is checked, then audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from brightline.audit.services import log_action
from brightline.people.models import Person
from brightline.policy.inventory import DEFAULT_RETENTION_DAYS, SOURCE_KEYS
from brightline.policy.models import (
    SIGNAL_KIND_LABELS,
    AppealReviewers,
    Policy,
    PreVoteNames,
    SignalOwnerRole,
    default_ai_boundaries,
    default_signal_owners,
)


class PolicyError(ValueError):
    """A policy change that Brightline refuses; the message says why."""


ERR_UNKNOWN_SOURCE = "unknown data source(s): {keys}; known sources are listed on the data inventory page"
ERR_COHORT_TOO_SMALL = "the minimum cohort size must be at least {floor} so aggregates cannot single anyone out"
ERR_RETENTION = "retention for {category!r} must be a whole number of days between 30 and 3650"
ERR_RETENTION_CATEGORY = "unknown retention category {category!r}; known: {known}"
ERR_AUDIT_RETENTION = "audit and access logs must be kept at least 183 days (six months)"
ERR_AI_KEY = "unknown AI boundary {key!r}; known: {known}"
ERR_AI_RATING = "AI can never assign ratings or decide outcomes in Brightline; this cannot be configured"
ERR_UNKNOWN_FIELD = "the policy has no setting called {name!r}"
ERR_SIGNAL_OWNER = "a signal of kind {kind!r} cannot be owned by {role!r}; owners: {choices}"
ERR_SIGNAL_KIND = "there is no signal kind {kind!r}; kinds: {known}"
ERR_PREVOTE_NAMES = "pre-vote names after release must be one of: {choices}"
ERR_APPEAL_REVIEWERS = "who reviews appeals must be one of: {choices}; every choice stays outside the person's chain"
# Free-text settings that no code could read; a change to them is refused with what replaced them.
ERR_REMOVED_FIELD = {
    "appeal_path": "the appeal path is no longer free text: choose who reviews appeals (appeal_reviewers: {choices}); "
                   "the text employees read is written from that choice",
    "review_rights": "who sees a record is set by Brightline's access rules, not by free text; the page every "
                     "employee reads states those rules",
}

EDITABLE_FIELDS = ("allowed_sources", "retention_days", "min_cohort_size", "ai_boundaries", "appeal_reviewers",
                   "prevote_names", "signal_owners")
# Keys people try to sneak in; refused with a reason rather than ignored.
FORBIDDEN_AI_KEYS = frozenset({"ai_may_rate", "ai_rating", "auto_rating", "ai_decides"})
MIN_AUDIT_RETENTION_DAYS = 183


def get_policy() -> Policy:
    policy, _ = Policy.objects.get_or_create(pk=1)
    return policy


def min_cohort_size() -> int:
    return get_policy().min_cohort_size


def employee_sees_prevote_names() -> bool:
    """Whether a released review shows its employee the name of each panelist beside their pre-vote."""
    return get_policy().prevote_names == PreVoteNames.NAMED


def signal_owner_roles() -> dict[str, str]:
    """Signal kind → owner role, the policy's choices over the defaults."""
    return {**default_signal_owners(), **get_policy().signal_owners}


def appeal_reviewers() -> str:
    """Who may be assigned to decide an appeal (an ``AppealReviewers`` value); appeal routing reads it."""
    return get_policy().appeal_reviewers


def is_source_allowed(key: str) -> bool:
    return key in get_policy().allowed_sources


def _validate(changes: dict[str, Any]) -> None:
    for name in changes:
        if name in ERR_REMOVED_FIELD:
            raise PolicyError(ERR_REMOVED_FIELD[name].format(choices=", ".join(AppealReviewers.values)))
        if name not in EDITABLE_FIELDS:
            raise PolicyError(ERR_UNKNOWN_FIELD.format(name=name))
    if "allowed_sources" in changes:
        unknown = sorted(set(changes["allowed_sources"]) - SOURCE_KEYS)
        if unknown:
            raise PolicyError(ERR_UNKNOWN_SOURCE.format(keys=", ".join(unknown)))
    if "min_cohort_size" in changes:
        floor = settings.BRIGHTLINE_MIN_COHORT_FLOOR
        if not isinstance(changes["min_cohort_size"], int) or changes["min_cohort_size"] < floor:
            raise PolicyError(ERR_COHORT_TOO_SMALL.format(floor=floor))
    if "retention_days" in changes:
        for category, days in changes["retention_days"].items():
            if category not in DEFAULT_RETENTION_DAYS:
                raise PolicyError(ERR_RETENTION_CATEGORY.format(category=category,
                                                                known=", ".join(DEFAULT_RETENTION_DAYS)))
            if not isinstance(days, int) or not 30 <= days <= 3650:
                raise PolicyError(ERR_RETENTION.format(category=category))
            if category in {"audit", "access_logs"} and days < MIN_AUDIT_RETENTION_DAYS:
                raise PolicyError(ERR_AUDIT_RETENTION)
    if "prevote_names" in changes and changes["prevote_names"] not in PreVoteNames.values:
        raise PolicyError(ERR_PREVOTE_NAMES.format(choices=", ".join(PreVoteNames.values)))
    for kind, role in (changes.get("signal_owners") or {}).items():
        if kind not in SIGNAL_KIND_LABELS:
            raise PolicyError(ERR_SIGNAL_KIND.format(kind=kind, known=", ".join(SIGNAL_KIND_LABELS)))
        if role not in SignalOwnerRole.values:
            raise PolicyError(ERR_SIGNAL_OWNER.format(kind=kind, role=role, choices=", ".join(SignalOwnerRole.values)))
    if "appeal_reviewers" in changes and changes["appeal_reviewers"] not in AppealReviewers.values:
        raise PolicyError(ERR_APPEAL_REVIEWERS.format(choices=", ".join(AppealReviewers.values)))
    if "ai_boundaries" in changes:
        known = default_ai_boundaries()
        for key in changes["ai_boundaries"]:
            if key in FORBIDDEN_AI_KEYS:
                raise PolicyError(ERR_AI_RATING)
            if key not in known:
                raise PolicyError(ERR_AI_KEY.format(key=key, known=", ".join(known)))


def update_policy(*, actor: Person | None, reason: str = "", **changes: Any) -> dict[str, Any]:
    """Apply policy changes after validating all of them; returns ``{field: {from, to}}``."""
    _validate(changes)
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=get_policy().pk)
        if "retention_days" in changes:
            changes["retention_days"] = {**policy.retention_days, **changes["retention_days"]}
        if "ai_boundaries" in changes:
            changes["ai_boundaries"] = {**policy.ai_boundaries, **changes["ai_boundaries"]}
        if "signal_owners" in changes:
            changes["signal_owners"] = {**policy.signal_owners, **changes["signal_owners"]}
        diff = {name: {"from": getattr(policy, name), "to": value} for name, value in changes.items()
                if getattr(policy, name) != value}
        if not diff:
            return {}
        for name in diff:
            setattr(policy, name, changes[name])
        policy.save()
        log_action("policy.updated", actor, policy, {"changes": diff, "reason": reason})
    return diff
