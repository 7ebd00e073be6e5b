"""Evidence named in words: the pull requests, commits, tickets and links a claim mentions.

A real accomplishment or self review rarely cites ``[E:id]``; it names its evidence the way engineers
write it: a link to a pull request or merge request, ``#1234``, ``!77``, "PR 1234", a commit hash, a
ticket key such as ``PAY-512``, a document or dashboard link. :func:`find_references` finds those
mentions, deterministically; whether each one is an evidence item Brightline holds is decided by the
evidence app (``brightline.evidence.references``), which only counts a mention that resolves.

The forms, in the order they are read (a span taken by one form is not read again):

* **link**: an ``http(s)://`` address. A pull-request, merge-request or commit page
  (``…/pull/12``, ``…/-/merge_requests/12``, ``…/commit/<sha>``) is also read as that change;
* **merge request**: ``!12``, "MR 12", ``MR-12``, "merge request 12";
* **pull request**: ``#12`` (two digits or more, so "#1 priority" is not one), "PR 12", "PR #12", ``PR-12``,
  "pull request 12", "pull 12", ``GH-12``;
* **commit**: 7 to 40 hexadecimal characters with at least one digit and one letter (so neither a
  plain number nor a word such as "defaced" is read as one);
* **ticket**: an upper-case key of 2–10 letters, a dash and digits (``PAY-512``), except prefixes
  that name a standard or an encoding (``UTF-8``, ``SHA-256``, ``ISO-8601``, ``RFC-7231`` …).

``[E:…]`` citations are not references (they are read by :mod:`.citations`) and are masked first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

__all__ = ["REFERENCE_WORDS", "Reference", "ReferenceKind", "describe_references", "find_references",
           "normalise_url"]

ReferenceKind = Literal["link", "pull_request", "merge_request", "commit", "ticket"]

#: How a reader calls each kind of reference (used in statements, never the reference itself).
REFERENCE_WORDS: dict[str, tuple[str, str]] = {
    "link": ("a link", "links"),
    "pull_request": ("a pull request", "pull requests"),
    "merge_request": ("a merge request", "merge requests"),
    "commit": ("a commit", "commits"),
    "ticket": ("a ticket", "tickets"),
}

# Prefixes that look like ticket keys but name a standard, an encoding or a version scheme.
NOT_TICKET_PREFIXES = frozenset({
    "UTF", "UCS", "SHA", "MD", "ISO", "IEC", "IEEE", "RFC", "PEP", "TLS", "SSL", "HTTP", "HTTPS", "IPV", "AES", "RSA",
    "ECMA", "ES", "EN", "DIN", "ANSI", "COVID", "SARS", "MP", "CVE", "CWE", "FY", "GH", "PR", "MR",
})

_CITATION = re.compile(r"\[\s*(?:E|evidence)\s*:[^\]]*\]", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s\]\)>\"'`]+?(?=[.,;:!?]?(?:[\s\]\)>\"'`]|$))", re.IGNORECASE)
_PULL_PATH = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/pulls?/(?P<number>\d+)(?:/.*)?$")
_MERGE_PATH = re.compile(r"^/(?P<repo>.+?)/-/merge_requests/(?P<number>\d+)(?:/.*)?$")
_COMMIT_PATH = re.compile(r"^/(?P<repo>.+?)(?:/-)?/commits?/(?P<sha>[0-9a-f]{7,40})(?:/.*)?$", re.IGNORECASE)
_MERGE = re.compile(r"(?<![\w!])!(?P<number>\d+)\b|\b(?:MR|merge request)\s*[!#-]?(?P<spelled>\d+)\b", re.IGNORECASE)
_PULL = re.compile(
    r"(?<![\w#&])#(?P<number>\d{2,})\b|\b(?:PR|pull request|pull)\s*[#-]?(?P<spelled>\d+)\b|\bGH-(?P<gh>\d+)\b",
    re.IGNORECASE,
)
_HEX = re.compile(r"(?<![\w#])(?<!0x)(?P<sha>[0-9a-f]{7,40})(?![\w])", re.IGNORECASE)
_TICKET = re.compile(r"(?<![\w-])(?P<key>(?P<prefix>[A-Z]{2,10})-(?P<number>\d+))(?![\w-])")


@dataclass(frozen=True, slots=True)
class Reference:
    """One piece of evidence a text names: its kind, its value as found (a number, a lower-case hash, an
    upper-case key, a link), the repository a link names (``owner/name``) and where it sits."""

    kind: ReferenceKind
    value: str
    repo: str = ""
    url: str = ""
    start: int = 0
    end: int = 0


def normalise_url(url: str) -> str:
    """A link as compared: scheme and host in lower case, no fragment, no trailing slash."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def _is_sha(token: str) -> bool:
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


def _link(match: re.Match[str]) -> Reference:
    url = match.group(0)
    path = urlsplit(url).path.rstrip("/")
    found = _PULL_PATH.match(path)
    if found:
        return Reference("pull_request", found.group("number"), found.group("repo"), url, match.start(), match.end())
    found = _MERGE_PATH.match(path)
    if found:
        return Reference("merge_request", found.group("number"), found.group("repo"), url, match.start(),
                         match.end())
    found = _COMMIT_PATH.match(path)
    if found:
        return Reference("commit", found.group("sha").lower(), found.group("repo"), url, match.start(), match.end())
    return Reference("link", normalise_url(url), "", url, match.start(), match.end())


def find_references(text: str) -> tuple[Reference, ...]:
    """Every piece of evidence ``text`` names, in order of appearance, each once (by kind, value, repo)."""
    masked = _CITATION.sub(lambda m: " " * len(m.group(0)), text or "")
    found: list[Reference] = []

    def blank(start: int, end: int) -> None:
        nonlocal masked
        masked = masked[:start] + " " * (end - start) + masked[end:]

    for match in list(_URL.finditer(masked)):
        found.append(_link(match))
        blank(match.start(), match.end())
    for match in list(_MERGE.finditer(masked)):
        found.append(Reference("merge_request", match.group("number") or match.group("spelled"),
                               start=match.start(), end=match.end()))
        blank(match.start(), match.end())
    for match in list(_PULL.finditer(masked)):
        number = match.group("number") or match.group("spelled") or match.group("gh")
        found.append(Reference("pull_request", number, start=match.start(), end=match.end()))
        blank(match.start(), match.end())
    for match in list(_TICKET.finditer(masked)):
        if match.group("prefix") in NOT_TICKET_PREFIXES:
            continue
        found.append(Reference("ticket", match.group("key"), start=match.start(), end=match.end()))
        blank(match.start(), match.end())
    for match in _HEX.finditer(masked):
        if _is_sha(match.group("sha")):
            found.append(Reference("commit", match.group("sha").lower(), start=match.start(), end=match.end()))
    unique: dict[tuple[str, str, str], Reference] = {}
    for reference in sorted(found, key=lambda r: (r.start, r.end)):
        unique.setdefault((reference.kind, reference.value, reference.repo), reference)
    return tuple(unique.values())


def describe_references(kinds: Iterable[str]) -> str:
    """The kinds of references, in words: "a pull request and two tickets"."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    numbers = {2: "two", 3: "three", 4: "four", 5: "five"}
    parts = []
    for kind in REFERENCE_WORDS:
        count = counts.get(kind, 0)
        if count:
            one, many = REFERENCE_WORDS[kind]
            parts.append(one if count == 1 else f"{numbers.get(count, str(count))} {many}")
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
