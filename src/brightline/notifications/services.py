"""E-mail notifications and digests, built on the inbox: one source of truth for what needs a person.

For each person a run collects the *events* that concern them: every item of their "Needs you now"
list (``brightline.dashboards.inbox.inbox_for``: feedback and 360 requests, the self review or
assessment of a phase that opened, pre-votes, appeals, check-ins, AI signals they own), a reminder
when such an item's phase closes within :data:`REMINDER_DAYS`, and the events that are not actions:
their review released, a decision on their appeal, their appeal window closing.

Each event becomes a :class:`~brightline.notifications.models.Notice` keyed by (person, event key);
the database refuses a second row for the same pair, so a retried or repeated run finds the notice it
made before. Sending claims notices with a conditional update and a claim token (a notice is sent by
one run only), marks them sent after the mail server accepted the message, and puts a failed one back
for the next run, up to :data:`MAX_ATTEMPTS`. A notice left "being sent" by a run that died is never
sent again (nobody can tell whether the server got it): it is marked not sent after
:data:`CLAIM_TIMEOUT`, so nobody ever receives the same e-mail twice.

Each person chooses, per kind of notice (:data:`~brightline.notifications.models.NOTICE_KINDS`), right
away, in the digest (daily or weekly) or not by e-mail: the hourly run sends the right-away kinds, and each
person's digest in the first run at or after their digest hour in their zone (:func:`digests_due`), once per
local day; a notice of a kind switched off is recorded as such and never mailed (the inbox on the home page
lists it all the same). A person without a choice gets every kind in the daily digest at 08:00 in the zone on
their record.

Messages carry what to do, whom it is about and a link, never feedback text, ratings or outcomes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import smtplib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from brightline.audit.services import log_action
from brightline.dashboards.inbox import InboxItem, inbox_for
from brightline.notifications.calendar import current_settings
from brightline.notifications.models import (
    DEFAULT_DIGEST_HOUR,
    KIND_OF_NOTICE,
    NOTICE_KINDS,
    Delivery,
    Digest,
    DigestDay,
    Frequency,
    Notice,
    NotificationSettings,
)
from brightline.people.models import Person
from brightline.reviews.models import Appeal, Phase, Review

logger = logging.getLogger(__name__)

# A reminder goes out when an action's due date is this close (the phase is closing).
REMINDER_DAYS: Final = 2
# Decisions on appeals older than this are not announced (a new install does not mail the past).
RECENT_DAYS: Final = 30
MAX_ATTEMPTS: Final = 5
# A notice that is done with (sent, dropped, not sent) is deleted this long after it was made.
KEEP_DAYS: Final = 365
CLAIM_TIMEOUT: Final = timedelta(hours=1)
KEY_MAX: Final = 200
SUBJECT_PREFIX: Final = "Brightline: "
SUBJECT_MAX: Final = 150
INTERRUPTED: Final = "The run sending this stopped midway; it is not sent again so that nobody gets it twice."
ERR_FREQUENCY: Final = "Choose how often to be told: {choices}."
ERR_DIGEST: Final = "Choose when your digest goes: daily or weekly."
ERR_DIGEST_HOUR: Final = "Choose an hour of the day for your digest, from 00:00 to 23:00."
ERR_DIGEST_ZONE: Final = "Choose a time zone from the list, such as Europe/Berlin."
ERR_DELIVERY: Final = "Choose right away, in the digest or not by e-mail."
ERR_ALWAYS_MAILED: Final = ("This one concerns your own review or appeal and is not in your inbox, so it cannot be "
                            "switched off: choose right away or in the digest.")
ERR_UNKNOWN_KIND: Final = "There is no kind of notice called {key}."
SETTINGS_CHANGED: Final = "notifications.settings.changed"
# Kinds of notice whose title says its date already: the message adds no "(due …)".
DATED_TITLES: Final = ("appeal_window", "reminder")
# The inbox kind of the action each review step's reminder is about (see ``notifications.reminders``).
REMINDED_STEP_KIND: Final = {Phase.SELF_REVIEW.value: "self_review", Phase.MANAGER_ASSESSMENT.value: "assessment"}


class NotificationError(ValueError):
    """A choice refused; ``errors`` maps each refused field (``digest``, a kind's key) to why."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


@dataclass(frozen=True)
class Event:
    """Something that concerns one person; ``after`` names the event a reminder follows."""

    key: str
    kind: str
    title: str
    path: str
    due_on: date | None = None
    after: str | None = None


@dataclass
class RunReport:
    people: int = 0
    created: int = 0
    sent_messages: int = 0
    sent_notices: int = 0
    failed: int = 0
    dropped: int = 0
    purged: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"people": self.people, "notices_created": self.created, "messages_sent": self.sent_messages,
                "notices_sent": self.sent_notices, "failed": self.failed, "no_longer_needed": self.dropped,
                "deleted_after_a_year": self.purged}


