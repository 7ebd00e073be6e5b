"""Reminders of late review steps (issue 20): who may send them, once a day, audited, and what each side reads.

The cycle covers Payments (Mo, Erin, Pat; Mo reports to Lee): Erin and Pat report to Mo, Mo's own review is Lee's
to write. Pia is the people partner; Olga manages another team; Oscar is an engineer outside the cycle.
"""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.utils import timezone

from brightline.audit.models import AuditEntry
from brightline.notifications import reminders
from brightline.notifications.models import Notice
from brightline.notifications.services import collect
from brightline.people.models import Person
from brightline.reviews.models import Phase, Reminder
from tests.reviews_helpers import advance_to, open_payments_cycle, review_of, train
from tests.test_notifications import body, mailbox, run  # noqa: F401  (mailbox is a fixture)


def schedule_from_today(**offsets: int) -> dict[str, str]:
    """A cycle's schedule in days from today; the self review ends in three days unless told otherwise."""
    days = {"evidence": -5, "self_review": 3, "manager_assessment": 10, "calibration": 20, "decision_memo": 30,
            "release": 40, "acknowledgement": 50} | offsets
    today = timezone.localdate()
    return {phase: (today + dt.timedelta(days=offset)).isoformat() for phase, offset in days.items()}


def cycle_at(personas, phase: str, **offsets: int):
    train(personas.mo)
    return advance_to(open_payments_cycle(personas, schedule=schedule_from_today(**offsets)), phase, personas.pia)


def text_of(response) -> str:
    return unescape(response.content.decode())


def remind(client, cycle, person, step=Phase.SELF_REVIEW, **extra):
    return client.post(f"/reviews/cycles/{cycle.pk}/remind/", {"recipient": person.pk, "step": step, **extra})


