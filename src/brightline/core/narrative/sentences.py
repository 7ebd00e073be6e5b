"""A small, dependency-free sentence splitter for review prose.

It splits after ``.``, ``!`` or ``?`` (and any closing quotes or brackets) when whitespace and a
plausible sentence start follow, and at blank lines and list bullets. It does not split inside
decimals ("1.5"), identifiers ("p95", "v2.0", "orders.created_at"), URLs, or after common
abbreviations ("e.g.", "i.e.", "vs.", "approx.", "Dr.") and single initials ("J. Smith").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ABBREVIATIONS", "SentenceSpan", "split_sentences"]

# Lower-cased, without the final period. "etc" is absent on purpose: it usually ends a sentence.
# fmt: off
ABBREVIATIONS = frozenset({
    "e.g", "i.e", "eg", "ie", "vs", "cf", "approx", "incl", "excl", "esp", "dept", "est", "fig",
    "no", "nos", "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "inc", "ltd", "co", "corp",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "min",
    "max", "avg", "a.m", "p.m", "u.s", "u.k", "al", "ca", "resp", "viz",
})
# fmt: on

_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9#])|[.!?]+[\"'”’)\]]*(?=\s*$)")
_HARD_BREAK = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•–]|\d+[.)])\s)")
_BULLET = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s+")
_TOKEN_BEFORE = re.compile(r"(\S+)$")


@dataclass(frozen=True, slots=True)
class SentenceSpan:
    """One sentence: its text (trimmed, bullet removed) and offsets into the original text."""

    text: str
    start: int
    end: int


def _is_abbreviation(block: str, period_at: int) -> bool:
    token_match = _TOKEN_BEFORE.search(block[: period_at + 1])
    if token_match is None:
        return False
    original = token_match.group(1).lstrip("(\"'“‘[")
    token = original.lower()
    if token.rstrip(".") in ABBREVIATIONS:
        return True
    # A single capital initial ("J. Smith") or a dotted acronym ("U.S.") is not a sentence end;
    # a lower-case unit ("0.4 s.") is.
    return bool(re.fullmatch(r"[A-Z]\.?", original) or re.fullmatch(r"(?:[A-Za-z]\.){2,}", original))


def _split_block(text: str, block_start: int, block_end: int) -> list[SentenceSpan]:
    block = text[block_start:block_end]
    spans: list[SentenceSpan] = []
    cursor = 0
    for boundary in _BOUNDARY.finditer(block):
        if (
            block[boundary.start()] == "."
            and boundary.group(0).startswith(".")
            and len(boundary.group(0).rstrip("\"'”’)]")) == 1
            and _is_abbreviation(block, boundary.start())
        ):
            continue
        spans.extend(_make_span(text, block_start + cursor, block_start + boundary.end()))
        cursor = boundary.end()
    spans.extend(_make_span(text, block_start + cursor, block_end))
    return spans


def _make_span(text: str, start: int, end: int) -> list[SentenceSpan]:
    piece = text[start:end]
    bullet = _BULLET.match(piece)
    if bullet:
        start += bullet.end()
        piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return []
    start += len(piece) - len(piece.lstrip())
    return [SentenceSpan(stripped, start, start + len(stripped))]


def split_sentences(text: str) -> tuple[SentenceSpan, ...]:
    """Split ``text`` into sentences with offsets; empty or blank text gives ``()``."""
    spans: list[SentenceSpan] = []
    block_start = 0
    for hard_break in _HARD_BREAK.finditer(text):
        spans.extend(_split_block(text, block_start, hard_break.start()))
        block_start = hard_break.end()
    spans.extend(_split_block(text, block_start, len(text)))
    return tuple(spans)
