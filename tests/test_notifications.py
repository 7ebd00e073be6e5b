"""E-mail notifications read from a real SMTP server (aiosmtpd on loopback): who gets what, when, with which
link, never with feedback text or outcomes, and never twice, however often the job runs."""

from __future__ import annotations

import datetime as dt
import re
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from brightline.jobs.models import JobRun
from brightline.jobs.services import enqueue
from brightline.notifications.models import NOTICE_KINDS, Notice, NotificationSettings
from brightline.notifications.services import ERR_DIGEST, set_frequency
from brightline.reviews import services as review_services
from brightline.reviews.models import Phase
from tests.reviews_helpers import IN_WINDOW, advance_to, olga, open_payments_cycle, review_of, train
from tests.test_inbox import ask
from tests.test_reviews_appeals import released  # noqa: F401  (a fixture)

BASE = "https://brightline.example.org"


class Mailbox:
    """What the SMTP server accepted; ``refuse`` makes it answer 451 (try later) to every message."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refuse = False
        self.port = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        if self.refuse:
            return "451 Requested action aborted: try again later"
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for recipients, message in self.received if address in recipients]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox(settings):
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.port = controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.BRIGHTLINE_BASE_URL = BASE
    yield box
    controller.stop()


def body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def run(frequency: str) -> JobRun:
    return enqueue("notifications.send", frequency=frequency)


def test_a_feedback_request_is_mailed_right_away_with_its_link_and_never_twice(personas, mailbox):
    set_frequency(personas.pat, "immediate")
    request = ask(personas.erin, [personas.pat])
    invitation = request.invitations.get(respondent=personas.pat)
    first = run("immediate")
    assert first.status == JobRun.Status.SUCCEEDED and first.result["messages_sent"] == 1
    [message] = mailbox.to(personas.pat.email)
    assert message["To"] == personas.pat.email
    assert message["Subject"] == "Brightline: Give feedback about Erin Employee"
    text = body(message)
    assert f"{BASE}/growth/invitations/{invitation.pk}/" in text
    assert f"{BASE}/me/notifications/" in text
    assert "ledger migration" not in text  # the request's context stays in Brightline
    assert [recipients for recipients, _ in mailbox.received] == [[personas.pat.email]]  # nobody else
    # The same event again, by a re-run and by a second delivery of the same job run: nothing new.
    assert run("immediate").result["messages_sent"] == 0
    from brightline.jobs.services import execute

    again = JobRun.objects.create(name="notifications.send", arguments={"frequency": "immediate"})
    execute(again.pk)
    execute(again.pk)
    assert len(mailbox.to(personas.pat.email)) == 1
    assert Notice.objects.get(person=personas.pat).status == Notice.Status.SENT


def test_the_daily_digest_is_the_default_and_lists_every_action_once(personas, mailbox):
    train(personas.mo)
    advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia)
    ask(personas.erin, [personas.mo])
    assert not NotificationSettings.objects.filter(person=personas.mo).exists()
    assert run("immediate").result["messages_sent"] == 0 and mailbox.to(personas.mo.email) == []
    assert run("weekly").result["messages_sent"] == 0
    run("daily")
    [digest] = mailbox.to(personas.mo.email)
    assert digest["Subject"] == "Brightline: your daily digest: 3 things for you"
    text = body(digest)
    for line in ("Assess Erin Employee (2026 H2)", "Assess Pat Peer (2026 H2)", "Give feedback about Erin Employee"):
        assert text.count(line) == 1
    assert f"{BASE}/reviews/r/" in text and "(due 21 Oct 2026)" in text
    run("daily")
    assert len(mailbox.to(personas.mo.email)) == 1


def test_an_action_done_before_the_digest_is_not_mailed(personas, mailbox):
    from brightline.feedback import services as feedback_services

    request = ask(personas.erin, [personas.pat])
    from brightline.notifications.services import collect

    collect(personas.pat, today=dt.date.today())  # seen by an earlier run, not yet sent
    feedback_services.decline_feedback_invitation(actor=personas.pat, invitation=request.invitations.get())
    assert run("daily").result["no_longer_needed"] == 1
    assert mailbox.to(personas.pat.email) == []
    assert Notice.objects.get(person=personas.pat).status == Notice.Status.DROPPED


def test_a_refused_message_is_retried_by_the_next_run_and_then_sent_once(personas, mailbox):
    set_frequency(personas.pat, "weekly")
    ask(personas.erin, [personas.pat])
    mailbox.refuse = True
    failed = run("weekly")
    assert failed.status == JobRun.Status.SUCCEEDED and failed.result["failed"] == 1
    notice = Notice.objects.get(person=personas.pat)
    assert (notice.status, notice.attempts) == (Notice.Status.PENDING, 1)
    mailbox.refuse = False
    run("immediate")  # the hourly run retries failed messages of any frequency
    assert len(mailbox.to(personas.pat.email)) == 1
    assert mailbox.to(personas.pat.email)[0]["Subject"] == "Brightline: your weekly digest: 1 thing for you"
    run("weekly")
    run("immediate")
    assert len(mailbox.to(personas.pat.email)) == 1


def test_an_unreachable_server_leaves_the_notices_for_the_next_run(personas, mailbox, settings):
    set_frequency(personas.pat, "immediate")
    ask(personas.erin, [personas.pat])
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    assert run("immediate").result["failed"] == 1
    assert Notice.objects.get(person=personas.pat).status == Notice.Status.PENDING
    settings.EMAIL_PORT = mailbox.port
    run("immediate")
    assert len(mailbox.to(personas.pat.email)) == 1


def test_a_released_review_and_a_decided_appeal_are_announced_without_the_outcome(personas, mailbox,
                                                                                released):  # noqa: F811
    set_frequency(personas.erin, "immediate")
    review = review_of(released, personas.erin)
    run("immediate")
    [release] = mailbox.to(personas.erin.email)
    assert release["Subject"] == "Brightline: Your review for 2026 H2 is released"
    assert f"{BASE}/reviews/r/{review.pk}/" in body(release)
    appeal = review_services.file_appeal(review, actor=personas.erin, today=IN_WINDOW,
                                         context="The ledger cut-over was mine.")
    set_frequency(personas.pia, "immediate")
    run("immediate")
    [assign] = mailbox.to(personas.pia.email)
    assert assign["Subject"] == "Brightline: Assign a reviewer to the appeal of Erin Employee"
    assert "ledger cut-over" not in body(assign)
    review_services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=olga())
    review_services.decide_appeal(appeal, reviewer=olga(), decision="changed", reason="The cut-over shows it.",
                                  new_outcomes={"delivery_results": "exceeds"})
    run("immediate")
    decided = mailbox.to(personas.erin.email)[-1]
    assert decided["Subject"] == "Brightline: Your appeal (2026 H2) has been decided"
    text = body(decided).lower()
    assert f"{BASE}/reviews/appeals/{appeal.pk}/" in text
    for secret in ("cut-over", "exceeds", "changed", "upheld", "meets"):
        assert secret not in text
    run("immediate")
    assert len(mailbox.to(personas.erin.email)) == 2


def test_a_closing_phase_reminds_once_after_the_first_notice(personas, mailbox):
    import time_machine

    train(personas.mo)
    advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia)
    set_frequency(personas.mo, "immediate")
    with time_machine.travel(dt.datetime(2026, 10, 10, 9, tzinfo=dt.UTC)):
        run("immediate")
    [opened] = mailbox.to(personas.mo.email)  # both assessments came at once: one e-mail
    assert opened["Subject"] == "Brightline: 2 new things for you"
    with time_machine.travel(dt.datetime(2026, 10, 18, 9, tzinfo=dt.UTC)):
        run("immediate")
    assert len(mailbox.to(personas.mo.email)) == 1  # the phase ends on 21 October: not yet
    with time_machine.travel(dt.datetime(2026, 10, 19, 9, tzinfo=dt.UTC)):
        run("immediate")
    [_, reminder] = mailbox.to(personas.mo.email)
    text = body(reminder)
    assert "Due soon: Assess Erin Employee (2026 H2) (due 21 Oct 2026)" in text
    assert "Due soon: Assess Pat Peer (2026 H2) (due 21 Oct 2026)" in text
    for day in (20, 22):
        with time_machine.travel(dt.datetime(2026, 10, day, 9, tzinfo=dt.UTC)):
            run("immediate")
    assert len(mailbox.to(personas.mo.email)) == 2


def test_the_hourly_schedule_sends_each_digest_at_the_persons_hour_in_their_zone(personas, mailbox, time_machine):
    from brightline.jobs.scheduler import run_due_schedules

    ask(personas.erin, [personas.pat])  # Pat's zone on record: Europe/Berlin, one hour ahead of UTC in December
    start = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    assert run_due_schedules(now=start, names=["notifications-immediate"]) == []  # first seen: waits for its slot
    for hour, mails in ((6, 0), (7, 1), (8, 1)):  # 07:05, 08:05 and 09:05 in Berlin; the default hour is 08:00
        moment = dt.datetime(2026, 12, 7, hour, 6, tzinfo=dt.UTC)
        time_machine.move_to(moment, tick=False)
        [started] = run_due_schedules(now=moment, names=["notifications-immediate"])
        started.refresh_from_db()
        assert started.status == JobRun.Status.SUCCEEDED
        assert len(mailbox.to(personas.pat.email)) == mails, hour
    assert "daily digest" in mailbox.to(personas.pat.email)[0]["Subject"]


def test_the_settings_page_and_the_api_change_the_choice(personas, client_for):
    browser = client_for(personas.erin)
    page = browser.get("/me/notifications/").content.decode()
    assert 'value="daily" checked' in page and '<option value="8" selected>08:00</option>' in page
    assert re.search(r'<option value="" selected>As on my record: Berlin \(UTC\+[12] now\)</option>', page)
    # Zones are listed as places, the one chosen marked; the stored key stays the option's value only.
    assert '<option value="Europe/Berlin">Berlin (Europe)</option>' in page
    assert '<option value="America/Argentina/Buenos_Aires">Buenos Aires (America, Argentina)</option>' in page
    assert '<label for="kind-feedback">Feedback to give' in page and 'name="csrfmiddlewaretoken"' in page
    assert "/me/notifications/" in browser.get("/").content.decode()  # linked from the inbox
    assert not NotificationSettings.objects.filter(person=personas.erin).exists()  # reading writes nothing
    browser.post("/me/notifications/", {"digest": "weekly", **{f"kind-{kind.key}": "digest" for kind in NOTICE_KINDS}})
    row = NotificationSettings.objects.get(person=personas.erin)
    assert (row.digest, row.frequency) == ("weekly", "weekly")
    response = browser.post("/me/notifications/", {"digest": "hourly",
                                                   **{f"kind-{kind.key}": "digest" for kind in NOTICE_KINDS}})
    assert response.status_code == 400 and ERR_DIGEST in response.content.decode()
    assert NotificationSettings.objects.get(person=personas.erin).digest == "weekly"
    assert browser.get("/api/me/notifications").json() == {
        "frequency": "weekly", "digest": "weekly", "calendar_url": None, "digest_hour": 8, "digest_timezone": None,
        "digest_timezone_in_use": "Europe/Berlin", "deliveries": {kind.key: "digest" for kind in NOTICE_KINDS}}
    changed = browser.put("/api/me/notifications", {"frequency": "immediate"}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["frequency"] == "immediate"
    assert set(changed.json()["deliveries"].values()) == {"immediate"}
    refused = browser.put("/api/me/notifications", {"frequency": "never"}, content_type="application/json")
    assert refused.status_code == 400
    assert NotificationSettings.objects.get(person=personas.erin).frequency == "immediate"
    schema = browser.get("/api/openapi.json").json()
    assert "/api/me/notifications" in schema["paths"] and "/api/me/calendar" in schema["paths"]


def test_right_away_means_when_the_request_is_made_not_at_the_next_run(personas, mailbox,
                                                                     django_capture_on_commit_callbacks):
    set_frequency(personas.pat, "immediate")
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(personas.erin, [personas.pat, personas.mo])  # Mo keeps the daily digest
    [message] = mailbox.received
    assert message[0] == [personas.pat.email]
    assert f"/growth/invitations/{request.invitations.get(respondent=personas.pat).pk}/" in body(message[1])
    run("immediate")
    assert len(mailbox.received) == 1


def test_a_phase_change_tells_the_people_of_the_cycle_who_want_it_right_away(personas, mailbox,
                                                                            django_capture_on_commit_callbacks):
    train(personas.mo)
    set_frequency(personas.mo, "immediate")
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    with django_capture_on_commit_callbacks(execute=True):
        review_services.advance_cycle(cycle, actor=personas.pia)
    [message] = mailbox.to(personas.mo.email)
    assert message["Subject"] == "Brightline: 2 new things for you"
    assert "Assess Erin Employee (2026 H2)" in body(message) and "Assess Pat Peer (2026 H2)" in body(message)


def test_the_command_sends_now_and_a_second_run_sends_nothing(personas, mailbox):
    import json
    from io import StringIO

    from django.core.management import call_command

    ask(personas.erin, [personas.pat])
    out = StringIO()
    call_command("notifications", "send", "--frequency", "daily", stdout=out)
    assert out.getvalue().startswith("1 e-mail sent (")
    again = StringIO()
    call_command("notifications", "send", "--frequency", "daily", "--json", stdout=again)
    assert json.loads(again.getvalue())["messages_sent"] == 0
    assert len(mailbox.to(personas.pat.email)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_event_once(personas, mailbox):
    """Two schedulers (or a redelivered job next to the first) run together: one claims, the other finds nothing."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("concurrent runs need a database server (runs on PostgreSQL)")
    set_frequency(personas.pat, "immediate")
    for asker in (personas.erin, personas.mo, personas.lee):
        ask(asker, [personas.pat])
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def one_run() -> None:
        from brightline.notifications.services import send_notifications

        try:
            start.wait()
            send_notifications("immediate")
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    everything = "\n".join(body(message) for message in mailbox.to(personas.pat.email))
    for name in ("Erin Employee", "Lee Leader", "Mo Manager"):
        assert everything.count(f"Give feedback about {name}") == 1
    assert set(Notice.objects.filter(person=personas.pat).values_list("status", flat=True)) == {"sent"}


