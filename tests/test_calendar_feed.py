"""A person's own deadlines as a subscribable iCalendar feed: parsed with a real iCalendar reader, served
by a secret address that can be replaced or switched off, with UIDs that stay the same between fetches."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.test import Client
from icalendar import Calendar

from brightline.audit.models import AuditEntry
from brightline.notifications.models import NotificationSettings
from brightline.reviews.models import Phase
from tests.reviews_helpers import advance_to, open_payments_cycle, review_of, train


def events(response) -> dict[str, tuple[str, dt.date, str]]:
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): (str(event["SUMMARY"]), event.decoded("DTSTART"), str(event["URL"]))
            for event in calendar.walk("VEVENT")}


def test_the_feed_lists_the_persons_own_deadlines(personas, client_for, settings):
    settings.BRIGHTLINE_BASE_URL = "https://brightline.example.org"
    train(personas.mo)
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    erin = client_for(personas.erin)
    assert "Create my calendar address" in erin.get("/me/notifications/").content.decode()
    erin.post("/me/notifications/calendar/", {"action": "regenerate"})
    token = NotificationSettings.objects.get(person=personas.erin).calendar_token
    page = erin.get("/me/notifications/").content.decode()
    assert f"https://brightline.example.org/calendar/{token}.ics" in page

    anonymous = Client()  # a calendar app has no session: the address alone opens the feed
    response = anonymous.get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    found = events(response)
    review = review_of(cycle, personas.erin)
    self_review = found[f"cycle-{cycle.pk}-self-review-{personas.erin.pk}@brightline.example.org"]
    assert self_review == ("Self review due (2026 H2)", dt.date(2026, 10, 7),
                           f"https://brightline.example.org/reviews/r/{review.pk}/")
    window = found[f"cycle-{cycle.pk}-appeal-window-{personas.erin.pk}@brightline.example.org"]
    assert window[1] == dt.date(2026, 11, 28)
    assert not [summary for summary, _, _ in found.values() if "assessments" in summary]  # not her task
    assert set(events(anonymous.get(f"/calendar/{token}.ics"))) == set(found)  # stable UIDs

    mo = client_for(personas.mo)
    mo.post("/me/notifications/calendar/", {"action": "regenerate"})
    mo_token = NotificationSettings.objects.get(person=personas.mo).calendar_token
    summaries = {summary: day for summary, day, _ in events(anonymous.get(f"/calendar/{mo_token}.ics")).values()}
    assert summaries["Manager assessments due (2026 H2)"] == dt.date(2026, 10, 21)


def test_a_wrong_replaced_or_switched_off_address_finds_nothing(personas, client_for):
    erin = client_for(personas.erin)
    anonymous = Client()
    assert anonymous.get("/calendar/not-a-token.ics").status_code == 404
    erin.post("/me/notifications/calendar/", {"action": "regenerate"})
    old = NotificationSettings.objects.get(person=personas.erin).calendar_token
    assert anonymous.get(f"/calendar/{old}.ics").status_code == 200
    erin.post("/me/notifications/calendar/", {"action": "regenerate"})
    new = NotificationSettings.objects.get(person=personas.erin).calendar_token
    assert new != old
    assert anonymous.get(f"/calendar/{old}.ics").status_code == 404
    assert anonymous.get(f"/calendar/{new}.ics").status_code == 200
    erin.post("/me/notifications/calendar/", {"action": "revoke"})
    assert anonymous.get(f"/calendar/{new}.ics").status_code == 404
    actions = list(AuditEntry.objects.filter(action__startswith="notifications.calendar.")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["notifications.calendar.created", "notifications.calendar.replaced",
                       "notifications.calendar.revoked"]


def test_the_api_makes_and_switches_off_the_address(personas, client_for):
    erin = client_for(personas.erin)
    made = erin.post("/api/me/calendar").json()["calendar_url"]
    path = urlsplit(made).path
    assert path.startswith("/calendar/") and Client().get(path).status_code == 200
    assert erin.delete("/api/me/calendar").json()["calendar_url"] is None
    assert Client().get(path).status_code == 404


def test_a_leavers_feed_stops(personas, client_for):
    client_for(personas.erin).post("/me/notifications/calendar/", {"action": "regenerate"})
    token = NotificationSettings.objects.get(person=personas.erin).calendar_token
    personas.erin.is_active = False
    personas.erin.save(update_fields=["is_active"])
    assert Client().get(f"/calendar/{token}.ics").status_code == 404


def test_long_names_with_commas_semicolons_and_accents_survive_the_feed(personas, client_for, settings):
    settings.BRIGHTLINE_BASE_URL = "http://localhost:8000"
    name = "2026 H2; payments, platform & the ledger — a name well past seventy-five octets, with ünïcöde"
    cycle = advance_to(open_payments_cycle(personas, name=name), Phase.SELF_REVIEW, personas.pia)
    client_for(personas.erin).post("/me/notifications/calendar/", {"action": "regenerate"})
    token = NotificationSettings.objects.get(person=personas.erin).calendar_token
    response = Client().get(f"/calendar/{token}.ics")
    raw = response.content.decode()
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))  # folded as RFC 5545 asks
    summary, day, _ = events(response)[f"cycle-{cycle.pk}-self-review-{personas.erin.pk}@localhost"]
    assert (summary, day) == (f"Self review due ({name})", dt.date(2026, 10, 7))
