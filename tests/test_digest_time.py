"""Each person's digest at their own hour in their own time zone: the hourly run sends it once per local day, also
on the days the clocks change (Europe/Berlin: 29 March 2026 skips 02:00–03:00, 25 October 2026 repeats 02:00)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brightline.audit.models import AuditEntry
from brightline.notifications.models import DigestDay, NotificationSettings
from brightline.notifications.services import (
    ERR_DIGEST_HOUR,
    ERR_DIGEST_ZONE,
    SETTINGS_CHANGED,
    NotificationError,
    digests_due,
    send_notifications,
    set_choices,
)
from brightline.operations.data_rights import export_personal_data
from brightline.people.models import Person
from tests.test_inbox import ask

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.BRIGHTLINE_BASE_URL = "https://brightline.example.org"
    return mail.outbox


def hourly_runs(start: dt.datetime, hours: int) -> list[dt.datetime]:
    """The hourly run's times (at :05) from ``start`` on, in UTC."""
    return [start + dt.timedelta(hours=step) for step in range(hours)]


def days_taken(person: Person, runs: list[dt.datetime]) -> list[tuple[dt.date, dt.datetime]]:
    """For each run in turn, with the clock at its time: the local day whose digest it took, and when (in Berlin)."""
    taken = []
    for moment in runs:
        def day() -> dt.date | None:
            return DigestDay.objects.filter(person=person).values_list("day", flat=True).first()

        before = day()
        send_notifications("immediate", person_ids=[person.pk], digests_at=moment)
        after = day()
        if after != before:
            assert after is not None
            taken.append((after, moment.astimezone(BERLIN).replace(tzinfo=None)))
    return taken


def test_the_digest_goes_once_a_local_day_at_the_chosen_hour_across_both_clock_changes(personas, outbox):
    pat = personas.pat  # in Europe/Berlin on his record
    set_choices(pat, digest_hour=2)  # the hour the spring change skips and the autumn change repeats
    # Three days around each change, every hour at :05 UTC from 00:05 in Berlin.
    spring = days_taken(pat, hourly_runs(dt.datetime(2026, 3, 27, 23, 5, tzinfo=dt.UTC), 72))
    autumn = days_taken(pat, hourly_runs(dt.datetime(2026, 10, 23, 22, 5, tzinfo=dt.UTC), 72))
    assert spring == [(dt.date(2026, 3, 28), dt.datetime(2026, 3, 28, 2, 5)),
                      (dt.date(2026, 3, 29), dt.datetime(2026, 3, 29, 3, 5)),  # no 02:00 that day: the next run
                      (dt.date(2026, 3, 30), dt.datetime(2026, 3, 30, 2, 5))]
    assert autumn == [(dt.date(2026, 10, 24), dt.datetime(2026, 10, 24, 2, 5)),
                      (dt.date(2026, 10, 25), dt.datetime(2026, 10, 25, 2, 5)),  # the first 02:05; not the second
                      (dt.date(2026, 10, 26), dt.datetime(2026, 10, 26, 2, 5))]


def test_a_missed_run_is_caught_up_and_a_repeated_run_sends_nothing_more(personas, outbox):
    pat = personas.pat
    ask(personas.erin, [pat])
    ten_past_nine = dt.datetime(2026, 12, 8, 8, 10, tzinfo=dt.UTC)  # 09:10 in Berlin: the 08:05 run never happened
    first = send_notifications("immediate", digests_at=ten_past_nine)
    assert first.sent_messages == 1 and [message.to for message in outbox] == [[pat.email]]
    # The run's bookkeeping is not a choice: Pat, who never chose, still has none; his data download has the day.
    assert not NotificationSettings.objects.filter(person=pat).exists()
    exported = export_personal_data(pat)["notification_choices"]
    assert exported["choices"].startswith("None made") and exported["last_digest_for_the_day"] == "2026-12-08"
    assert "daily digest" in outbox[0].subject
    ask(personas.mo, [pat])  # something new later that day waits for tomorrow's digest
    for minutes in (1, 60, 600):
        send_notifications("immediate", digests_at=ten_past_nine + dt.timedelta(minutes=minutes))
    assert len(outbox) == 1
    send_notifications("immediate", digests_at=dt.datetime(2026, 12, 9, 7, 5, tzinfo=dt.UTC))
    assert len(outbox) == 2 and "Mo Manager" in outbox[1].body