def absolute_url(path: str) -> str:
    return settings.BRIGHTLINE_BASE_URL.rstrip("/") + path


def event_key(*parts: object) -> str:
    raw = "|".join(str(part) for part in parts)
    if len(raw) <= KEY_MAX:
        return raw
    return "sha256|" + hashlib.sha256(raw.encode()).hexdigest()


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _phase_end(schedule: dict[str, str], phase: str) -> date | None:
    try:
        return date.fromisoformat(schedule[phase])
    except (KeyError, TypeError, ValueError):
        return None


def _calibrations_begun(items: list[InboxItem]) -> list[Event]:
    """One event per cycle whose calibration a panelist takes part in, from their inbox's pre-votes: that it has
    begun, on how many people they pre-vote and by when, linking to the list of those people."""
    batches: dict[str, list[InboxItem]] = {}
    for item in items:
        if item.kind == "pre_vote" and item.batch:
            batches.setdefault(item.batch, []).append(item)
    events = []
    for cycle, owed in batches.items():
        count = len(owed)
        since = min(item.since for item in owed)
        events.append(Event(event_key("calibration_started", cycle, since.isoformat()), "calibration_started",
                            f"Calibration has begun for the {cycle}: record your pre-vote on {count} "
                            f"{'person' if count == 1 else 'people'}", reverse("reviews:index") + "#panel-h",
                            owed[0].due_on))
    return events


def events_for(person: Person, *, today: date) -> list[Event]:
    """Every event that concerns ``person`` today, reminders included (``after`` set on those)."""
    items = inbox_for(person, today=today)
    # A calibration begun comes first: it says what the pre-votes listed after it are about.
    events: list[Event] = _calibrations_begun(items)
    for item in items:
        base = event_key(item.kind, item.url, item.since.isoformat())
        events.append(Event(base, item.kind, item.title, item.url, item.due_on))
        if item.due_on is not None and item.due_on <= today + timedelta(days=REMINDER_DAYS):
            word = "Overdue" if item.due_on < today else "Due soon"
            events.append(Event(event_key("due", base), "due_soon", f"{word}: {item.title}", item.url,
                                item.due_on, after=base))

    for review in (Review.objects.filter(person=person, cycle__phase__in=[Phase.RELEASE, Phase.ACKNOWLEDGEMENT])
                   .select_related("cycle")):
        path = reverse("reviews:review", args=[review.pk])
        events.append(Event(event_key("released", review.pk), "released",
                            f"Your review for {review.cycle.name} is released", path))
        closes = _phase_end(review.cycle.schedule, Phase.ACKNOWLEDGEMENT)
        if (review.cycle.phase == Phase.ACKNOWLEDGEMENT and review.acknowledged_at is None and closes is not None
                and today <= closes <= today + timedelta(days=REMINDER_DAYS)):
            events.append(Event(event_key("appeal_window", review.pk, closes), "appeal_window",
                                f"The acknowledgement and appeal window for {review.cycle.name} closes on "
                                f"{_day(closes)}", path, closes))

    since = timezone.now() - timedelta(days=RECENT_DAYS)
    for appeal in (Appeal.objects.filter(review__person=person)
                   .filter(Q(decided_at__gte=since) | Q(escalation_decided_at__gte=since))
                   .select_related("review__cycle")):
        path = reverse("reviews:appeal", args=[appeal.pk])
        cycle = appeal.review.cycle.name
        if appeal.decided_at is not None and appeal.decided_at >= since:
            events.append(Event(event_key("appeal_decided", appeal.pk), "appeal_decided",
                                f"Your appeal ({cycle}) has been decided", path))
        if appeal.escalation_decided_at is not None and appeal.escalation_decided_at >= since:
            events.append(Event(event_key("appeal_escalation_decided", appeal.pk), "appeal_decided",
                                f"Your escalated appeal ({cycle}) has been decided", path))
    return events


