"""The audit trail page's filters: who acted, whose record, which kind of action, which days.

A plain GET form (it works without JavaScript); the filters only narrow ``AuditEntry`` rows, newest first, and never
change what the trail holds. Whose record is chosen by name: one match filters by that person (the page opens their
record through ``access.open_person_record``, so the read is logged); several matches are offered as a choice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from brightline.audit.models import ACTION_AREAS, AuditEntry

if TYPE_CHECKING:
    from django.http import QueryDict

ENTRIES_PER_PAGE = 25
MAX_NAME_CHOICES = 20  # a name matching more people than this asks for more of it
ERR_DATE = "Give the day as year-month-day, for example 2026-12-07."
ERR_DATES_REVERSED = "The first day comes after the last day: swap them."
ERR_NO_KIND = "Choose a kind of action from the list."


@dataclass
class TrailFilter:
    """What the reader asked for (``by``, ``about``, ``about_id``, ``kind``, the days) and what was wrong with it."""

    by: str = ""
    about: str = ""
    about_id: int | None = None
    kind: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    raw_start: str = ""
    raw_end: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return bool(self.by or self.about_id is not None or self.kind or self.start or self.end)


def kinds() -> list[tuple[str, str]]:
    """The kinds of action the form offers: each area of the product, by its name in words."""
    return sorted(ACTION_AREAS.items(), key=lambda item: item[1])


def _day(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def read_filter(query: QueryDict) -> TrailFilter:
    """The filter in a request's query string; each mistake by the field it is about."""
    chosen = TrailFilter(by=query.get("by", "").strip()[:200], about=query.get("about", "").strip()[:200],
                         kind=query.get("kind", "").strip(), raw_start=query.get("from", "").strip()[:20],
                         raw_end=query.get("to", "").strip()[:20])
    about_id = query.get("about_id", "").strip()
    chosen.about_id = int(about_id) if about_id.isdigit() else None
    if chosen.kind and chosen.kind not in ACTION_AREAS:
        chosen.errors["kind"] = ERR_NO_KIND
        chosen.kind = ""
    for name, raw in (("from", chosen.raw_start), ("to", chosen.raw_end)):
        try:
            day = _day(raw)
        except ValueError:
            chosen.errors[name] = ERR_DATE
            continue
        if name == "from":
            chosen.start = day
        else:
            chosen.end = day
    if chosen.start and chosen.end and chosen.start > chosen.end:
        chosen.errors["to"] = ERR_DATES_REVERSED
        chosen.start = chosen.end = None
    return chosen


def entries(chosen: TrailFilter) -> QuerySet[AuditEntry]:
    """The entries the filter keeps, newest first (one query when counted, one per page read)."""
    rows = AuditEntry.objects.order_by("-seq")
    if chosen.by:
        rows = rows.filter(actor_label__icontains=chosen.by)
    if chosen.about_id is not None:
        rows = rows.filter(subject_person_id=chosen.about_id)
    if chosen.kind:
        rows = rows.filter(Q(action__startswith=f"{chosen.kind}."))
    if chosen.start:
        rows = rows.filter(created_at__gte=dt.datetime.combine(chosen.start, dt.time.min, tzinfo=dt.UTC))
    if chosen.end:
        rows = rows.filter(created_at__lt=dt.datetime.combine(chosen.end + dt.timedelta(days=1), dt.time.min,
                                                              tzinfo=dt.UTC))
    return rows
