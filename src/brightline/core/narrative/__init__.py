"""Narrative checks and evidence-cited drafts (PRODUCT.md B4, B5, C5, C6).

Pure Python, no Django: :func:`check_text` flags weak review language with the words that
triggered each flag, a plain reason and a suggestion; :func:`validate_draft` accepts only drafted
sentences that cite existing evidence and whose numbers the evidence holds;
:func:`draft_impact_statements` writes such sentences from evidence items, offline and
deterministically.
"""

from brightline.core.narrative.checks import (
    ERROR_UNKNOWN_KIND,
    FLAG_IDS,
    NARRATIVE_KINDS,
    REASONS,
    SUGGESTIONS,
    FlagId,
    MatchedSpan,
    NarrativeFlag,
    NarrativeKind,
    NarrativeReport,
    SentenceReport,
    check_fields,
    check_text,
)
from brightline.core.narrative.citations import CANONICAL_CITATION, Citation, find_citations, format_citation
from brightline.core.narrative.drafts import (
    REASON_NO_CITATION,
    REASON_UNKNOWN_EVIDENCE,
    REASON_UNSUPPORTED_NUMBER,
    DraftIssue,
    DraftSentence,
    DraftValidation,
    EvidenceItem,
    EvidenceKind,
    context_items,
    draft_impact_statements,
    has_outcome,
    render_evidence_text,
    validate_draft,
)
from brightline.core.narrative.sentences import SentenceSpan, split_sentences

__all__ = [
    "CANONICAL_CITATION",
    "ERROR_UNKNOWN_KIND",
    "FLAG_IDS",
    "NARRATIVE_KINDS",
    "REASONS",
    "REASON_NO_CITATION",
    "REASON_UNKNOWN_EVIDENCE",
    "REASON_UNSUPPORTED_NUMBER",
    "SUGGESTIONS",
    "Citation",
    "DraftIssue",
    "DraftSentence",
    "DraftValidation",
    "EvidenceItem",
    "EvidenceKind",
    "FlagId",
    "MatchedSpan",
    "NarrativeFlag",
    "NarrativeKind",
    "NarrativeReport",
    "SentenceReport",
    "SentenceSpan",
    "check_fields",
    "check_text",
    "context_items",
    "draft_impact_statements",
    "find_citations",
    "format_citation",
    "has_outcome",
    "render_evidence_text",
    "split_sentences",
    "validate_draft",
]