def _snapshot(row: NotificationSettings) -> dict[str, object]:
    return {"digest": row.digest, "digest_hour": row.digest_hour, "digest_timezone": row.digest_timezone,
            **row.all_deliveries()}


# The zones a person may choose for their digest: the IANA names of places (``Europe/Berlin``) and UTC, without
# the legacy aliases (``US/Pacific``, ``Etc/GMT+5``).
ZONE_REGIONS: Final = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/", "Australia/",
                       "Europe/", "Indian/", "Pacific/")


@lru_cache(maxsize=1)
def digest_zones() -> tuple[str, ...]:
    """Read once per process: ``available_timezones()`` walks the time-zone database on disk on every call."""
    return ("UTC", *sorted(name for name in available_timezones() if name.startswith(ZONE_REGIONS)))


def zone_of(*names: str) -> ZoneInfo:
    """The first of ``names`` that is a known zone (a chosen zone, then the person's record), else UTC."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def digest_time(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """When the digest of the local ``day`` is due: ``hour``:00 that day in ``zone``. An hour that a change to
    summer time skips reads as the same wall time after the change (zoneinfo's reading of ``fold=0``), so its
    digest goes an hour later that day; an hour that the change back repeats is its first occurrence."""
    return datetime.combine(day, time(hour), tzinfo=zone)


def _save_audited(person: Person, row: NotificationSettings, before: dict[str, object]) -> NotificationSettings:
    """Store the choices and, if any changed, write which (from, to) to the audit trail as the person's action."""
    after = _snapshot(row)
    changes = {key: {"from": before[key], "to": after[key]} for key in after if before.get(key) != after[key]}
    with transaction.atomic():
        row.save()
        if changes:
            log_action(SETTINGS_CHANGED, person, row, {"changes": changes})
    return row


def set_frequency(person: Person, frequency: str) -> NotificationSettings:
    """Every kind of notice at once: right away, or in a daily or weekly digest (clears the per-kind choices)."""
    if frequency not in Frequency.values:
        raise NotificationError(ERR_FREQUENCY.format(choices=", ".join(Frequency.values)))
    row = current_settings(person)
    before = _snapshot(row)
    row.frequency, row.deliveries = frequency, {}
    if frequency != Frequency.IMMEDIATE:
        row.digest = frequency
    return _save_audited(person, row, before)


def set_choices(person: Person, *, digest: str | None = None, deliveries: dict[str, str] | None = None,
                digest_hour: int | str | None = None, digest_timezone: str | None = None) -> NotificationSettings:
    """When the digest goes (daily or weekly, its hour and the zone of that hour, ``""`` for the zone on the
    person's record) and how each kind of notice is e-mailed; what is left out keeps its choice.

    Refused as a whole, with a reason per field, when a value is unknown or a kind about the person's own
    review or appeal is switched off.
    """
    row = current_settings(person)
    errors: dict[str, str] = {}
    if digest is not None and digest not in Digest.values:
        errors["digest"] = ERR_DIGEST
    hour: int | None = None
    if digest_hour is not None and digest_hour != "":
        try:
            hour = int(digest_hour)
        except (TypeError, ValueError):
            hour = -1
        if isinstance(digest_hour, bool) or not 0 <= hour <= 23:
            errors["digest_hour"] = ERR_DIGEST_HOUR
    if digest_timezone and digest_timezone not in digest_zones():
        errors["digest_timezone"] = ERR_DIGEST_ZONE
    by_key = {entry.key: entry for entry in NOTICE_KINDS}
    for key, value in (deliveries or {}).items():
        if key not in by_key:
            errors[key] = ERR_UNKNOWN_KIND.format(key=key)
        elif value not in Delivery.values:
            errors[key] = ERR_DELIVERY
        elif value == Delivery.OFF and by_key[key].always_mailed:
            errors[key] = ERR_ALWAYS_MAILED
    if errors:
        raise NotificationError(" ".join(dict.fromkeys(errors.values())), errors)
    before = _snapshot(row)
    chosen = {**row.all_deliveries(), **(deliveries or {})}
    row.digest = digest or row.digest
    if hour is not None:
        row.digest_hour = hour
    if digest_timezone is not None:
        row.digest_timezone = digest_timezone
    row.deliveries = chosen
    # The default for a kind added later: right away if the person wants everything right away, else the digest.
    row.frequency = Frequency.IMMEDIATE if set(chosen.values()) == {Delivery.IMMEDIATE} else row.digest
    return _save_audited(person, row, before)


def _kinds_delivered(row: NotificationSettings, delivery: str) -> list[str]:
    """The ``Notice.kind`` values ``row`` wants delivered as ``delivery``."""
    return [kind for kind in KIND_OF_NOTICE if row.delivery_of_notice(kind) == delivery]


def collect(person: Person, *, today: date, settings: NotificationSettings | None = None) -> tuple[int, int]:
    """Record today's events for ``person`` as notices; returns how many are new and how many were dropped.

    ``settings``: the person's choices when the caller already holds them (a run over many people); read
    otherwise.

    A reminder is recorded only for an action the person was told about before its due date came
    within :data:`REMINDER_DAYS` (a first message already shows a close due date), and a waiting
    notice whose action is gone (answered, decided, withdrawn) is dropped so that nobody is asked to
    do what is already done.
    """
    events = events_for(person, today=today)
    keys = {event.key for event in events} | {event.after for event in events if event.after}
    # When the person was told: by e-mail, or (a kind they do not want by e-mail) in the inbox.
    known = {key: created_at if status == Notice.Status.OFF else sent_at for key, sent_at, created_at, status in
             Notice.objects.filter(person=person, key__in=keys).values_list("key", "sent_at", "created_at", "status")}
    row = settings if settings is not None else current_settings(person)
    off = _kinds_delivered(row, Delivery.OFF)

    def told_before_closing(event: Event) -> bool:
        sent_at = known.get(event.after or "")
        return (sent_at is not None and event.due_on is not None
                and timezone.localdate(sent_at) < event.due_on - timedelta(days=REMINDER_DAYS))

    fresh = [Notice(person=person, key=event.key, kind=event.kind, title=event.title[:300], path=event.path[:300],
                    due_on=event.due_on, status=Notice.Status.OFF if event.kind in off else Notice.Status.PENDING)
             for event in events if event.key not in known and (event.after is None or told_before_closing(event))]
    Notice.objects.bulk_create(fresh, ignore_conflicts=True)
    if off:
        # A kind switched off since its notice was made: not mailed, and not mailed later if switched back on.
        Notice.objects.filter(person=person, status=Notice.Status.PENDING, kind__in=off).update(
            status=Notice.Status.OFF, last_error="Not e-mailed: the person chose not to get this kind by e-mail.")
    current = [event.key for event in events]
    # A reminder (sent by a manager or people partner, not collected here) is no longer needed once the person has
    # nothing of its step left to do.
    kinds = {event.kind for event in events}
    waiting = Notice.objects.filter(person=person, status=Notice.Status.PENDING)
    stale = waiting.exclude(key__in=current).exclude(kind="reminder")
    for step, kind in REMINDED_STEP_KIND.items():
        if kind not in kinds:
            stale |= waiting.filter(kind="reminder", key__contains=f"|{step}|")
    dropped = stale.update(status=Notice.Status.DROPPED, last_error="No longer needed when it was due to be sent.",
                           unread=False)
    return len(fresh), dropped


def announce(person_ids: Iterable[int], kind: str, *, today: date | None = None) -> int:
    """Record at once, for each of these people, today's events of ``kind`` (``calibration_started``) as notices,
    without waiting for a run: their notices page lists them now, and each is e-mailed by the run that the person's
    choice for that kind says (right away, the digest, or not at all). Returns how many are new."""
    today = today or timezone.localdate()
    created = 0
    for person in Person.objects.filter(pk__in=list(person_ids), is_active=True):
        row = current_settings(person)
        status = Notice.Status.OFF if row.delivery_of_notice(kind) == Delivery.OFF else Notice.Status.PENDING
        events = [event for event in events_for(person, today=today) if event.kind == kind]
        known = set(Notice.objects.filter(person=person, key__in=[event.key for event in events])
                    .values_list("key", flat=True))
        fresh = [Notice(person=person, key=event.key, kind=event.kind, title=event.title[:300],
                        path=event.path[:300], due_on=event.due_on, status=status)
                 for event in events if event.key not in known]
        Notice.objects.bulk_create(fresh, ignore_conflicts=True)  # a run making the same notice meanwhile wins
        created += len(fresh)
    return created


def _give_up_interrupted(now: datetime) -> None:
    Notice.objects.filter(status=Notice.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT).update(
        status=Notice.Status.FAILED, last_error=INTERRUPTED)


def _claim(person: Person, wanted: Q) -> list[Notice]:
    """The person's waiting notices that this run sends (``wanted``), taken by this run alone (another run's
    update finds none of them)."""
    token = uuid.uuid4().hex
    Notice.objects.filter(wanted, person=person, status=Notice.Status.PENDING).update(
        status=Notice.Status.SENDING, claim=token, claimed_at=timezone.now())
    return list(Notice.objects.filter(claim=token, status=Notice.Status.SENDING).order_by("created_at", "pk"))


def _line(notice: Notice) -> str:
    due = ""
    if notice.due_on is not None and notice.kind not in DATED_TITLES:
        due = f" (due {_day(notice.due_on)})"
    return f"- {notice.title}{due}\n  {absolute_url(notice.path)}"


def _footer(frequency: str) -> str:
    what = "an e-mail as things happen" if frequency == Frequency.IMMEDIATE else f"your {frequency} digest"
    return (f"\n\nThis is {what} from Brightline. Choose which notices you get by e-mail and when, or subscribe "
            f"to your deadlines in a calendar: {absolute_url(reverse('notifications:settings'))}\n")


def _subject(text: str) -> str:
    subject = SUBJECT_PREFIX + text
    return subject if len(subject) <= SUBJECT_MAX else subject[:SUBJECT_MAX - 1] + "…"


def compose(person: Person, notices: list[Notice], frequency: str) -> EmailMessage:
    """One message: a notice right away (several that came at once share one), or a digest. Titles and links only."""
    greeting = f"Hello {person.name.split(' ')[0] or person.name},\n\n"
    count = len(notices)
    if frequency == Frequency.IMMEDIATE and count == 1:
        [notice] = notices
        subject = _subject(notice.title)
        body = greeting + f"{_line(notice)}\n" + _footer(frequency)
    elif frequency == Frequency.IMMEDIATE:
        # A phase opening gives a panelist a pre-vote per review: one e-mail, not one per review.
        subject = _subject(f"{count} new things for you")
        body = greeting + "\n".join(_line(notice) for notice in notices) + "\n" + _footer(frequency)
    else:
        period = "weekly" if frequency == Frequency.WEEKLY else "daily"
        subject = _subject(f"your {period} digest: {count} thing{'s' if count != 1 else ''} for you")
        body = (greeting + "Since your last digest:\n\n" + "\n".join(_line(notice) for notice in notices) + "\n"
                + _footer(frequency))
    return EmailMessage(subject, body, None, [person.email], headers={"Auto-Submitted": "auto-generated"})


def _send(message: EmailMessage, notices: list[Notice], connection: BaseEmailBackend, report: RunReport) -> None:
    ids = [notice.pk for notice in notices]
    try:
        message.connection = connection
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        # Refused or unreachable: nothing was delivered, so the notices wait for the next run.
        logger.warning("notification e-mail to person %s not sent: %s", notices[0].person_id, error)
        report.failed += len(ids)
        report.errors.append(type(error).__name__)
        Notice.objects.filter(pk__in=ids).update(status=Notice.Status.PENDING, claim="", claimed_at=None,
                                                 attempts=F("attempts") + 1, last_error=str(error)[:300])
        Notice.objects.filter(pk__in=ids, attempts__gte=MAX_ATTEMPTS).update(status=Notice.Status.FAILED)
        return
    Notice.objects.filter(pk__in=ids).update(status=Notice.Status.SENT, sent_at=timezone.now(), last_error="")
    report.sent_messages += 1
    report.sent_notices += len(ids)


def wanting(frequency: str, rows: Iterable[NotificationSettings]) -> list[int]:
    """The people among ``rows`` who want some kind of notice by the ``frequency`` run: right away, or in
    their digest when it is that digest's day."""
    if frequency == Frequency.IMMEDIATE:
        return [row.person_id for row in rows if Delivery.IMMEDIATE in row.all_deliveries().values()]
    return [row.person_id for row in rows
            if row.digest == frequency and Delivery.DIGEST in row.all_deliveries().values()]


def recipients(frequency: str, person_ids: Iterable[int] | None = None,
               also: Iterable[int] = ()) -> list[Person]:
    """Active people with an address who want something by the ``frequency`` run (no choice yet means every
    kind in the daily digest), and the people ``also`` names (whose digest is due in this run).

    The immediate run also takes anyone whose last message failed, so a failed digest is retried
    within the hour instead of the next day.
    """
    people = Person.objects.filter(is_active=True).exclude(email="")
    if person_ids is not None:
        people = people.filter(pk__in=list(person_ids))
    rows = NotificationSettings.objects.filter(person__in=people).only("person_id", "frequency", "digest",
                                                                      "deliveries")
    chosen = Q(pk__in=wanting(frequency, rows))
    if frequency == Frequency.DAILY:
        chosen |= Q(notification_settings__isnull=True)
    if frequency == Frequency.IMMEDIATE:
        chosen |= Q(notices__status=Notice.Status.PENDING, notices__attempts__gt=0)
    also = list(also)
    if also:
        chosen |= Q(pk__in=also)
    return list(people.filter(chosen).distinct().order_by("pk"))


def digests_due(now: datetime, person_ids: Iterable[int] | None = None) -> dict[int, date]:
    """The people whose digest the run at ``now`` sends, each with the local day it is for.

    A digest is due once the person's digest hour has come on their day in their zone (on a Monday for the weekly
    one) and no run has taken that day's or a later day's digest, so a run that was missed is caught up by the
    next one, and two runs in the same local day (an hour repeated when summer time ends, a retried job) send one
    digest. Only people who want some kind of notice in the digest count. One query for everyone."""
    people = Person.objects.filter(is_active=True).exclude(email="")
    if person_ids is not None:
        people = people.filter(pk__in=list(person_ids))
    rows = people.values_list("pk", "timezone", "notification_settings__frequency",
                              "notification_settings__deliveries", "notification_settings__digest",
                              "notification_settings__digest_hour", "notification_settings__digest_timezone",
                              "digest_day__day")
    due: dict[int, date] = {}
    # Most people share their choices and a few zones: each answer is worked out once.
    wants_digest: dict[tuple[str, str], bool] = {}
    local_day: dict[tuple[str, str], tuple[ZoneInfo, date]] = {}
    hour_come: dict[tuple[date, int, ZoneInfo], bool] = {}
    for pk, recorded, frequency, deliveries, digest, hour, chosen_zone, sent_on in rows:
        choice_key = (frequency or Frequency.DAILY, json.dumps(deliveries or {}, sort_keys=True))
        if choice_key not in wants_digest:
            choice = NotificationSettings(frequency=choice_key[0], deliveries=deliveries or {})
            wants_digest[choice_key] = Delivery.DIGEST in choice.all_deliveries().values()
        if not wants_digest[choice_key]:
            continue
        zone_key = (chosen_zone or "", recorded)
        if zone_key not in local_day:
            zone = zone_of(*zone_key)
            local_day[zone_key] = zone, now.astimezone(zone).date()
        zone, day = local_day[zone_key]
        if (digest or Digest.DAILY) == Digest.WEEKLY and day.weekday() != 0:
            continue
        if sent_on is not None and sent_on >= day:
            continue
        moment = (day, DEFAULT_DIGEST_HOUR if hour is None else hour, zone)
        if moment not in hour_come:
            hour_come[moment] = now >= digest_time(*moment)
        if hour_come[moment]:
            due[pk] = day
    return due


def _with_digest_days(person_ids: Iterable[int]) -> None:
    """A row to record the digest day on for each of these people who has none (one statement)."""
    DigestDay.objects.bulk_create([DigestDay(person_id=pk) for pk in person_ids], ignore_conflicts=True)


def _take_digest(person_id: int, day: date) -> bool:
    """Record that the digest of the local ``day`` is being sent; false when a run already took it (or a later
    day's): the conditional update lets one run alone take it."""
    return bool(DigestDay.objects.filter(person_id=person_id).filter(Q(day__isnull=True) | Q(day__lt=day))
                .update(day=day))


def send_notifications(frequency: str, *, person_ids: Iterable[int] | None = None, today: date | None = None,
                       connection: BaseEmailBackend | None = None, digests_at: datetime | None = None) -> RunReport:
    """Collect and e-mail the notices of everyone who chose ``frequency`` (or of ``person_ids`` among them).

    ``digests_at``: the hourly run's time; that run also sends each digest due then (:func:`digests_due`). A daily
    or weekly run sends the digests now, whatever the hour, and counts as that day's digest for each person."""
    if frequency not in Frequency.values:
        raise NotificationError(ERR_FREQUENCY.format(choices=", ".join(Frequency.values)))
    today = today or timezone.localdate()
    now = timezone.now()
    report = RunReport()
    _give_up_interrupted(now)
    due = digests_due(digests_at, person_ids) if digests_at is not None and frequency == Frequency.IMMEDIATE else {}
    people = recipients(frequency, person_ids, also=due)
    chosen = {row.person_id: row for row in NotificationSettings.objects.filter(person__in=people)}
    digest_run = frequency != Frequency.IMMEDIATE
    _with_digest_days(person.pk for person in people if digest_run or person.pk in due)
    delivery = Delivery.IMMEDIATE if frequency == Frequency.IMMEDIATE else Delivery.DIGEST
    connection = connection or get_connection()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        # Each message tries again to connect, and fails into its notices' retry count.
        logger.warning("the mail server is unreachable: %s", error)
    try:
        for person in people:
            report.people += 1
            row = chosen.get(person.pk) or NotificationSettings(person=person)
            created, dropped = collect(person, today=today, settings=row)
            report.created += created
            report.dropped += dropped
            wanted = Q(kind__in=_kinds_delivered(row, delivery))
            if frequency == Frequency.IMMEDIATE:
                wanted |= Q(attempts__gt=0)  # a failed message, of any kind, is retried within the hour
            if person.pk in due and _take_digest(person.pk, due[person.pk]):
                wanted |= Q(kind__in=_kinds_delivered(row, Delivery.DIGEST))
            elif digest_run:  # sent now: that is the person's digest of their day
                _take_digest(person.pk, now.astimezone(zone_of(row.digest_timezone, person.timezone)).date())
            notices = _claim(person, wanted)
            if not notices:
                continue
            digested = [notice for notice in notices if row.delivery_of_notice(notice.kind) != Delivery.IMMEDIATE]
            style = row.digest if digested else Frequency.IMMEDIATE
            _send(compose(person, notices, style), notices, connection, report)
    finally:
        connection.close()
    report.purged, _ = (Notice.objects.filter(created_at__lt=timezone.now() - timedelta(days=KEEP_DAYS))
                        .exclude(status__in=[Notice.Status.PENDING, Notice.Status.SENDING]).delete())
    return report
