"""Reminding a person of a review step that is late or due soon: a notice to them, sent by their manager or a
people partner from the cycle page or the manager's list of reviews.

The notice says what is due, by when, and links to the form; it does not say who asked, and nobody else reads it.
It travels like every notice: on the person's notices page at once, and by e-mail as they chose for reminders
(right away, in the digest, or not at all). At most one reminder goes to a person about a step of a cycle each
day (:class:`~brightline.reviews.models.Reminder` refuses a second row), and each is written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from brightline.audit.services import log_action
from brightline.notifications.calendar import current_settings
from brightline.notifications.models import Delivery, Notice
from brightline.notifications.services import event_key
from brightline.people.models import Person
from brightline.reviews.models import Phase, Reminder, ReviewCycle
from brightline.reviews.services.reminders import Outstanding, may_remind, outstanding

REMINDER_SENT: Final = "reviews.reminder.sent"
ERR_NOT_YOURS: Final = "You can remind your own reports only; a people partner can remind anyone in the cycle."
ERR_NOTHING_OPEN: Final = "There is nothing of this step left to remind them of: it is done, or the step is closed."
ERR_NOT_DUE: Final = ("It is not due within a week: the person was told when the step opened and is told again "
                      "two days before it closes.")
ERR_ALREADY: Final = "Already reminded today at {time} by {name}; one reminder a day is enough."


class ReminderError(ValueError):
    """A reminder not sent, with why (in words for the page)."""


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


def reminded_text(reminder: Reminder) -> str:
    """"Reminded today at 14:05 by Pia Schmidt", as the sender's side of the page shows it."""
    return f"Reminded today at {timezone.localtime(reminder.sent_at):%H:%M} by {_sender(reminder)}"


def notice_for(cycle: ReviewCycle, step: str, items: list[Outstanding]) -> tuple[str, str, dt.date | None]:
    """The notice's title and link: what is due, by when, and the form it is done in."""
    first = items[0]
    due = first.due_on
    if first.missed:
        path = reverse("reviews:review", args=[first.review.pk]) + "#self-review-missed"
        return (f"Reminder: your self review for {cycle.name} was not submitted; you can still add your context as "
                "a note to your review until the decision memo is written", path, None)
    if step == Phase.SELF_REVIEW:
        what = f"your self review for {cycle.name}"
        path = reverse("reviews:review", args=[first.review.pk]) + "#self-h"
        plural = False
    elif len(items) == 1:
        what = f"your assessment of {first.review.person.name} for {cycle.name}"
        path = reverse("reviews:review", args=[first.review.pk]) + "#dims-h"
        plural = False
    else:
        what = f"{len(items)} assessments for {cycle.name}"
        path = reverse("reviews:index") + "#assess-h"
        plural = True
    if due is None:
        when = "are still open" if plural else "is still open"
    elif first.late:
        when = f"{'were' if plural else 'was'} due on {_day(due)} and {'are' if plural else 'is'} still open"
    else:
        when = f"{'are' if plural else 'is'} due on {_day(due)}"
    title = f"Reminder: {what} {when}"
    return title[0].upper() + title[1:], path, due


def remind(viewer: Person, cycle: ReviewCycle, recipient: Person, step: str, *,
           today: dt.date | None = None) -> Reminder:
    """Remind ``recipient`` of what they have outstanding in ``step`` of ``cycle``; refused with
    ``PermissionDenied`` when ``viewer`` may not remind them, with :class:`ReminderError` when there is nothing to
    remind them of or they were reminded today already."""
    if not may_remind(viewer, recipient):
        raise PermissionDenied(ERR_NOT_YOURS)
    today = today or timezone.localdate()
    items = outstanding(cycle, viewer, today=today, recipient=recipient, step=step)
    if not items:
        raise ReminderError(ERR_NOTHING_OPEN)
    if not (items[0].late or items[0].due_soon):
        raise ReminderError(ERR_NOT_DUE)
    if items[0].reminded is not None:
        raise ReminderError(ERR_ALREADY.format(time=f"{timezone.localtime(items[0].reminded.sent_at):%H:%M}",
                                               name=_sender(items[0].reminded)))
    title, path, due = notice_for(cycle, step, items)
    off = current_settings(recipient).delivery_of_notice("reminder") == Delivery.OFF
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(cycle=cycle, step=step, recipient=recipient, sent_by=viewer, day=today)
            # The key names the step, which the notification runs read to drop a reminder whose step is done; a
            # missed self review's reminder is about a note, which nothing marks done.
            about = "note" if items[0].missed else step
            Notice.objects.create(person=recipient, key=event_key("reminder", cycle.pk, about, today.isoformat()),
                                  kind="reminder", title=title[:300], path=path[:300], due_on=due,
                                  status=Notice.Status.OFF if off else Notice.Status.PENDING)
            log_action(REMINDER_SENT, viewer, reminder, {"cycle": cycle.pk, "step": step, "recipient": recipient.pk,
                                                         "reviews": [item.review.pk for item in items]})
    except IntegrityError:
        # Two clicks at once: the other one sent it.
        existing = Reminder.objects.select_related("sent_by").get(cycle=cycle, step=step, recipient=recipient,
                                                                  day=today)
        raise ReminderError(ERR_ALREADY.format(time=f"{timezone.localtime(existing.sent_at):%H:%M}",
                                               name=_sender(existing))) from None
    return reminder


def _sender(reminder: Reminder) -> str:
    return reminder.sent_by.name if reminder.sent_by is not None else "someone no longer here"


def remind_everyone(viewer: Person, cycle: ReviewCycle, *, today: dt.date | None = None) -> tuple[int, int]:
    """Remind everyone ``viewer`` may remind whose step is late or due soon and who was not reminded of it today;
    returns how many reminders went and how many had gone today already (a person once a step)."""
    today = today or timezone.localdate()
    recipients: dict[tuple[int, str], Person] = {}
    already: set[tuple[int, str]] = set()
    for item in outstanding(cycle, viewer, today=today):
        if not (item.late or item.due_soon):
            continue
        if item.reminded is not None:
            already.add((item.recipient.pk, item.step))
        else:
            recipients.setdefault((item.recipient.pk, item.step), item.recipient)
    sent = 0
    for (_pk, step), recipient in recipients.items():
        try:
            remind(viewer, cycle, recipient, step, today=today)
        except ReminderError:
            already.add((recipient.pk, step))
            continue
        sent += 1
    return sent, len(already)