def test_each_person_in_their_own_zone_and_the_weekly_one_on_their_monday(personas):
    erin, pat, mo = personas.erin, personas.pat, personas.mo
    set_choices(erin, digest_hour=8, digest_timezone="Pacific/Auckland", digest="weekly")  # UTC+13 in December
    set_choices(pat, digest_hour=18, digest_timezone="America/New_York")  # UTC-5
    sunday_evening = dt.datetime(2026, 12, 6, 19, 30, tzinfo=dt.UTC)  # Monday 08:30 in Auckland
    due = digests_due(sunday_evening)
    assert due[erin.pk] == dt.date(2026, 12, 7) and pat.pk not in due  # 14:30 in New York
    assert due[mo.pk] == dt.date(2026, 12, 6)  # no choice: 08:00 in the zone on his record, Berlin (20:30 there)
    assert digests_due(dt.datetime(2026, 12, 6, 23, 5, tzinfo=dt.UTC))[pat.pk] == dt.date(2026, 12, 6)
    # A week later, Tuesday in Auckland: no weekly digest.
    assert erin.pk not in digests_due(dt.datetime(2026, 12, 7, 19, 30, tzinfo=dt.UTC))
    assert personas.lee.pk in due
    set_choices(personas.lee, deliveries={kind: "immediate" for kind in NotificationSettings().all_deliveries()})
    assert personas.lee.pk not in digests_due(sunday_evening)  # nothing left for a digest


def test_finding_who_is_due_reads_everyone_in_one_query(personas, organisation):
    for number in range(40):
        Person.objects.create(organisation=organisation, employee_id=f"E-x{number}", name=f"Extra {number}",
                              email=f"x{number}@example.org",
                              timezone=("Asia/Tokyo", "America/Chicago", "UTC")[number % 3])
    with CaptureQueriesContext(connection) as queries:
        due = digests_due(dt.datetime(2026, 12, 8, 7, 30, tzinfo=dt.UTC))  # 16:30 in Tokyo, 01:30 in Chicago
    assert len(queries) == 1
    tokyo = set(Person.objects.filter(timezone="Asia/Tokyo").values_list("pk", flat=True))
    assert set(due) >= tokyo and not set(due) & set(Person.objects.filter(timezone="America/Chicago")
                                                     .values_list("pk", flat=True))


def test_the_hour_and_zone_are_chosen_on_the_page_checked_and_audited(personas, client_for):
    browser = client_for(personas.erin)
    kinds = {f"kind-{key}": value for key, value in NotificationSettings().all_deliveries().items()}
    response = browser.post("/me/notifications/", {"digest": "daily", "digest_hour": "17",
                                                   "digest_timezone": "America/Sao_Paulo", **kinds})
    assert response.status_code == 302
    row = NotificationSettings.objects.get(person=personas.erin)
    assert (row.digest_hour, row.digest_timezone) == (17, "America/Sao_Paulo")
    [entry] = AuditEntry.objects.filter(action=SETTINGS_CHANGED)
    assert '"digest_hour":{"from":8,"to":17}' in entry.data_json
    page = browser.get("/me/notifications/").content.decode()
    assert '<option value="17" selected>17:00</option>' in page
    assert '<option value="America/Sao_Paulo" selected>Sao Paulo (America)</option>' in page
    for posted, message in (({"digest_hour": "24"}, ERR_DIGEST_HOUR), ({"digest_hour": "eight"}, ERR_DIGEST_HOUR),
                            ({"digest_timezone": "Mars/Olympus"}, ERR_DIGEST_ZONE),
                            ({"digest_timezone": "US/Pacific"}, ERR_DIGEST_ZONE)):
        refused = browser.post("/me/notifications/", {"digest": "daily", **kinds, **posted})
        assert refused.status_code == 400 and message in refused.content.decode()
    row.refresh_from_db()
    assert (row.digest_hour, row.digest_timezone) == (17, "America/Sao_Paulo")
    api = browser.put("/api/me/notifications", {"digest_hour": 7, "digest_timezone": ""},
                      content_type="application/json")
    assert api.status_code == 200 and api.json()["digest_timezone"] is None
    assert (api.json()["digest_hour"], api.json()["digest_timezone_in_use"]) == (7, "Europe/Berlin")
    assert browser.put("/api/me/notifications", {"digest_hour": -1},
                       content_type="application/json").status_code == 400
    with pytest.raises(NotificationError):
        set_choices(personas.erin, digest_hour=True)


