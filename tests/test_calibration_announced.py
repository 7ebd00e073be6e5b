"""When a cycle enters calibration, each panelist who decides on someone is told at once: a notice saying that
calibration has begun, on how many people they pre-vote and by when, with a link to the list of those people,
e-mailed as they chose for that kind of notice; their home lists the pre-votes under "Needs you now"."""

from __future__ import annotations

from html import unescape

from brightline.notifications.models import Notice
from brightline.notifications.services import set_choices, set_frequency
from brightline.reviews import services
from brightline.reviews.models import Phase
from tests.reviews_helpers import advance_to, assess, olga, open_payments_cycle, train
from tests.test_notifications import body, mailbox  # noqa: F401  (a fixture)

TITLE = "Calibration has begun for the 2026 H2: record your pre-vote on 3 people"


def _assessed(personas):
    train(personas.mo)
    train(personas.lee)
    cycle = open_payments_cycle(personas)
    services.set_panel(cycle, actor=personas.pia, members=[personas.lee, personas.oscar, olga()])
    cycle = advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    for review in cycle.reviews.select_related("person", "manager"):
        assess(review, review.manager)
    return cycle


def test_each_panelist_is_told_calibration_began_with_how_many_and_by_when(personas, mailbox, client_for,  # noqa: F811
                                                                         django_capture_on_commit_callbacks):
    cycle = _assessed(personas)
    set_frequency(personas.oscar, "immediate")  # Olga keeps the daily digest
    assert not Notice.objects.filter(kind="calibration_started").exists()
    with django_capture_on_commit_callbacks(execute=True):
        cycle = services.advance_cycle(cycle, actor=personas.pia)
    assert cycle.phase == Phase.CALIBRATION

    # Oscar wants notices right away: one e-mail, the calibration first, then each person with a link.
    [message] = mailbox.to(personas.oscar.email)
    text = body(message).replace("\r\n", "\n")
    assert text.index(TITLE) < text.index("Record your pre-vote on Erin Employee")
    assert f"{TITLE} (due 31 Oct 2026)\n  https://brightline.example.org/reviews/#panel-h" in text

    # Olga's digest has not gone yet, but her notices page already says it.
    notice = Notice.objects.get(person=olga(), kind="calibration_started")
    assert notice.status == Notice.Status.PENDING and notice.title == TITLE and notice.unread
    assert not mailbox.to(olga().email)
    page = unescape(client_for(olga()).get("/me/notices/").content.decode())
    assert TITLE in page and "(due 31 Oct 2026)" in page

    # Lee manages everyone in the cycle: he decides on nobody and is told nothing.
    assert not Notice.objects.filter(person=personas.lee, kind="calibration_started").exists()

    # Her home already lists the pre-votes she owes, with their deadline.
    home = unescape(client_for(olga()).get("/").content.decode())
    inbox = home.split('id="inbox"')[1].split("</section>")[0]
    assert "Record your pre-vote on 3 people for the 2026 H2" in inbox and "31 Oct 2026" in inbox

    # The cycle saved again during calibration tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        cycle.save()
    assert Notice.objects.filter(kind="calibration_started").count() == 2
    assert len(mailbox.to(personas.oscar.email)) == 1


def test_a_panelist_who_wants_no_such_e_mail_still_finds_the_notice(personas, mailbox,  # noqa: F811
                                                                   django_capture_on_commit_callbacks):
    cycle = _assessed(personas)
    set_choices(personas.oscar, deliveries={"calibration": "off", "pre_vote": "immediate"})
    with django_capture_on_commit_callbacks(execute=True):
        services.advance_cycle(cycle, actor=personas.pia)
    notice = Notice.objects.get(person=personas.oscar, kind="calibration_started")
    assert notice.status == Notice.Status.OFF and notice.unread
    [message] = mailbox.to(personas.oscar.email)
    assert TITLE not in body(message) and "Record your pre-vote on Erin Employee" in body(message)
