"""Evidence-cited drafts (PRODUCT.md C6): a validator and a deterministic offline drafter.

Every drafted sentence must cite at least one existing evidence item as ``[E:<id>]``, and every
number in it must appear in the text of an item it cites. :func:`draft_impact_statements` builds
sentences from templates plus text copied from the evidence, so its output always passes
:func:`validate_draft` against :func:`render_evidence_text` of the same items.

A drafted sentence states an outcome: what the evidence (or a record linked to it: the
accomplishment's result, the incident's closure, feedback that named it) says changed, or a
service metric. It never states one person's activity counts (lines, files, commits), which
principle 5 forbids as evidence of performance; an item with no outcome is returned by
:func:`context_items` to be listed as context, never turned into an impact claim.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from brightline.core.narrative.citations import find_citations, format_citation, mask_citations
from brightline.core.narrative.lexicon import load_phrase_set
from brightline.core.narrative.quantities import extract_numbers, numbers_match
from brightline.core.narrative.sentences import split_sentences

__all__ = [
    "ERROR_MAX_SENTENCES",
    "REASON_NO_CITATION",
    "REASON_UNKNOWN_EVIDENCE",
    "REASON_UNSUPPORTED_NUMBER",
    "DraftIssue",
    "DraftIssueCode",
    "DraftSentence",
    "DraftValidation",
    "EvidenceItem",
    "EvidenceKind",
    "draft_impact_statements",
    "context_items",
    "has_outcome",
    "render_evidence_text",
    "validate_draft",
]

EvidenceKind = Literal["merged_change", "incident", "design_doc", "feedback", "accomplishment"]
DraftIssueCode = Literal["no_citation", "unknown_evidence", "unsupported_number"]

ERROR_MAX_SENTENCES = "max_sentences must be at least 1; got {value}."
REASON_NO_CITATION = "The sentence cites no evidence; cite at least one item as [E:<id>]."
REASON_UNKNOWN_EVIDENCE = "The sentence cites evidence that does not exist: {evidence_id}."
REASON_UNSUPPORTED_NUMBER = "The number {number!r} does not appear in any evidence the sentence cites."

# Which kinds of evidence make the strongest impact statements, when scores tie otherwise.
_KIND_WEIGHT: Mapping[EvidenceKind, int] = {
    "merged_change": 3,
    "incident": 3,
    "design_doc": 2,
    "accomplishment": 2,
    "feedback": 1,
}
_TEMPLATES: Mapping[EvidenceKind, str] = {
    "merged_change": "{possessive} change “{title}”: {outcome}",
    "incident": "{subject} helped close the incident “{title}”: {outcome}",
    "design_doc": "{possessive} design “{title}”: {outcome}",
    "feedback": "Feedback named “{title}”: {outcome}",
    "accomplishment": "{possessive} work on “{title}”: {outcome}",
}
# One person's activity counts (principle 5): never quoted as impact, whatever the source calls them.
_ACTIVITY_METRIC = re.compile(
    r"(?:^|[_\s-])(?:lines?|loc|files?|commits?|additions|deletions|insertions|changes|changed|prs?|"
    r"pull[_\s-]?requests?|merge[_\s-]?requests?|reviews?|comments?)(?:[_\s-]|$)",
    re.IGNORECASE,
)
# Metadata sentences ("Commit f309… in api: 1 file(s), +1/-0 lines") are not outcomes either.
_METADATA = re.compile(r"\b(?:commits?|file\(s\)|files?|lines?|loc|diff|sha)\b|[+-]\d+\s*/\s*[+-]?\d+", re.IGNORECASE)
# Words that close an incident or move a measure, beside the outcome lexicon's words of change.
_CLOSURE = re.compile(r"\b(?:restor|resolv|mitigat|drain|recover|without (?:any )?(?:data )?loss)|"
                      r"\bwent (?:from|down|up)\b|\bfrom \S*\d\S*(?: \S+)? to \S*\d", re.IGNORECASE)
_BRACKETS = re.compile(r"[\[\]#]|://")
# Ids the drafter can cite unambiguously inside "[E:<id>]" (no colon, no comma, no space).
_DRAFTABLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]*")


@dataclass(frozen=True)
class EvidenceItem:
    """One citable piece of evidence (A7). ``metrics`` maps a metric name to a finite number."""

    evidence_id: str
    kind: EvidenceKind
    title: str
    summary: str = ""
    occurred_at: date | datetime | None = None
    metrics: Mapping[str, float | int] = field(default_factory=dict)
    #: What records linked to the item say it achieved: an accomplishment's result, how the
    #: incident was closed, feedback that named it. Rendered into the item's text, so quotable.
    outcomes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DraftIssue:
    """Why a sentence was rejected: a code for programs and a message for people."""

    code: DraftIssueCode
    message: str


@dataclass(frozen=True, slots=True)
class DraftSentence:
    """A sentence with the evidence ids it cites and, if rejected, the issues found."""

    text: str
    cited_ids: tuple[str, ...]
    issues: tuple[DraftIssue, ...] = ()


@dataclass(frozen=True, slots=True)
class DraftValidation:
    """Accepted and rejected sentences, each in input order."""

    accepted: tuple[DraftSentence, ...]
    rejected: tuple[DraftSentence, ...]

    @property
    def is_valid(self) -> bool:
        """True when every sentence was accepted."""
        return not self.rejected


def _validate_sentence(sentence: str, evidence: Mapping[str, str]) -> DraftSentence:
    cited = tuple(dict.fromkeys(citation.evidence_id for citation in find_citations(sentence)))
    issues: list[DraftIssue] = []
    if not cited:
        issues.append(DraftIssue("no_citation", REASON_NO_CITATION))
    unknown = [evidence_id for evidence_id in cited if evidence_id not in evidence]
    issues.extend(
        DraftIssue("unknown_evidence", REASON_UNKNOWN_EVIDENCE.format(evidence_id=evidence_id))
        for evidence_id in unknown
    )
    available = [
        number for evidence_id in cited if evidence_id in evidence for number in extract_numbers(evidence[evidence_id])
    ]
    for number in extract_numbers(mask_citations(sentence)):
        if not any(numbers_match(number, candidate) for candidate in available):
            issues.append(DraftIssue("unsupported_number", REASON_UNSUPPORTED_NUMBER.format(number=number.text)))
    return DraftSentence(sentence, cited, tuple(issues))


def validate_draft(sentences_or_text: str | Sequence[str], *, evidence: Mapping[str, str]) -> DraftValidation:
    """Check a draft sentence by sentence against ``evidence`` (evidence id → its full text).

    A string is split into sentences; a sequence is taken as already split. A sentence is
    accepted when it cites at least one id that exists in ``evidence``, cites no unknown id, and
    every number in it (ignoring the citations themselves) appears, after normalising "1,200" to
    "1200" and "12 %" to "12%", in the text of at least one cited item. Blank sentences are skipped.
    """
    if isinstance(sentences_or_text, str):
        sentences = [span.text for span in split_sentences(sentences_or_text)]
    else:
        sentences = [sentence.strip() for sentence in sentences_or_text]
    checked = [_validate_sentence(sentence, evidence) for sentence in sentences if sentence]
    return DraftValidation(
        accepted=tuple(s for s in checked if not s.issues),
        rejected=tuple(s for s in checked if s.issues),
    )


def _clean(text: str) -> str:
    # Copied text must not smuggle in citations ("[E:9]", "#PR-4", URLs), and whitespace must
    # render the same in the draft and in the evidence text it is validated against.
    return re.sub(r"\s+", " ", _BRACKETS.sub(" ", text)).strip().rstrip(".;:, ")


def _format_value(value: float | int) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return format(Decimal(repr(value)).normalize(), "f")


def _metric_phrases(item: EvidenceItem, *, outcomes_only: bool = False) -> list[str]:
    phrases = []
    for name in sorted(item.metrics):
        value = item.metrics[name]
        if isinstance(value, float) and not math.isfinite(value):
            continue
        if outcomes_only and _ACTIVITY_METRIC.search(name):
            continue
        label = _clean(name.replace("_", " "))
        if label:
            phrases.append(f"{label} {_format_value(value)}")
    return phrases


def render_evidence_text(item: EvidenceItem) -> str:
    """The text drafts are validated against: title, summary, date, metrics and linked outcomes."""
    parts = [_clean(item.title), _clean(item.summary)]
    if item.occurred_at is not None:
        parts.append(item.occurred_at.isoformat())
    parts.extend(_metric_phrases(item))
    parts.extend(_clean(outcome) for outcome in item.outcomes)
    return "\n".join(part for part in parts if part)


def _outcome_score(text: str) -> int:
    if not text or _METADATA.search(text):
        return 0
    outcomes = load_phrase_set("outcomes", "phrases")
    if not (outcomes.search(text) or _CLOSURE.search(text)):
        return 0
    return 2 + int(bool(extract_numbers(text)))


def _best_summary_sentence(item: EvidenceItem) -> str:
    best, best_score = "", 0
    for span in split_sentences(_clean(item.summary)):
        score = _outcome_score(span.text)
        if score > best_score:
            best, best_score = _clean(span.text), score
    return best


def _outcome_texts(item: EvidenceItem) -> list[str]:
    """Outcome statements for the item: linked outcomes first, then the summary's best outcome sentence."""
    linked = [text for text in (_clean(outcome) for outcome in item.outcomes) if text and not _METADATA.search(text)]
    summary = _best_summary_sentence(item)
    found = list(dict.fromkeys([*linked, summary] if summary else linked))
    return found[:2]


