"""Who has work outstanding in a cycle, and who may remind them of it.

The two steps a person can be late with are the self review (the person's) and the manager's assessment (the
manager's, one per report). A self review missed when its step closed can still be reminded of until the decision
memo: the person can add their context to their review as a note. A people partner sees and reminds everyone in a
cycle; a manager sees and reminds their own reports only: the self reviews of their reports and, for a manager of
managers, the assessments their reporting managers still owe. Nobody reminds themselves. The reminder itself, a
notice to the person, is sent by ``brightline.notifications.reminders``; this module only answers the questions
the cycle page and the manager's list of reviews ask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from django.db.models import F, Q
from django.utils import timezone

from brightline import access
from brightline.people.models import Person
from brightline.reviews.models import PHASE_ORDER, Phase, Reminder, Review, ReviewCycle, phase_index
from brightline.reviews.services.preview import packet_notes_open

# An open step whose end is this close counts as due soon.
DUE_SOON_DAYS: Final = 7
STEP_FIELD: Final = {Phase.SELF_REVIEW: "self_review_submitted_at", Phase.MANAGER_ASSESSMENT: "assessment_submitted_at"}
# What each step is called in a sentence about the person whose step it is.
STEP_NOUN: Final = {Phase.SELF_REVIEW: "self review", Phase.MANAGER_ASSESSMENT: "assessment"}


@dataclass(frozen=True)
class Outstanding:
    """One review whose open step is not done; ``recipient`` is whose step it is (the person, or their manager)
    and ``reminded`` today's reminder to them about this step, if one was sent."""

    review: Review
    step: str
    recipient: Person
    due_on: dt.date | None
    today: dt.date
    reminded: Reminder | None

    @property
    def missed(self) -> bool:
        """A self review whose step closed without it: what is left is a note to the review."""
        return self.step == Phase.SELF_REVIEW and self.review.cycle.phase != Phase.SELF_REVIEW

    @property
    def late(self) -> bool:
        return self.missed or (self.due_on is not None and self.due_on < self.today)

    @property
    def due_soon(self) -> bool:
        return self.due_on is not None and self.today <= self.due_on <= self.today + dt.timedelta(days=DUE_SOON_DAYS)

    @property
    def state(self) -> str:
        """"late", "due soon" or "open", as the page says it."""
        return "late" if self.late else "due soon" if self.due_soon else "open"

    @property
    def noun(self) -> str:
        return STEP_NOUN[self.step]


def open_step(cycle: ReviewCycle) -> str | None:
    """The step of ``cycle`` that is open now: its phase, when that is one of the two."""
    return cycle.phase if cycle.phase in STEP_FIELD else None


def remindable_steps(cycle: ReviewCycle) -> list[str]:
    """The steps of ``cycle`` people can be reminded of now: the open one, and a missed self review until the
    decision memo (a note to the review still gives the person's context)."""
    steps = [step for step in (open_step(cycle),) if step is not None]
    if phase_index(Phase.SELF_REVIEW) < phase_index(cycle.phase) and packet_notes_open(cycle):
        steps.insert(0, Phase.SELF_REVIEW)
    return steps


