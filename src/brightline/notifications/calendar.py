"""A person's own deadlines as an iCalendar feed (RFC 5545) that calendar apps subscribe to.

The feed's address holds a secret token of its own (not the session): the person can create it,
replace it (the old address stops working at once) or switch it off. Each deadline is an all-day
event whose UID depends only on what it is about (the cycle, the appeal, the support plan), so a
calendar app that refreshes the feed updates its events in place instead of adding copies.

Titles name the deadline and, for a check-in, whom it is with; never a rating, outcome or the
word "support plan" (subscribed calendars are often shared with assistants).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from brightline.audit.services import log_action
from brightline.notifications.models import NotificationSettings
from brightline.people.models import Person
from brightline.reviews.models import Appeal, PanelMember, Phase, Review, ReviewCycle
from brightline.support.models import Cadence, SupportPlan

CADENCE_DAYS: Final = {Cadence.WEEKLY: 7, Cadence.FORTNIGHTLY: 14, Cadence.MONTHLY: 30}
LINE_OCTETS: Final = 75
PRODID: Final = "-//Brightline//Deadlines//EN"


@dataclass(frozen=True)
class Deadline:
    uid: str
    day: date
    summary: str
    path: str


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _host() -> str:
    return urlsplit(settings.BRIGHTLINE_BASE_URL).hostname or "brightline"


def deadlines_for(person: Person) -> list[Deadline]:
    """The deadlines of open cycles, appeals and support plans that concern ``person``, by date."""
    found: list[Deadline] = []
    open_cycles = ~Q(cycle__phase=Phase.CLOSED)
    inbox = reverse("home") + "#inbox"  # the reviews waiting for the person are listed there

    def add(uid: str, day: date | None, summary: str, path: str) -> None:
        if day is not None:
            found.append(Deadline(f"{uid}-{person.pk}@{_host()}", day, summary, path))

    for review in Review.objects.filter(open_cycles, person=person).select_related("cycle"):
        cycle, path = review.cycle, reverse("reviews:review", args=[review.pk])
        add(f"cycle-{cycle.pk}-self-review", _date(cycle.schedule.get(Phase.SELF_REVIEW)),
            f"Self review due ({cycle.name})", path)
        add(f"cycle-{cycle.pk}-appeal-window", _date(cycle.schedule.get(Phase.ACKNOWLEDGEMENT)),
            f"Acknowledgement and appeal window closes ({cycle.name})", path)
    # The open cycles the person assesses in or sits on the panel of, in one query (the list is sorted below).
    cycles = (ReviewCycle.objects.filter(~Q(phase=Phase.CLOSED))
              .annotate(assesses=Exists(Review.objects.filter(cycle=OuterRef("pk"), manager=person)),
                        on_panel=Exists(PanelMember.objects.filter(cycle=OuterRef("pk"), person=person)))
              .filter(Q(assesses=True) | Q(on_panel=True)))
    for cycle in cycles:
        if cycle.assesses:
            add(f"cycle-{cycle.pk}-assessments", _date(cycle.schedule.get(Phase.MANAGER_ASSESSMENT)),
                f"Manager assessments due ({cycle.name})", inbox)
        if cycle.on_panel:
            add(f"cycle-{cycle.pk}-pre-votes", _date(cycle.schedule.get(Phase.CALIBRATION)),
                f"Calibration pre-votes due ({cycle.name})", inbox)

    deciding = Q(reviewer=person, status=Appeal.Status.IN_REVIEW)
    deciding_further = Q(escalation_reviewer=person, status=Appeal.Status.ESCALATED, escalation_decided_at__isnull=True)
    for appeal in Appeal.objects.filter(deciding | deciding_further):
        if appeal.reviewer_id == person.pk and appeal.status == Appeal.Status.IN_REVIEW:
            add(f"appeal-{appeal.pk}-decision", appeal.due_on, "Appeal decision due",
                reverse("reviews:appeal", args=[appeal.pk]))
        if appeal.escalation_reviewer_id == person.pk and appeal.status == Appeal.Status.ESCALATED \
                and appeal.escalation_decided_at is None:
            add(f"appeal-{appeal.pk}-escalation-decision", appeal.escalation_due_on, "Escalated appeal decision due",
                reverse("reviews:appeal", args=[appeal.pk]))

    plans = (SupportPlan.objects.filter(Q(person=person) | Q(person__manager=person), status=SupportPlan.Status.ACTIVE)
             .select_related("person__manager").annotate(last_check_in=Max("check_ins__held_on")))
    for plan in plans:
        due = (plan.last_check_in or plan.starts_on) + timedelta(days=CADENCE_DAYS.get(plan.cadence, 14))
        other = plan.person.manager if plan.person_id == person.pk else plan.person
        with_whom = other.name if other is not None else "your manager"
        add(f"plan-{plan.pk}-check-in", due, f"Check-in with {with_whom}", reverse("support:plan", args=[plan.pk]))
    return sorted(found, key=lambda deadline: (deadline.day, deadline.summary))


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Split a content line into 75-octet pieces joined by CRLF and a space (RFC 5545 3.1)."""
    pieces: list[str] = []
    current = ""
    for char in line:
        limit = LINE_OCTETS if not pieces else LINE_OCTETS - 1
        if len((current + char).encode()) > limit:
            pieces.append(current)
            current = ""
        current += char
    pieces.append(current)
    return "\r\n ".join(pieces)


