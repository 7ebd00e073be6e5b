"""Evidence citations inside narrative text.

The canonical syntax is ``[E:<id>]``, for example ``[E:123]`` or ``[E:pr-4512]``. Several ids may
share one bracket: ``[E:12, 14]``. Accepted alternates, so pasted text still counts:

- ``[evidence:<id>]`` (any case, also ``[Evidence: 12]``);
- ``#PR-45``, ``#MR-7``, ``#INC-31`` (a ``#``, an upper-case prefix, a dash and digits);
- a bare ``http://`` or ``https://`` URL, whose id is the URL itself.

Ids are letters, digits and ``_ . - / :``; they are compared as written (case-sensitive) except
for the ``#PR-45`` form, which is upper-cased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["CANONICAL_CITATION", "Citation", "CitationSyntax", "find_citations", "format_citation", "mask_citations"]

CANONICAL_CITATION = "[E:{evidence_id}]"

CitationSyntax = Literal["canonical", "evidence", "hash", "url"]

_ID = r"[A-Za-z0-9][A-Za-z0-9_.\-/:]*"
_BRACKET = re.compile(
    rf"\[\s*(?P<prefix>E|evidence)\s*:\s*(?P<ids>{_ID}(?:\s*,\s*(?:(?:E|evidence)\s*:\s*)?{_ID})*)\s*\]",
    re.IGNORECASE,
)
_HASH = re.compile(r"(?<![\w#])#(?P<id>[A-Za-z]{1,10}-\d+)\b")
# A URL ends before whitespace, a closing bracket, or trailing sentence punctuation.
_URL = re.compile(r"https?://[^\s\]\)>\"']+?(?=[.,;:!?]?(?:\s|$|[\]\)>\"']))")


@dataclass(frozen=True, slots=True)
class Citation:
    """One cited evidence id and where the citation sits in the text (character offsets)."""

    evidence_id: str
    start: int
    end: int
    syntax: CitationSyntax


def find_citations(text: str) -> tuple[Citation, ...]:
    """All evidence citations in ``text``, in order of appearance."""
    found: list[Citation] = []
    for match in _BRACKET.finditer(text):
        syntax: CitationSyntax = "canonical" if match.group("prefix").upper() == "E" else "evidence"
        for part in match.group("ids").split(","):
            evidence_id = re.sub(r"^(?:E|evidence)\s*:\s*", "", part.strip(), flags=re.IGNORECASE)
            found.append(Citation(evidence_id, match.start(), match.end(), syntax))
    for match in _HASH.finditer(text):
        found.append(Citation(match.group("id").upper(), match.start(), match.end(), "hash"))
    for match in _URL.finditer(text):
        found.append(Citation(match.group(0), match.start(), match.end(), "url"))
    return tuple(sorted(found, key=lambda citation: (citation.start, citation.end)))


def mask_citations(text: str) -> str:
    """``text`` with every citation replaced by spaces of the same length, so offsets still line up
    while ids like ``[E:123]`` are not read as numbers or words."""
    masked = list(text)
    for citation in find_citations(text):
        masked[citation.start : citation.end] = " " * (citation.end - citation.start)
    return "".join(masked)


def format_citation(evidence_id: str) -> str:
    """The canonical citation for one id: ``format_citation("123") == "[E:123]"``."""
    return CANONICAL_CITATION.format(evidence_id=evidence_id)
