"""What the home page says first: one sentence on what needs the viewer now, "Needs you now" grouped into what
has a deadline and what can wait, and where the viewer's own review stands in an open cycle.

A person new to Brightline should be able to say within a minute what their page tells them and what to do
next: so the deadline comes first, several assessments of one cycle are one line, and AI signals (which have no
deadline) are said to have none. Built from the inbox and at most one more query; nothing here decides access.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date

from brightline.dashboards.inbox import InboxItem
from brightline.people.models import Person
from brightline.reviews.models import Phase, Review, phase_index

# Items of these kinds about several people in one batch (a cycle, or feedback requests) become one line.
BATCH_TITLES = {
    "assessment": "Assess {n} people for the {batch}",
    "pre_vote": "Record your pre-vote on {n} people for the {batch}",
    "feedback_request": "Give feedback about {n} people",
}


@dataclass
class HomeEntry:
    """One line of "Needs you now": a single item, or a batch of items naming each person with their link."""

    title: str
    url: str
    due_on: date | None
    overdue: bool
    since: object
    kind: str
    count: int = 1
    people: list[tuple[str, str]] = field(default_factory=list)
    waited: str = ""  # for an approval: how long it has waited ("for 3 days")


# Changes someone proposed that wait for the viewer's approval: no scheduled day, but whatever they change (a new
# starter's manager, a support plan) does not start until someone decides, so they are not "when you have time".
APPROVAL_KINDS = frozenset({"role_changes", "plan_approval"})


@dataclass
class HomeInbox:
    dated: list[HomeEntry]
    undated: list[HomeEntry]
    # Waiting for the viewer's approval, longest-waiting first (each says how long it has waited).
    approvals: list[HomeEntry] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.dated or self.undated or self.approvals)


def waited(since: object, today: date) -> str:
    """How long an item has waited, in words: "since today", "for 1 day", "for 3 days"."""
    day = timezone.localdate(since) if isinstance(since, datetime) else since
    days = (today - day).days if isinstance(day, date) else 0
    if days <= 0:
        return "since today"
    return f"for {days} day{'s' if days != 1 else ''}"


@dataclass(frozen=True)
class OwnReview:
    """Where the viewer's own review stands: what happened, what happens now and by when, what comes next."""

    cycle_name: str
    phase: str
    url: str
    sentences: list[str]
    needs_you: bool = False  # the viewer has something to do in it (write, or acknowledge the outcome)


def _when(value: date | str | None, word: str = "by") -> str:
    """", by 3 Nov 2026" for a step's scheduled day, or nothing when the cycle has no day for it."""
    day = _day(value)
    return f"{',' if word == 'by' else ''} {word} {day}" if day else ""


def _day(value: date | str | None) -> str:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return ""
    return format_date(value, "j M Y") if value else ""


def group_inbox(items: list[InboxItem], *, today: date | None = None) -> HomeInbox:
    """Deadlines first (soonest first), then what waits for the viewer's approval (longest-waiting first), then what
    has no deadline (oldest first); one line per batch."""
    today = today or timezone.localdate()
    entries: list[HomeEntry] = []
    batches: dict[tuple[str, str, date | None], list[InboxItem]] = {}
    for item in items:
        if item.kind in BATCH_TITLES and item.batch and item.subject:
            batches.setdefault((item.kind, item.batch, item.due_on), []).append(item)
    seen: set[tuple[str, str, date | None]] = set()
    for item in items:
        key = (item.kind, item.batch, item.due_on)
        batch = batches.get(key, [])
        if len(batch) < 2:
            entries.append(HomeEntry(item.title, item.url, item.due_on, item.overdue, item.since, item.kind,
                                     item.count))
            continue
        if key in seen:
            continue
        seen.add(key)
        ordered = sorted(batch, key=lambda each: each.subject)
        entries.append(HomeEntry(BATCH_TITLES[item.kind].format(n=len(batch), batch=item.batch), "", item.due_on,
                                 item.overdue, min(each.since for each in batch), item.kind, len(batch),
                                 [(each.subject, each.url) for each in ordered]))
    dated = sorted((entry for entry in entries if entry.due_on), key=lambda entry: (entry.due_on, entry.title))
    approvals = [entry for entry in entries if not entry.due_on and entry.kind in APPROVAL_KINDS]
    for entry in approvals:
        entry.waited = waited(entry.since, today)
    undated = [entry for entry in entries if not entry.due_on and entry.kind not in APPROVAL_KINDS]
    # AI signals have no deadline and come last: the work people wait for comes before the machine's guesses.
    undated.sort(key=lambda entry: entry.kind == "signals")
    return HomeInbox(dated, undated, approvals)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text