def has_outcome(item: EvidenceItem) -> bool:
    """Whether the item says what changed (an outcome sentence, a linked outcome or a service metric)."""
    return bool(_outcome_texts(item) or _metric_phrases(item, outcomes_only=True))


def context_items(evidence_items: Iterable[EvidenceItem]) -> tuple[str, ...]:
    """Ids of the items that state no outcome: to be listed as context, not drafted as impact."""
    ids = {item.evidence_id: item for item in evidence_items}
    return tuple(sorted(evidence_id for evidence_id, item in ids.items() if not has_outcome(item)))


def _informativeness(item: EvidenceItem) -> int:
    return (3 * len(_metric_phrases(item, outcomes_only=True)) + 2 * len(_outcome_texts(item))
            + _KIND_WEIGHT[item.kind])


def _subject(person_name: str | None) -> str:
    name = _clean(person_name or "")
    # A name with digits would put a number in the draft that no evidence holds.
    if not name or any(character.isdigit() for character in name):
        return "They"
    return name


def _occurred_key(item: EvidenceItem) -> str:
    return item.occurred_at.isoformat() if item.occurred_at is not None else ""


def _sentence_start(text: str) -> str:
    # Lower-case a capital that starts a word ("This cut …") but not an acronym ("API …").
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def draft_impact_statements(
    evidence_items: Iterable[EvidenceItem],
    *,
    person_name: str | None = None,
    max_sentences: int = 5,
) -> tuple[str, ...]:
    """Draft up to ``max_sentences`` impact statements, one per evidence item with an outcome, each citing it.

    A sentence says what changed: the item's linked outcomes, its summary's outcome sentence and its
    service metrics; never one person's activity counts (lines, files, commits) or metadata. Items
    with no outcome are not drafted (see :func:`context_items`). Items are chosen by how much outcome
    they state, then kind, ties broken by most recent ``occurred_at`` and then by id, so the same
    input always gives the same draft. Numbers are only ever copied from the item. Items whose id is
    not a plain token (letters, digits, ``_ . - /``) are skipped, and a ``person_name`` containing
    digits is replaced by "They". A human edits and approves the draft; it is never a rating.
    """
    if max_sentences < 1:
        raise ValueError(ERROR_MAX_SENTENCES.format(value=max_sentences))
    items = {item.evidence_id: item for item in evidence_items if _DRAFTABLE_ID.fullmatch(item.evidence_id)}
    # Stable sorts, least significant key first: id, then most recent, then most informative.
    ranked = sorted((item for item in items.values() if has_outcome(item)), key=lambda item: item.evidence_id)
    ranked = sorted(ranked, key=_occurred_key, reverse=True)
    ranked = sorted(ranked, key=lambda item: -_informativeness(item))
    subject = _subject(person_name)
    possessive = "Their" if subject == "They" else f"{subject}’s"
    sentences: list[str] = []
    for item in ranked[:max_sentences]:
        title = _clean(item.title) or "untitled"
        outcome = "; ".join(_sentence_start(text) for text in _outcome_texts(item))
        metrics = _metric_phrases(item, outcomes_only=True)
        if metrics:
            outcome = f"{outcome} ({', '.join(metrics)})" if outcome else ", ".join(metrics)
        sentence = _TEMPLATES[item.kind].format(subject=subject, possessive=possessive, title=title, outcome=outcome)
        sentences.append(f"{sentence} {format_citation(item.evidence_id)}.")
    return tuple(sentences)