def test_the_upgrade_records_the_last_fixed_runs_day_so_no_one_gets_a_second_digest_that_day(personas):
    """Upgraded after the old schedule's 06:00 UTC run: each person e-mailed since it has that run's local day
    recorded, so their next digest is the next local day's; the others get theirs at their hour as usual."""
    from importlib import import_module

    from django.apps import apps

    from brightline.notifications.models import Notice

    upgrade = import_module("brightline.notifications.migrations.0004_digest_day_of_the_last_fixed_run")
    utc = dt.UTC
    erin, pat, lee, mo = personas.erin, personas.pat, personas.lee, personas.mo
    Person.objects.filter(pk=erin.pk).update(timezone="Europe/Berlin")
    Person.objects.filter(pk=pat.pk).update(timezone="America/Los_Angeles")
    for person, sent_at in ((erin, dt.datetime(2026, 12, 8, 6, 1, tzinfo=utc)),  # 07:01 in Berlin
                            (pat, dt.datetime(2026, 12, 8, 6, 2, tzinfo=utc)),  # 22:02 on the 7th in Los Angeles
                            (lee, dt.datetime(2026, 12, 7, 6, 1, tzinfo=utc)),  # the run before: not this one
                            (mo, dt.datetime(2026, 12, 8, 6, 3, tzinfo=utc))):
        Notice.objects.create(person=person, key=f"k-{person.pk}", kind="feedback_request", title="Give feedback",
                              path="/", status=Notice.Status.SENT, sent_at=sent_at)
    DigestDay.objects.create(person=mo, day=dt.date(2026, 12, 5))  # recorded already: left as it is
    upgrade_time = dt.datetime(2026, 12, 8, 9, 30, tzinfo=utc)
    assert upgrade.last_fixed_run(upgrade_time) == dt.datetime(2026, 12, 8, 6, 0, tzinfo=utc)
    assert upgrade.last_fixed_run(dt.datetime(2026, 12, 8, 5, 59, tzinfo=utc)) == dt.datetime(2026, 12, 7, 6,
                                                                                              tzinfo=utc)

    assert upgrade.record_days(apps, upgrade_time) == 2
    days = dict(DigestDay.objects.values_list("person_id", "day"))
    assert days == {erin.pk: dt.date(2026, 12, 8), pat.pk: dt.date(2026, 12, 7), mo.pk: dt.date(2026, 12, 5)}
    assert upgrade.record_days(apps, upgrade_time) == 0  # a second pass changes nothing

    people = [erin.pk, pat.pk, lee.pk]
    assert erin.pk not in digests_due(upgrade_time, people)  # had the 06:00 UTC digest this Berlin day
    assert digests_due(upgrade_time, people) == {lee.pk: dt.date(2026, 12, 8)}  # his 08:00 in Berlin has come
    assert digests_due(dt.datetime(2026, 12, 8, 16, 5, tzinfo=utc), people)[pat.pk] == dt.date(2026, 12, 8)
    assert digests_due(dt.datetime(2026, 12, 9, 7, 5, tzinfo=utc), people)[erin.pk] == dt.date(2026, 12, 9)