def render_ics(person: Person, *, now: datetime | None = None) -> str:
    stamp = (now or timezone.now()).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = settings.BRIGHTLINE_BASE_URL.rstrip("/")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             "X-WR-CALNAME:Brightline deadlines", "REFRESH-INTERVAL;VALUE=DURATION:PT6H", "X-PUBLISHED-TTL:PT6H"]
    for deadline in deadlines_for(person):
        link = base + deadline.path
        lines += ["BEGIN:VEVENT", f"UID:{deadline.uid}", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{deadline.day:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{deadline.day + timedelta(days=1):%Y%m%d}",
                  f"SUMMARY:{_escape(deadline.summary)}", f"DESCRIPTION:{_escape('Open in Brightline: ' + link)}",
                  f"URL:{link}", "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def feed_path(row: NotificationSettings) -> str | None:
    if not row.calendar_token:
        return None
    return reverse("notifications:calendar-feed", args=[row.calendar_token])


def settings_for(person: Person) -> NotificationSettings:
    row, _ = NotificationSettings.objects.get_or_create(person=person)
    return row


def current_settings(person: Person) -> NotificationSettings:
    """The person's choices as stored, or the defaults (unsaved): reading them writes nothing."""
    return NotificationSettings.objects.filter(person=person).first() or NotificationSettings(person=person)


def regenerate_token(person: Person) -> NotificationSettings:
    """A new secret feed address; the previous one, if any, stops working at once."""
    row = settings_for(person)
    replaced = bool(row.calendar_token)
    row.calendar_token, row.calendar_token_created_at = secrets.token_urlsafe(32), timezone.now()
    row.save(update_fields=["calendar_token", "calendar_token_created_at", "updated_at"])
    log_action("notifications.calendar.replaced" if replaced else "notifications.calendar.created", person, person, {})
    return row


def revoke_token(person: Person) -> NotificationSettings:
    row = settings_for(person)
    if row.calendar_token:
        row.calendar_token, row.calendar_token_created_at = None, None
        row.save(update_fields=["calendar_token", "calendar_token_created_at", "updated_at"])
        log_action("notifications.calendar.revoked", person, person, {})
    return row


def person_for_token(token: str) -> Person | None:
    row = (NotificationSettings.objects.select_related("person")
           .filter(calendar_token=token, person__is_active=True).first()) if token else None
    return row.person if row is not None else None
