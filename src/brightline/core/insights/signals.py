"""The shapes every AI-derived signal shares: what it is about, what shaped it, how sure it is.

A signal is a labelled hypothesis for a human to accept or dismiss (PRODUCT.md principle 3,
C7, C8), never a verdict and never a rating. The pure core returns :class:`SignalDraft` values;
the Django layer stores them and runs the review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, NamedTuple

__all__ = [
    "Agreement",
    "Comment",
    "CommentPrompt",
    "Confidence",
    "ConfidenceLabel",
    "ItemRef",
    "SignalDraft",
    "SignalKind",
    "Subject",
    "SubjectKind",
]

SignalKind = Literal[
    "theme",
    "theme_summary",
    "emergent_theme",
    "sentiment_drift",
    "trend_break",
    "contradiction",
    "unsupported_claim",
    "missing_evidence",
]
SubjectKind = Literal["person", "team", "organisation"]
ConfidenceLabel = Literal["stable", "emerging", "weak"]
#: Whether the qualitative layer (feedback) and the operational layer (evidence) point the same way.
Agreement = Literal["agrees", "conflicts", "single_layer"]
#: Which prompt a comment answered: praise prompts, growth prompts ("one thing to grow"), or free text.
CommentPrompt = Literal["strength", "growth", "general"]


class ItemRef(NamedTuple):
    """A pointer to one stored item that shaped a signal, e.g. ``ItemRef("feedback_response", "12")``."""

    kind: str
    id: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id}


@dataclass(frozen=True, slots=True)
class Subject:
    """Who or what a signal is about: a person, a team, or the organisation (org-wide clusters)."""

    kind: SubjectKind
    id: str


@dataclass(frozen=True, slots=True)
class Comment:
    """One piece of written feedback about ``subject_id``.

    ``author_id`` is ``None`` for anonymous feedback; ``anonymous_group`` then names the request
    it answered, because answers to one request come from distinct people (one invitation each)
    while answers to different anonymous requests cannot be told apart. ``quotable`` is False when
    the text may be analysed but must not be shown (e.g. an anonymity rule the caller applies).
    """

    id: str
    author_id: str | None
    subject_id: str
    text: str
    written_at: datetime
    anonymous: bool = False
    source: ItemRef | None = None
    prompt: CommentPrompt = "general"
    anonymous_group: str | None = None
    quotable: bool = True

    @property
    def ref(self) -> ItemRef:
        return self.source if self.source is not None else ItemRef("comment", self.id)


@dataclass(frozen=True, slots=True)
class Confidence:
    """Computed, never asserted (C7): how much data, from how many people, over how long, and
    whether the other layer agrees. ``reasons`` says in words why the label is what it is."""

    items: int
    authors: int
    span_days: int
    agreement: Agreement
    label: ConfidenceLabel
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"items": self.items, "authors": self.authors, "span_days": self.span_days,
                "agreement": self.agreement, "label": self.label, "reasons": list(self.reasons)}


@dataclass(frozen=True, slots=True)
class SignalDraft:
    """A computed signal before a human has looked at it.

    ``key`` identifies the signal within its subject across runs (``"theme:code_quality"``), so
    a recomputation updates the same hypothesis instead of adding a new one. ``rule`` is the
    documented rule that produced it; ``cannot_infer`` is shown next to it on every page.
    ``detail`` is JSON-ready (quotes, series, numbers) for the "why am I seeing this" panel.
    """

    kind: SignalKind
    key: str
    subject: Subject
    window_start: date
    window_end: date
    statement: str
    rule: str
    confidence: Confidence
    item_refs: tuple[ItemRef, ...]
    cannot_infer: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    enough_data: bool = True
    #: False for a result that finds nothing to follow up ("no clear change", "no theme recurs yet"):
    #: like a lack of data, it is shown as information and is never accepted, dismissed or cited.
    is_finding: bool = True
