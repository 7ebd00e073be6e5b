"""Aggregated themes of a set of feedback responses, shown only for groups at the minimum cohort.

A keyword count against a small fixed taxonomy, not a model: each theme counts how many responses
mention it at least once. The insights layer (C1) may replace this with a configurable taxonomy
and emergent clusters; the cohort rule stays here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

THEME_KEYWORDS: dict[str, tuple[str, ...]] = {
    "Communication": ("communicat", "explain", "written", "writing", "update", "status", "clear", "clarity"),
    "Code quality": ("code quality", "readab", "refactor", "test", "review", "maintainab"),
    "Reliability": ("incident", "on-call", "outage", "reliab", "rollback", "monitor", "alert"),
    "Mentoring": ("mentor", "pair", "onboard", "coach", "taught", "teach"),
    "Planning and scope": ("plan", "scope", "estimate", "prioriti", "deadline", "roadmap"),
    "Cross-team work": ("cross-team", "other team", "stakeholder", "partner team", "support team"),
    "Design": ("design", "architecture", "proposal", "trade-off", "tradeoff"),
}


@dataclass(frozen=True)
class Theme:
    name: str
    responses: int


def count_themes(texts: Iterable[str]) -> list[Theme]:
    """Themes mentioned in at least one text, most mentioned first (ties by name)."""
    counts = dict.fromkeys(THEME_KEYWORDS, 0)
    for text in texts:
        lowered = text.casefold()
        for name, keywords in THEME_KEYWORDS.items():
            if any(re.search(rf"\b{re.escape(keyword)}", lowered) for keyword in keywords):
                counts[name] += 1
    return sorted((Theme(name, n) for name, n in counts.items() if n), key=lambda t: (-t.responses, t.name))