def step_due_on(cycle: ReviewCycle, step: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(cycle.schedule.get(step, ""))
    except (TypeError, ValueError):
        return None


def step_recipient_id(review: Review, step: str) -> int | None:
    return review.person_id if step == Phase.SELF_REVIEW else review.manager_id


def may_remind(viewer: Person | None, recipient: Person) -> bool:
    """A people partner reminds anyone; a manager, their own reports; nobody themselves."""
    if viewer is None or not viewer.is_active or viewer.pk == recipient.pk or not recipient.is_active:
        return False
    return access.can_run_cycles(viewer) or recipient.manager_id == viewer.pk


def outstanding(cycle: ReviewCycle, viewer: Person, *, today: dt.date | None = None,
                recipient: Person | None = None, step: str | None = None) -> list[Outstanding]:
    """The reviews of ``cycle`` with a step not done that can still be reminded of, whose person for that step
    ``viewer`` may remind (``recipient``, ``step``: only those), each with today's reminder to that person about
    that step. Two queries a step."""
    today = today or timezone.localdate()
    found: list[Outstanding] = []
    for current in remindable_steps(cycle):
        if step is None or step == current:
            found.extend(_outstanding_in(cycle, current, viewer, today, recipient))
    return found


def _outstanding_in(cycle: ReviewCycle, step: str, viewer: Person, today: dt.date,
                    recipient: Person | None) -> list[Outstanding]:
    reviews = (cycle.reviews.filter(**{f"{STEP_FIELD[step]}__isnull": True})
               .select_related("person", "manager").order_by("person__name", "pk"))
    holder = "person" if step == Phase.SELF_REVIEW else "manager"
    reviews = reviews.filter(**{f"{holder}__is_active": True})
    if step == Phase.SELF_REVIEW and cycle.phase != Phase.SELF_REVIEW:
        # A missed self review is made good by a note to the review: whoever added one has nothing left to do.
        reviews = reviews.exclude(annotations__author_id=F("person_id"))
    if not access.can_run_cycles(viewer):
        reviews = reviews.filter(**{f"{holder}__manager": viewer})
    reviews = reviews.exclude(**{holder: viewer})
    if recipient is not None:
        reviews = reviews.filter(**{holder: recipient})
    rows = list(reviews)
    if not rows:
        return []
    sent = {reminder.recipient_id: reminder for reminder in
            Reminder.objects.filter(cycle=cycle, step=step, day=today,
                                    recipient__in={step_recipient_id(review, step) for review in rows})
            .select_related("sent_by")}
    due_on = step_due_on(cycle, step)
    return [Outstanding(review, step, review.person if step == Phase.SELF_REVIEW else review.manager, due_on, today,
                        sent.get(step_recipient_id(review, step) or 0))
            for review in rows]


def outstanding_for_manager(viewer: Person, *, today: dt.date | None = None) -> list[Outstanding]:
    """What the viewer's own reports have outstanding in every cycle whose self review or assessment is open (for
    the manager's list of reviews); nothing for someone who manages nobody."""
    if not viewer.is_manager:
        return []
    before_memo = [phase for phase in PHASE_ORDER
                   if phase_index(Phase.SELF_REVIEW) <= phase_index(phase) < phase_index(Phase.DECISION_MEMO)]
    cycles = (ReviewCycle.objects.filter(phase__in=before_memo)
              .filter(Q(reviews__person__manager=viewer) | Q(phase=Phase.MANAGER_ASSESSMENT,
                                                             reviews__manager__manager=viewer))
              .distinct().order_by("pk"))
    return [item for cycle in cycles for item in outstanding(cycle, viewer, today=today)
            if item.recipient.manager_id == viewer.pk]


@dataclass(frozen=True)
class ToRemind:
    """One person with what they have outstanding in a cycle's open step: a row of the page, a "Remind" button."""

    cycle: ReviewCycle
    recipient: Person
    items: list[Outstanding]

    @property
    def first(self) -> Outstanding:
        return self.items[0]

    @property
    def what(self) -> str:
        """"Self review", or "Assessment of Erin Okafor", or "3 assessments: Ana, Ben and Cleo"."""
        if self.first.missed:
            return "A note to their review, in place of the missed self review"
        if self.first.step == Phase.SELF_REVIEW:
            return "Self review"
        names = [item.review.person.name for item in self.items]
        if len(names) == 1:
            return f"Assessment of {names[0]}"
        return f"{len(names)} assessments: {', '.join(names[:-1])} and {names[-1]}"

    @property
    def remindable(self) -> bool:
        return self.first.late or self.first.due_soon


def grouped(items: list[Outstanding]) -> list[ToRemind]:
    """``items`` by the person each is for, in the order of their first item."""
    rows: dict[tuple[int, int, str], list[Outstanding]] = {}
    for item in items:
        rows.setdefault((item.review.cycle_id, item.recipient.pk, item.step), []).append(item)
    return [ToRemind(group[0].review.cycle, group[0].recipient, group) for group in rows.values()]


def remind_everyone_label(rows: list[ToRemind]) -> str:
    """The bulk button's words for the rows not reminded today whose step is late or due soon; "" when none."""
    waiting = [row for row in rows if row.remindable and row.first.reminded is None]
    if not waiting:
        return ""
    which = "late" if all(row.first.late for row in waiting) else "late or due soon"
    return f"Remind everyone {which} ({len(waiting)})"
