"""General detectors of concrete evidence in a statement about work (issue 16, part 2).

The narrative checks must never call a statement with a measurable result, a named artefact or a
before/after "output without outcome", and the learned model's "vague" must yield to strong evidence of
something concrete. These detectors recognise the *shape* of such evidence rather than listing phrases:

* a **measurable quantity**: a number with a unit of time, size, rate, money or share ("11 minutes",
  "a 30-minute target", "2 GB", "40%", "$12k", "3x"); a share of 100 % or more ("gives 110 percent") is a
  figure of speech and does not count;
* a **named artefact**: code or an identifier (a code span, a command-line flag, ``snake_case``,
  ``dotted.names`` and file names such as ``config.yaml`` or ``docs/index.md``, a version such as 3.12.4)
  and, for the outcome check only, a CamelCase name such as ``BillingService`` or a lower-case kebab-case name
  that ends its noun phrase ("the load test for checkout-service");
* a **before/after**: "from 40 minutes to 6", "down from 9", a change verb with its size ("reduced failed
  charges by a third", "cut the bill by 40%", "halved the build time");
* a **calendar date**: "14 March", "March 14", "March 2025", "2025-03-14", "14/03/2025" (a year or a month
  alone is not a date: "did great things in 2025" says nothing concrete).

Each detector returns the spans it found so that a caller can say which words made the difference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

__all__ = [
    "EvidenceKind",
    "has_evidence",
    "EvidenceSpan",
    "before_after",
    "calendar_dates",
    "find_evidence",
    "measurable_quantities",
    "named_artefacts",
]

EvidenceKind = Literal["quantity", "artefact", "before_after", "date"]

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUMBER_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"sixty|ninety|a hundred|hundred|a thousand|thousand|a dozen|dozen)"
)
# Units of time, size, rate and count of operations; "x" and "times" are multipliers.
_UNIT = (
    r"(?:%|percent|per ?cent|ms|msecs?|milliseconds?|µs|us|ns|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|"
    r"days?|weeks?|months?|years?|quarters?|[kmgtp]i?b|bytes?|kbps|mbps|gbps|rps|qps|req/s|requests?|rows?|"
    r"records?|queries|calls|errors?|incidents?|pages?|alerts?|tickets?|users?|customers?|k|m|bn|x|×|times|"
    r"points?|pts|dollars?|euros?|pounds?)"
)
# A number and its unit: "11 minutes", "30-minute", "2GB", "40 %", "$12k", "€3.5m", "3x".
_QUANTITY = re.compile(
    rf"(?<![\w.])(?:[$€£]\s?{_NUMBER}(?:\s?(?:k|m|bn|million|billion|thousand))?\b|"
    rf"{_NUMBER}(?:\s?|-){_UNIT}(?![\w])|{_NUMBER_WORD}-(?:second|minute|hour|day|week|month)\b)",
    re.IGNORECASE,
)
# "110 percent", "100% of my trust": a share of 100 or more is a figure of speech, not a measurement.
_FIGURE_OF_SPEECH = re.compile(r"^1\d\d\s?(?:%|percent|per ?cent)$", re.IGNORECASE)

_CODE_SPAN = r"`[^`]+`"
_FLAG = r"(?<![\w-])--[a-z][\w-]+"
_SNAKE = r"\b[A-Za-z][A-Za-z0-9]*_\w+"
# Dotted names and file names: flask.json, config.yaml, pip-log.txt (not e.g., i.e., a.m., nor two sentences glued
# by a missing space: "early.The"); paths with two slashes or a file name: src/app/main.py, docs/index.md (not
# "and/or").
_DOTTED = (
    r"\b(?![a-z]+\.[A-Z][a-z]+\b)[A-Za-z][\w-]*(?:\.[A-Za-z_][\w-]*)+\b|"
    r"(?<![\w/])[\w.-]*/[\w.-]+/[\w./-]+|\b[\w-]+/[\w-]+\.[A-Za-z]\w*"
)
_VERSION = r"\bv?\d+\.\d+\.\d+\b"
# CamelCase names of systems, classes and services (BillingService, LocalStack, CAPaths, iPhone); surnames
# such as McKenzie, MacDonald, DeShawn or LaToya are not names of artefacts.
_NAME_PREFIX = r"(?:Mc|Mac|Mack|De|Di|Da|Du|La|Le|Lo|Van|Von|St|O)"
_CAMEL = (
    rf"\b(?!{_NAME_PREFIX}[A-Z][a-z])"
    r"(?:[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+|[A-Z]{2,}[a-z]+[A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*)\b"
)
_CODE_LIKE = re.compile("|".join((_CODE_SPAN, _FLAG, _SNAKE, _DOTTED, _VERSION)))
_CAMEL_CASE = re.compile(_CAMEL)
# A lower-case kebab-case name at the end of its noun phrase ("the load test for checkout-service."), not a
# compound adjective before a noun ("high-quality work", "a last-minute project").
_KEBAB = re.compile(
    r"(?<![\w-])[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?![\w-])(?=\s*(?:$|[.,;:)!?]|\s(?:and|or|in|on|for|to|with|by|at|"
    r"from|so|which|that|when|after|before|during|across|via)\b))"
)
_DOTS_NOT_NAMES = re.compile(r"^(?:e\.g|i\.e|a\.m|p\.m|etc|vs|u\.s|u\.k)\.?$", re.IGNORECASE)

_CHANGE_VERB = (
    r"(?:reduc|cut|lower|drop|decreas|shrank|shrunk|shrink|shorten|trim|slash|increas|rais|grew|grow|rose|"
    r"boost|improv|sped|speed|saved?|saving|fell|fall|brought)\w*"
)
_SIZE = rf"(?:{_NUMBER}|{_NUMBER_WORD}|half|a half|a third|a quarter|two thirds|three quarters|an order of magnitude)"
_BEFORE_AFTER = re.compile(
    rf"\bfrom\s+(?:[A-Za-z]+\s+){{0,2}}?[$€£]?{_NUMBER}[^.;:]{{0,40}}?\bto\s+"
    rf"(?:about\s+|around\s+|under\s+|below\s+|over\s+|just\s+)?[$€£]?{_NUMBER}|"
    # the same in words: "from about twenty a month to five", "from three days to one"
    rf"\bfrom\s+(?:about\s+|around\s+|roughly\s+|nearly\s+|over\s+)?{_NUMBER_WORD}\b[^.;:]{{0,40}}?\bto\s+"
    rf"(?:about\s+|around\s+|under\s+|below\s+|just\s+)?(?:{_NUMBER_WORD}|zero|none|{_NUMBER})\b|"
    rf"\b(?:down|up)\s+from\s+[$€£]?{_NUMBER}|"
    rf"\b{_CHANGE_VERB}\b[^.;:]{{0,60}}?\bby\s+(?:about\s+|around\s+|over\s+|nearly\s+|almost\s+|roughly\s+)?{_SIZE}\b|"
    rf"\b(?:halved|doubled|tripled|quadrupled)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b|"
    rf"\b(?:{_MONTHS})\.?\s+(?:19|20)\d\d\b|\b(?:19|20)\d\d-[01]\d-[0-3]\d\b|\b[0-3]?\d/[01]?\d/(?:19|20)?\d\d\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class EvidenceSpan:
    """Words that are evidence of something concrete; ``start``/``end`` are offsets into the text."""

    kind: EvidenceKind
    start: int
    end: int
    text: str


def _spans(kind: EvidenceKind, pattern: re.Pattern[str], text: str) -> list[EvidenceSpan]:
    return [EvidenceSpan(kind, found.start(), found.end(), found.group()) for found in pattern.finditer(text)]


def measurable_quantities(text: str) -> list[EvidenceSpan]:
    """Numbers with a unit of time, size, rate, count or money, and shares below 100 %."""
    return [span for span in _spans("quantity", _QUANTITY, text) if not _FIGURE_OF_SPEECH.match(span.text)]


def figures_of_speech(text: str) -> list[EvidenceSpan]:
    """Shares of 100 % or more ("gives 110 percent", "100% committed"): hyperbole, not a measurement."""
    return [span for span in _spans("quantity", _QUANTITY, text) if _FIGURE_OF_SPEECH.match(span.text)]


def named_artefacts(text: str, *, names: bool = False) -> list[EvidenceSpan]:
    """Code, identifiers, file names and versions; with ``names`` also CamelCase names and a lower-case
    kebab-case name that ends its noun phrase. Those two name what was built ("a load test for checkout-service")
    but are not strong evidence on their own: "huge impact on BillingService" is still unsupported praise, and
    prose is full of compound adjectives ("a go-getter")."""
    found = [span for span in _spans("artefact", _CODE_LIKE, text) if not _DOTS_NOT_NAMES.match(span.text)]
    if names:
        found += _spans("artefact", _CAMEL_CASE, text) + _spans("artefact", _KEBAB, text)
    return sorted(found, key=lambda span: span.start)


def before_after(text: str) -> list[EvidenceSpan]:
    """A measured change: "from 40 minutes to 6", "down from 9", "reduced … by a third", "halved"."""
    return _spans("before_after", _BEFORE_AFTER, text)


def calendar_dates(text: str) -> list[EvidenceSpan]:
    """A day or a month of a given year: "14 March", "March 14th", "March 2025", "2025-03-14"."""
    return _spans("date", _DATE, text)


def find_evidence(text: str, *, names: bool = False) -> list[EvidenceSpan]:
    """Every piece of concrete evidence in ``text``, in order of position; ``names`` as for
    :func:`named_artefacts`."""
    spans = [
        *measurable_quantities(text),
        *named_artefacts(text, names=names),
        *before_after(text),
        *calendar_dates(text),
    ]
    return sorted(spans, key=lambda span: (span.start, -span.end))


@lru_cache(maxsize=4096)
def has_evidence(text: str) -> bool:
    """Whether :func:`find_evidence` finds anything in ``text`` (names other than code not counted); kept for the last
    few thousand texts, since the learned model and the rules both ask it of each sentence."""
    return bool(find_evidence(text))
