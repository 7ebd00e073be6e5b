"""The change log every employee reads: policy, career ladder, rubric and model changes.

Built from the audit trail, so nothing can change the rules without appearing here. Each entry
says what changed in plain words (never a stored key), why, and the day it takes effect: changes
apply from the moment they are saved, so that is the day of the change.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.apps import apps

from brightline.audit.models import AuditEntry
from brightline.policy.inventory import SOURCES
from brightline.policy.models import BriefRecommendation

POLICY_FIELDS = {
    "allowed_sources": "Data sources Brightline may ingest",
    "min_cohort_size": "Minimum group size for any aggregate",
    "retention_days": "How long data is kept (days)",
    "ai_boundaries": "What the AI features may do",
    "review_rights": "Who sees your review record",
    "appeal_path": "How to appeal a review outcome",
    "appeal_reviewers": "Who reviews an appeal",
    "signal_owners": "Who follows up each kind of AI signal",
}
AI_FEATURES = {
    "llm_drafting_enabled": "drafting impact statements with a language model",
    "themes_enabled": "feedback themes",
    "sentiment_enabled": "sentiment trends",
    "trend_breaks_enabled": "trend breaks",
}
# Admin edits of the ladder and its rubric, by the model part of the audit action.
LADDER_MODELS = {
    "careerladder": "Career ladder",
    "level": "Career level and its expectations",
    "competency": "Rubric: what a level expects in one dimension",
    "principleset": "Engineering principles",
    "principle": "Engineering principle",
    "principlebehaviour": "Principle behaviour expected at a level",
}
VERBS = {"created": "added", "updated": "changed", "deleted": "removed"}
MODELS = {"embeddings": "Language model used for feedback themes", "sentiment": "Sentiment classifier"}
NO_REASON = "No reason was recorded with this change."
MODEL_REASON = "A new version of the model was installed; it was first used on this day."


@dataclass(frozen=True)
class Change:
    takes_effect: dt.date
    what: str
    details: tuple[str, ...]
    reason: str


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value in (None, ""):
        return "nothing"
    return str(value)


def _policy_details(changes: dict[str, Any]) -> list[str]:
    names = {source.key: source.name for source in SOURCES}
    details = []
    for field, change in changes.items():
        label = POLICY_FIELDS.get(field, field.replace("_", " ").capitalize())
        before, after = change.get("from"), change.get("to")
        if field == "allowed_sources":
            added = [names.get(key, key) for key in after or [] if key not in (before or [])]
            removed = [names.get(key, key) for key in before or [] if key not in (after or [])]
            parts = ([f"now collected: {', '.join(added)}"] if added else []) + (
                [f"no longer collected: {', '.join(removed)}"] if removed else [])
            details.append(f"{label}: {'; '.join(parts)}.")
        elif isinstance(after, dict):
            before = before or {}
            names_of = AI_FEATURES if field == "ai_boundaries" else {}
            moved = [f"{names_of.get(key, key.replace('_', ' '))} {_plain(before.get(key))} → {_plain(value)}"
                     for key, value in after.items() if before.get(key) != value]
            details.append(f"{label}: {'; '.join(moved)}.")
        else:
            details.append(f"{label}: {_plain(before)} → {_plain(after)}.")
    return details


def _object_name(entry: AuditEntry) -> str:
    try:
        model = apps.get_model(entry.subject_type)
    except (LookupError, ValueError):
        return ""
    obj = model._default_manager.filter(pk=entry.subject_id).first() if entry.subject_id else None
    return str(obj) if obj is not None else ""


def next_quarter_start(day: dt.date) -> dt.date:
    """The first day of the calendar quarter after ``day``'s."""
    month = (day.month - 1) // 3 * 3 + 4
    return dt.date(day.year + (month > 12), (month - 1) % 12 + 1, 1)


def _object_text(entry: AuditEntry) -> str:
    row = BriefRecommendation.objects.filter(pk=entry.subject_id).first() if entry.subject_id else None
    return row.text if row is not None else ""


def change_log(limit: int = 200) -> list[Change]:
    """Every policy, ladder, rubric and model change, newest first, and the changes planned for next quarter
    (a leadership brief's recommendation a person accepted) on the day the quarter starts."""
    ladder_actions = [f"people.{model}.{verb}" for model in LADDER_MODELS for verb in VERBS]
    entries = AuditEntry.objects.filter(
        action__in=["policy.updated", "people.ladder.installed", "insights.run.completed",
                    "policy.recommendation.accepted", *ladder_actions])
    changes: list[Change] = []
    previous_models: dict[str, str] = {}
    for entry in entries.order_by("seq"):
        data = json.loads(entry.data_json or "{}")
        day = entry.created_at.date()
        reason = str(data.get("reason") or "").strip() or NO_REASON
        if entry.action == "policy.updated":
            changes.append(Change(day, "Policy", tuple(_policy_details(data.get("changes", {}))), reason))
        elif entry.action == "people.ladder.installed":
            levels, principles = data.get("levels", 0), data.get("principles", 0)
            changes.append(Change(day, "Career ladder", (
                f"The career ladder was installed: {levels} levels with their expectations and {principles} "
                "engineering principles.",), reason))
        elif entry.action == "policy.recommendation.accepted":
            planned = _object_text(entry)
            if planned:
                changes.append(Change(next_quarter_start(day), "Planned change to the system",
                                      (planned,), reason))
        elif entry.action == "insights.run.completed":
            models = data.get("models") or {}
            for key, version in sorted(models.items()):
                if key in previous_models and previous_models[key] != version:
                    changes.append(Change(day, MODELS.get(key, "AI model"), (
                        "A new version replaced the previous one; the analysis now uses it.",), MODEL_REASON))
                previous_models[key] = version
        else:
            _, model, verb = entry.action.split(".")
            fields = [name.replace("_", " ") for name in (data.get("changes") or {})]
            name = data.get("deleted") or _object_name(entry)
            detail = (f"{LADDER_MODELS[model]}{f' “{name}”' if name else ''} {VERBS[verb]}"
                      + (f" ({', '.join(fields)})" if fields else "") + ".")
            changes.append(Change(day, "Career ladder and rubric", (detail,), reason))
    changes.reverse()
    # Planned changes take effect later than they were decided: order by that day, newest first.
    changes.sort(key=lambda change: change.takes_effect, reverse=True)
    return changes[:limit]