def test_a_people_partner_reminds_a_late_self_review_once_a_day_and_it_is_audited(personas, client_for):
    cycle = cycle_at(personas, Phase.SELF_REVIEW, self_review=-2)  # the step's end has passed; still open
    pia = client_for(personas.pia)
    page = text_of(pia.get(f"/reviews/cycles/{cycle.pk}/"))
    section = page[page.index('id="remind-h"'):page.index("</section>", page.index('id="remind-h"'))]
    for person in (personas.erin, personas.mo, personas.pat):
        assert f'aria-label="Remind {person.name}"' in section
    assert "Remind everyone late (3)" in section

    response = remind(pia, cycle, personas.erin, next=f"/reviews/cycles/{cycle.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/reviews/cycles/{cycle.pk}/"
    [notice] = Notice.objects.filter(person=personas.erin, kind="reminder")
    review = review_of(cycle, personas.erin)
    due = timezone.localdate() - dt.timedelta(days=2)
    assert notice.title == f"Reminder: your self review for {cycle.name} was due on {due.day} {due:%b %Y} and is " \
                           "still open"
    assert notice.path == f"/reviews/r/{review.pk}/#self-h" and notice.unread and notice.due_on == due
    assert notice.status == Notice.Status.PENDING  # e-mailed by the next run, in her digest by default
    assert "Pia" not in notice.title
    [entry] = AuditEntry.objects.filter(action=reminders.REMINDER_SENT)
    assert entry.actor_id == personas.pia.pk and entry.data["recipient"] == personas.erin.pk

    sent_at = timezone.localtime(Reminder.objects.get().sent_at)
    page = text_of(pia.get(f"/reviews/cycles/{cycle.pk}/"))
    assert f"Reminded today at {sent_at:%H:%M} by Pia Partner" in page
    assert 'aria-label="Remind Erin Employee"' not in page and "Remind everyone late (2)" in page

    again = remind(pia, cycle, personas.erin)
    assert again.status_code == 302
    assert Notice.objects.filter(person=personas.erin, kind="reminder").count() == 1
    assert Reminder.objects.count() == 1 and AuditEntry.objects.filter(action=reminders.REMINDER_SENT).count() == 1
    assert f"Already reminded today at {sent_at:%H:%M} by Pia Partner" in text_of(pia.get(response["Location"]))

    # The next day is a new day: one more reminder may go.
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    reminders.remind(personas.pia, cycle, personas.erin, Phase.SELF_REVIEW, today=tomorrow)
    assert Notice.objects.filter(person=personas.erin, kind="reminder").count() == 2


def test_two_reminders_of_the_same_day_are_refused_by_the_database(personas):
    cycle = cycle_at(personas, Phase.SELF_REVIEW)
    reminders.remind(personas.pia, cycle, personas.erin, Phase.SELF_REVIEW)
    # Mo (her manager) in the same day, as if both had clicked at once: refused, nothing more written.
    with pytest.raises(reminders.ReminderError, match="Already reminded today at .* by Pia Partner"):
        reminders.remind(personas.mo, cycle, personas.erin, Phase.SELF_REVIEW)
    assert Notice.objects.filter(kind="reminder").count() == 1


def test_who_may_remind_whom(personas, client_for):
    cycle = cycle_at(personas, Phase.SELF_REVIEW)
    olga = Person.objects.get(employee_id="E-olga")
    # Nobody outside the person's management line (or the people partner) may: an engineer, another team's
    # manager, the manager's own manager for someone two levels down; nobody reminds themselves.
    assert remind(client_for(personas.pat), cycle, personas.erin).status_code == 403
    assert remind(client_for(olga), cycle, personas.erin).status_code == 403
    assert remind(client_for(personas.lee), cycle, personas.erin).status_code == 403
    assert remind(client_for(personas.mo), cycle, personas.mo).status_code == 403
    assert client_for(personas.oscar).post(f"/reviews/cycles/{cycle.pk}/remind/",
                                           {"everyone": "1"}).status_code == 403
    assert not Notice.objects.filter(kind="reminder").exists() and not Reminder.objects.exists()
    # The cycle page is the people partner's; a manager reminds from their list of reviews.
    assert client_for(personas.mo).get(f"/reviews/cycles/{cycle.pk}/").status_code == 403

    mo = client_for(personas.mo)
    listing = text_of(mo.get("/reviews/"))
    section = listing[listing.index('id="remind-h"'):listing.index("</section>", listing.index('id="remind-h"'))]
    assert 'aria-label="Remind Erin Employee"' in section and 'aria-label="Remind Pat Peer"' in section
    assert "Mo Manager" not in section  # his own self review is not his to be reminded of by himself
    assert remind(mo, cycle, personas.erin, next="/reviews/").status_code == 302
    # Lee reminds Mo, his own report.
    assert remind(client_for(personas.lee), cycle, personas.mo).status_code == 302
    assert set(Reminder.objects.values_list("recipient__name", "sent_by__name")) == {
        ("Erin Employee", "Mo Manager"), ("Mo Manager", "Lee Leader")}
    # Without the CSRF token, nothing is sent.
    guarded = client_for(personas.mo, enforce_csrf_checks=True)
    assert remind(guarded, cycle, personas.pat).status_code == 403
    assert not Reminder.objects.filter(recipient=personas.pat).exists()


def test_a_manager_is_reminded_once_of_all_the_assessments_they_owe(personas, client_for):
    cycle = cycle_at(personas, Phase.MANAGER_ASSESSMENT, manager_assessment=4)
    pia = client_for(personas.pia)
    page = text_of(pia.get(f"/reviews/cycles/{cycle.pk}/"))
    assert "2 assessments: Erin Employee and Pat Peer" in page and "Assessment of Mo Manager" in page
    remind(pia, cycle, personas.mo, Phase.MANAGER_ASSESSMENT)
    [notice] = Notice.objects.filter(person=personas.mo, kind="reminder")
    due = timezone.localdate() + dt.timedelta(days=4)
    assert notice.title == f"Reminder: 2 assessments for {cycle.name} are due on {due.day} {due:%b %Y}"
    assert notice.path == "/reviews/#assess-h"
    # Lee, Mo's manager, sees that Mo was reminded and by whom; he is reminded of his own assessment of Mo alone.
    lee_list = text_of(client_for(personas.lee).get("/reviews/"))
    assert "2 assessments: Erin Employee and Pat Peer" in lee_list and "Reminded today at" in lee_list
    assert "by Pia Partner" in lee_list
    remind(pia, cycle, personas.lee, Phase.MANAGER_ASSESSMENT)
    [lees] = Notice.objects.filter(person=personas.lee, kind="reminder")
    assert lees.title.startswith(f"Reminder: your assessment of Mo Manager for {cycle.name} is due on")
    assert lees.path == f"/reviews/r/{review_of(cycle, personas.mo).pk}/#dims-h"


def test_the_reminded_person_reads_a_neutral_notice_and_nobody_else_learns_of_it(personas, client_for):
    cycle = cycle_at(personas, Phase.SELF_REVIEW, self_review=-1)
    sent = client_for(personas.pia).post(f"/reviews/cycles/{cycle.pk}/remind/", {"everyone": "1"}, follow=True)
    assert set(Reminder.objects.values_list("recipient__name", flat=True)) == {"Erin Employee", "Mo Manager",
                                                                                "Pat Peer"}
    # The message counts reminders (one per person and step), never more people than there are.
    assert f"Sent {Reminder.objects.count()} reminders." in text_of(sent)
    erin = client_for(personas.erin)
    notices = text_of(erin.get("/me/notices/"))
    assert f"Reminder: your self review for {cycle.name} was due on" in notices
    for page in (notices, text_of(erin.get("/")), text_of(erin.get("/reviews/")),
                 text_of(erin.get(f"/reviews/r/{review_of(cycle, personas.erin).pk}/"))):
        assert "Reminded" not in page and "Pia Partner" not in page.replace("your people partner", "")
    # Pat (a peer) reads nothing about Erin's reminder anywhere he can go.
    pat = client_for(personas.pat)
    for path in ("/", "/reviews/", "/me/notices/"):
        assert "Reminded" not in text_of(pat.get(path))
    assert "Erin" not in text_of(pat.get("/me/notices/"))


def test_a_missed_self_review_can_be_reminded_of_a_note_until_the_decision_memo(personas, client_for):
    cycle = cycle_at(personas, Phase.MANAGER_ASSESSMENT, evidence=-20, self_review=-10)
    reminders.remind(personas.pia, cycle, personas.erin, Phase.SELF_REVIEW)
    [notice] = Notice.objects.filter(person=personas.erin, kind="reminder")
    assert "was not submitted; you can still add your context as a note to your review" in notice.title
    assert notice.path.endswith("#self-review-missed") and "note" in notice.key
    # The next notification run keeps it (the note is still possible) though no self review is open.
    collect(personas.erin, today=timezone.localdate())
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PENDING
    # Once she adds a note, nothing is left for her to do: the cycle page no longer lists her.
    from brightline.reviews.services import preview
    from brightline.reviews.services import reminders as due

    assert personas.erin in [row.recipient for row in due.outstanding(cycle, personas.pia)]
    preview.annotate_packet(review_of(cycle, personas.erin), actor=personas.erin, section="self_review",
                            body="I led the payouts migration this half.")
    assert personas.erin not in [row.recipient for row in due.outstanding(cycle, personas.pia)]
    assert personas.pat in [row.recipient for row in due.outstanding(cycle, personas.pia)]


def test_a_waiting_reminder_is_dropped_once_its_step_is_done(personas):
    cycle = cycle_at(personas, Phase.SELF_REVIEW)
    reminders.remind(personas.pia, cycle, personas.erin, Phase.SELF_REVIEW)
    reminders.remind(personas.pia, cycle, personas.pat, Phase.SELF_REVIEW)
    today = timezone.localdate()
    collect(personas.erin, today=today)
    assert Notice.objects.get(person=personas.erin, kind="reminder").status == Notice.Status.PENDING
    review_of(cycle, personas.erin).__class__.objects.filter(cycle=cycle, person=personas.erin).update(
        self_review_submitted_at=timezone.now())
    collect(personas.erin, today=today)
    collect(personas.pat, today=today)
    done = Notice.objects.get(person=personas.erin, kind="reminder")
    assert done.status == Notice.Status.DROPPED and not done.unread
    assert Notice.objects.get(person=personas.pat, kind="reminder").status == Notice.Status.PENDING


def test_a_step_not_due_within_a_week_offers_no_reminder(personas, client_for):
    cycle = cycle_at(personas, Phase.SELF_REVIEW, self_review=12, manager_assessment=20)
    page = text_of(client_for(personas.pia).get(f"/reviews/cycles/{cycle.pk}/"))
    assert "not due within a week" in page and 'aria-label="Remind' not in page and "Remind everyone" not in page
    with pytest.raises(reminders.ReminderError, match="not due within a week"):
        reminders.remind(personas.pia, cycle, personas.erin, Phase.SELF_REVIEW)


def test_the_reminder_is_mailed_in_the_persons_digest_with_its_link(personas, mailbox, settings):  # noqa: F811
    cycle = cycle_at(personas, Phase.SELF_REVIEW)
    reminders.remind(personas.mo, cycle, personas.erin, Phase.SELF_REVIEW)
    run("daily")
    [message] = mailbox.to(personas.erin.email)
    text = body(message)
    review = review_of(cycle, personas.erin)
    due = timezone.localdate() + dt.timedelta(days=3)
    assert f"- Reminder: your self review for {cycle.name} is due on {due.day} {due:%b %Y}" in text.splitlines()
    assert f"{settings.BRIGHTLINE_BASE_URL.rstrip('/')}/reviews/r/{review.pk}/#self-h" in text
    assert "Mo Manager" not in text and text.count(f"{due.day} {due:%b %Y}") == 1 + text.count("(due ")
    assert Notice.objects.get(person=personas.erin, kind="reminder").status == Notice.Status.SENT