def summary_sentences(inbox: HomeInbox, own_review: OwnReview | None,
                      partner_lines: list[str] | None = None) -> list[str]:
    """The first thing on the page: what needs the viewer now, and by when, in a sentence or three."""
    lines: list[str] = []
    overdue = [entry for entry in inbox.dated if entry.overdue]
    if inbox.dated:
        first = inbox.dated[0]
        when = (f"overdue since {_day(first.due_on)}" if first.overdue else f"by {_day(first.due_on)}")
        line = f"First, {when}: {_lower_first(first.title)}."
        more = len(inbox.dated) - 1
        if more:
            line += f" {more} more thing{'s have' if more != 1 else ' has'} a deadline."
        if len(overdue) > 1 or (overdue and not first.overdue):
            line += f" {len(overdue)} {'are' if len(overdue) != 1 else 'is'} overdue."
        lines.append(line)
    elif inbox and not inbox.approvals and not partner_lines and not (own_review and own_review.needs_you):
        lines.append("Nothing with a deadline waits for you.")
    if inbox.approvals:
        first = inbox.approvals[0]
        more = len(inbox.approvals) - 1
        lines.append(f"Waiting for your approval {first.waited}: {_lower_first(first.title)}"
                     + (f", and {more} more." if more else "."))
    people_work = [entry for entry in inbox.undated if entry.kind != "signals"]
    if people_work:
        lines.append(f"Without a deadline: {_lower_first(people_work[0].title)}"
                     + (f", and {len(people_work) - 1} more." if len(people_work) > 1 else "."))
    if own_review and not any(entry.kind == "self_review" for entry in inbox.dated):
        lines.append(f"Your {own_review.cycle_name}: {_lower_first(own_review.sentences[-1])}")
    lines.extend(partner_lines or [])
    signals = sum(entry.count for entry in inbox.undated if entry.kind == "signals")
    if signals:
        lines.append(f"When you have time: {signals} AI signal{'s' if signals != 1 else ''} to accept or dismiss "
                     "(no deadline).")
    if not lines:
        lines.append("Nothing needs you right now.")
    return lines


def own_review(person: Person, *, today: date | None = None, reviews: list[Review] | None = None) -> OwnReview | None:
    """The viewer's review in the newest cycle that is not closed, as the viewer may see it: dates and steps,
    never the manager's assessment or the outcome before release. One query, or none when the page passes
    ``reviews`` (``inbox.open_reviews(person)``, newest cycle first)."""
    today = today or timezone.localdate()
    if reviews is None:
        review = (Review.objects.filter(person=person).exclude(cycle__phase=Phase.CLOSED)
                  .select_related("cycle", "manager").order_by("-cycle__opened_at", "-cycle_id").first())
    else:
        review = next((each for each in reviews if each.person_id == person.pk), None)
    if review is None:
        return None
    cycle = review.cycle
    ends = cycle.schedule or {}
    manager = review.manager.name if review.manager else "your manager"
    released = _when(ends.get(Phase.DECISION_MEMO), "after")
    at = phase_index(cycle.phase)
    sentences: list[str] = []
    if at <= phase_index(Phase.SELF_REVIEW):
        if review.self_review_submitted_at:
            sentences.append(f"Your self review is in ({_day(timezone.localdate(review.self_review_submitted_at))}).")
            sentences.append(f"Next, {manager} assesses you{_when(ends.get(Phase.MANAGER_ASSESSMENT))}.")
        elif cycle.phase == Phase.EVIDENCE:
            sentences.append(f"Evidence is gathered until {_day(ends.get(Phase.EVIDENCE))}; add what is missing "
                             "on your growth page.")
            sentences.append(f"Then write your self review{_when(ends.get(Phase.SELF_REVIEW))}.")
        else:
            sentences.append(f"Write your self review{_when(ends.get(Phase.SELF_REVIEW))}.")
    elif at <= phase_index(Phase.DECISION_MEMO):
        if review.self_review_submitted_at:
            sentences.append(f"Your self review went in on "
                             f"{_day(timezone.localdate(review.self_review_submitted_at))}.")
        else:
            sentences.append(f"No self review was submitted before the self-review step closed"
                             f"{_when(ends.get(Phase.SELF_REVIEW), 'on')}. You are assessed from the evidence on "
                             f"record, like everyone; your review page says how you can still add your context.")
        # Without a self review, her context can still reach the review as a note until calibration ends: the
        # page must not say nothing is needed from her (a reminder may have asked for exactly that).
        missed_note = (not review.self_review_submitted_at
                       and phase_index(cycle.phase) <= phase_index(Phase.CALIBRATION))
        needed = ("you can still add your context as a note to your review until calibration ends; then nothing "
                  f"is needed from you until your outcome is released{released}" if missed_note else
                  f"nothing is needed from you until your outcome is released{released}")
        if cycle.phase == Phase.MANAGER_ASSESSMENT:
            sentences.append(f"Now {manager} assesses you{_when(ends.get(Phase.MANAGER_ASSESSMENT))}; {needed}.")
        else:
            sentences.append(f"Now the outcomes are being calibrated and written up; {needed}.")
    elif review.acknowledged_at:
        sentences.append(f"You acknowledged your outcome on {_day(timezone.localdate(review.acknowledged_at))}.")
    else:
        by = _when(ends.get(Phase.ACKNOWLEDGEMENT))
        sentences.append(f"Your outcome is released: read it and acknowledge it{by} "
                         f"(you may appeal {'until then' if by else 'until the step closes'}).")
    needs_you = ((at <= phase_index(Phase.SELF_REVIEW) and cycle.phase != Phase.EVIDENCE
                  and not review.self_review_submitted_at)
                 or (at > phase_index(Phase.DECISION_MEMO) and not review.acknowledged_at))
    return OwnReview(cycle.name, cycle.get_phase_display(), reverse("reviews:review", args=[review.pk]), sentences,
                     needs_you)
