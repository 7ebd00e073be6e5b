"""Confidence labels (C7): *stable*, *emerging* or *weak*, from counts, never from a model's say-so.

The rules are plain thresholds, documented in ``docs/signals.md`` and applied the same way to
every signal of a family. Conflict with the other layer caps the label at *emerging*: when
feedback and operational evidence disagree, the honest statement is "look closer".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from brightline.core.insights.signals import Agreement, Comment, Confidence, ConfidenceLabel

__all__ = [
    "EVIDENCE_CHECK_RULE",
    "METRIC_SERIES_RULE",
    "QUALITATIVE_RULE",
    "ConfidenceRule",
    "count_distinct_authors",
    "label_confidence",
    "span_in_days",
]


@dataclass(frozen=True, slots=True)
class ConfidenceRule:
    """Minimums for each label. ``items`` counts distinct items, ``authors`` distinct writers
    (or sources), ``span_days`` the days between the first and the last item."""

    name: str
    stable_items: int
    stable_authors: int
    stable_span_days: int
    emerging_items: int
    emerging_authors: int
    emerging_span_days: int = 0


#: Feedback-based signals (themes, sentiment, concerns). Emerging matches the C1 minimum of
#: five comments from three people; stable asks for twice the comments, five people and a quarter.
QUALITATIVE_RULE = ConfidenceRule("qualitative", stable_items=10, stable_authors=5, stable_span_days=90,
                                  emerging_items=5, emerging_authors=3)
#: Metric series (trend breaks): points are periods; "authors" are independent sources (services).
METRIC_SERIES_RULE = ConfidenceRule("metric_series", stable_items=16, stable_authors=1, stable_span_days=112,
                                    emerging_items=10, emerging_authors=1, emerging_span_days=70)
#: Deterministic evidence checks (missing evidence, unsupported numbers): how much evidence was
#: looked at and over how long; a check over an empty record says little.
EVIDENCE_CHECK_RULE = ConfidenceRule("evidence_check", stable_items=5, stable_authors=1, stable_span_days=90,
                                     emerging_items=1, emerging_authors=1)


def count_distinct_authors(comments: Iterable[Comment]) -> int:
    """Distinct writers, counting anonymous answers conservatively.

    Named authors count once each. Anonymous answers to one request come from distinct people,
    but answers to two anonymous requests may share a writer, so anonymous writers add only the
    largest number of anonymous answers to any single request.
    """
    named: set[str] = set()
    anonymous_per_group: dict[str, set[str]] = {}
    for comment in comments:
        if comment.author_id is not None and not comment.anonymous:
            named.add(comment.author_id)
        else:
            group = comment.anonymous_group or f"comment:{comment.id}"
            anonymous_per_group.setdefault(group, set()).add(comment.ref.id)
    return len(named) + max((len(refs) for refs in anonymous_per_group.values()), default=0)


def span_in_days(moments: Iterable[datetime]) -> int:
    """Whole days between the earliest and the latest moment (0 for zero or one moment)."""
    ordered = sorted(moments)
    if len(ordered) < 2:
        return 0
    return (ordered[-1] - ordered[0]).days


def label_confidence(*, items: int, authors: int, span_days: int, agreement: Agreement,
                     rule: ConfidenceRule) -> Confidence:
    """Apply ``rule``: *stable* when every stable minimum holds and the layers do not conflict;
    *emerging* when the emerging minimums hold (or stable ones with a conflict); else *weak*."""
    reasons: list[str] = []
    stable = (items >= rule.stable_items and authors >= rule.stable_authors
              and span_days >= rule.stable_span_days)
    emerging = (items >= rule.emerging_items and authors >= rule.emerging_authors
                and span_days >= rule.emerging_span_days)
    label: ConfidenceLabel
    if stable and agreement != "conflicts":
        label = "stable"
        reasons.append(f"at least {rule.stable_items} items from {rule.stable_authors}+ sources over "
                       f"{rule.stable_span_days}+ days")
    elif stable or emerging:
        label = "emerging"
        if stable:
            reasons.append("enough data for stable, but feedback and operational evidence point different ways")
        else:
            reasons.append(_shortfall(items, authors, span_days, rule))
    else:
        label = "weak"
        reasons.append(f"below the emerging minimum of {rule.emerging_items} items from "
                       f"{rule.emerging_authors} sources")
    if agreement == "agrees":
        reasons.append("operational evidence points the same way")
    elif agreement == "single_layer":
        reasons.append("only one layer of evidence speaks to this")
    return Confidence(items=items, authors=authors, span_days=span_days, agreement=agreement, label=label,
                      reasons=tuple(reasons))


def _shortfall(items: int, authors: int, span_days: int, rule: ConfidenceRule) -> str:
    missing = []
    if items < rule.stable_items:
        missing.append(f"{items} of {rule.stable_items} items")
    if authors < rule.stable_authors:
        missing.append(f"{authors} of {rule.stable_authors} sources")
    if span_days < rule.stable_span_days:
        missing.append(f"{span_days} of {rule.stable_span_days} days")
    return "short of stable: " + ", ".join(missing)
