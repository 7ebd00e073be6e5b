"""Reads of a person's record grouped for the person who reads the log: one line per reader per day.

Every read stays in the access log, one row each, in its hash chain (principle: every read is logged). A manager's
team overview reads three parts of each report's record on every visit, so the raw rows of one morning run to
dozens; the person's "Who viewed my record" page groups them here, by reader and day, naming the parts read and how
many visits there were, and keeps each row behind a fold. Nothing here writes: grouping is presentation only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from brightline.audit.models import AccessLog

#: Reads by one reader less than this apart belong to one visit (one page reads several parts within a moment).
VISIT_GAP = dt.timedelta(seconds=5)
#: How many of the newest reads the page groups (one query).
READS_GROUPED = 1000


@dataclass
class ReadGroup:
    """One reader's reads of one person's record on one day."""

    day: dt.date
    viewer_label: str
    relation: str
    parts: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    entries: list[AccessLog] = field(default_factory=list)
    visits: int = 0

    @property
    def parts_in_words(self) -> str:
        return _joined([_lower_first(part) for part in self.parts])

    @property
    def other_channels(self) -> str:
        """The ways in other than a web page ("the API", "the admin site"), if any."""
        return _joined([channel for channel in self.channels if channel != "web page"])


def _lower_first(text: str) -> str:
    # "Evidence" → "evidence", but "AI signals" keeps its capitals.
    return text[:1].lower() + text[1:] if len(text) > 1 and text[1:2].islower() else text


def _joined(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def relation_of(viewer: Any, subject: Any, *, own: bool) -> str:
    """Why a reader may read the record, as the person sees it: "your manager", "a people partner", …"""
    if viewer is None:
        return ""
    if subject.manager_id == viewer.pk:
        return "your manager" if own else "their manager"
    role = getattr(viewer, "access_role", "")
    return {"people_partner": "a people partner", "admin": "an administrator", "leader": "a leader"}.get(role, "")


def grouped_reads(subject: Any, *, own: bool, limit: int = READS_GROUPED,
                  roles: dict[int, str] | None = None) -> list[ReadGroup]:
    """The newest ``limit`` reads of ``subject``'s record, newest day first, one group per reader and day.

    ``roles`` names, by reader id, the part a reader played in the person's reviews or promotion cases ("a
    calibration panelist", …); the apps that hold those seats sit above this one, so their caller works it out.
    It says more than a reader's role ("a leader") but a manager stays "your manager"."""
    roles = roles or {}
    entries = list(AccessLog.objects.filter(subject=subject).select_related("viewer").order_by("-at", "-seq")[:limit])
    groups: dict[tuple[dt.date, str], ReadGroup] = {}
    last_at: dict[tuple[dt.date, str], dt.datetime] = {}
    for entry in entries:
        day = timezone.localtime(entry.at).date()
        key = (day, entry.viewer_label)
        group = groups.get(key)
        if group is None:
            relation = relation_of(entry.viewer, subject, own=own)
            if entry.viewer is not None and subject.manager_id != entry.viewer.pk:
                relation = roles.get(entry.viewer.pk, relation)
            group = groups[key] = ReadGroup(day=day, viewer_label=entry.viewer_label, relation=relation)
        label = entry.record_label
        if label not in group.parts:
            group.parts.append(label)
        channel = entry.get_via_display()
        if channel not in group.channels:
            group.channels.append(channel)
        if entry.reason and entry.reason not in group.reasons:
            group.reasons.append(entry.reason)
        # Entries come newest first: a gap longer than a moment since the later read starts another visit.
        later = last_at.get(key)
        if later is None or later - entry.at > VISIT_GAP:
            group.visits += 1
        last_at[key] = entry.at
        group.entries.append(entry)
    return list(groups.values())