def test_a_notice_done_with_is_deleted_after_a_year_and_a_waiting_one_is_kept(personas, mailbox):
    ask(personas.erin, [personas.pat])
    run("daily")
    set_frequency(personas.mo, "weekly")
    ask(personas.erin, [personas.mo])
    run("daily")  # collects nothing for Mo (weekly); make his notice by hand, as a weekly run would
    from brightline.notifications.services import collect

    collect(personas.mo, today=dt.date.today())
    year_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=366)
    Notice.objects.update(created_at=year_ago)
    assert run("immediate").result["deleted_after_a_year"] == 1
    assert list(Notice.objects.values_list("person__email", "status")) == [(personas.mo.email, "pending")]


def test_a_check_in_coming_due_and_ai_signals_waiting_reach_the_manager_without_their_content(personas, mailbox):
    import time_machine

    from brightline.insights.models import Signal
    from tests.test_insights_review import make_signal
    from tests.test_support_plans import START, active_plan

    plan = active_plan(personas)
    signal = make_signal(personas.erin, key="theme:a")
    Signal.objects.filter(pk=signal.pk).update(owner=personas.mo)
    set_frequency(personas.mo, "immediate")
    with time_machine.travel(dt.datetime.combine(START + dt.timedelta(days=8), dt.time(9), tzinfo=dt.UTC)):
        run("immediate")
    [message] = mailbox.to(personas.mo.email)
    text = body(message)
    assert "Hold the support-plan check-in with Erin Employee (due 16 Nov 2026)" in text
    assert f"{BASE}/support/{plan.pk}/" in text
    assert "1 AI signal about Erin Employee waits for you to accept or dismiss" in text
    assert f"{BASE}/insights/person/{personas.erin.pk}/" in text
    assert "Code quality" not in text and plan.diagnosis_notes not in text


def test_a_decision_on_a_drafted_sentence_is_mailed_to_the_other_side_without_the_sentence(personas, mailbox):
    from brightline.feedback import draft_review
    from tests.test_feedback_draft_review import draft as draft_fixture

    draft = draft_fixture.__wrapped__(personas)
    set_frequency(personas.mo, "immediate")
    set_frequency(personas.erin, "immediate")
    draft_review.decide_sentence(actor=personas.erin, draft=draft, index=0, action="accept")
    run("immediate")
    [message] = mailbox.to(personas.mo.email)
    text = body(message)
    assert message["Subject"] == ("Brightline: Erin Employee decided on 1 sentence of their drafted impact "
                                  "statements: decide on it")
    assert f"{BASE}/growth/drafts/{draft.pk}/review/" in text
    assert draft.sentences[0]["text"] not in text and "41" not in text  # the sentence stays in Brightline
    assert mailbox.to(personas.erin.email) == []
    draft_review.decide_sentence(actor=personas.mo, draft=draft, index=0, action="accept")
    assert run("immediate").result["messages_sent"] == 0  # decided: nothing more to tell either side
