"""Find the numbers in a sentence and compare them across formatting differences.

"1,200" and "1200" are the same number; "12%", "12 %" and "12 percent" are the same percentage;
"3x", "3×" and "3 times" are the same multiplier. Signs are ignored: "-5%" and "5%" compare equal,
because prose carries the direction in words ("fell by 5%").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

__all__ = ["NumberKind", "NumberMention", "extract_numbers", "numbers_match"]

NumberKind = Literal["plain", "percent", "multiplier"]

# Thousands separators only count in groups of three ("1,200", "12,000,000"), so "1,2" is two numbers.
_NUMBER = re.compile(
    r"(?<![0-9.,])(?P<value>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<suffix>\s?%|\s?percent\b|\s?per\s?cent\b|[x×](?![A-Za-z0-9])|\s?times\b)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class NumberMention:
    """A number found in text: ``value`` is normalised (no separators, no trailing zeros)."""

    start: int
    end: int
    text: str
    value: Decimal
    kind: NumberKind


def _normalise(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None
    # normalize() turns 1.50 into 1.5 and 1200 into 1.2E+3; both compare equal to their other spellings.
    return value.normalize()


def extract_numbers(text: str) -> tuple[NumberMention, ...]:
    """Every number written with digits in ``text``, in order, with its kind.

    Numbers glued to letters on the left ("p95", "v2", "Q3") are still numbers: a draft that
    invents "p99" makes a claim the evidence may not hold.
    """
    mentions: list[NumberMention] = []
    for match in _NUMBER.finditer(text):
        raw = match.group("value")
        value = _normalise(raw)
        if value is None:
            continue
        suffix = (match.group("suffix") or "").strip().lower()
        kind: NumberKind = "plain"
        if suffix in {"%", "percent"} or suffix.replace(" ", "") == "percent" or "cent" in suffix:
            kind = "percent"
        elif suffix in {"x", "×", "times"}:
            kind = "multiplier"
        end = match.end() if suffix else match.end("value")
        mentions.append(NumberMention(match.start(), end, text[match.start() : end], value, kind))
    return tuple(mentions)


def numbers_match(claimed: NumberMention, available: NumberMention) -> bool:
    """True when ``available`` supports ``claimed``: same value, and a percentage or multiplier
    is only supported by a percentage or multiplier. A plain number is supported by any kind."""
    if claimed.value != available.value:
        return False
    return claimed.kind == "plain" or claimed.kind == available.kind
