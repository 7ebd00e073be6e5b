"""The "Who viewed my record" page groups reads by reader and day, and keeps every read (problem 8 of the
session 12 first-use tasks: a manager's team overview wrote dozens of rows into each report's log)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from brightline.audit.models import AccessLog
from brightline.audit.services import record_reads, verify_access_log

TEAM_OVERVIEW_PARTS = ["evidence.health_detail", "insights.signals", "evidence.items"]


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_three_team_overview_visits_read_as_one_line_naming_the_parts_and_keep_every_read(personas, client_for,
                                                                                          time_machine):
    start = timezone.now().replace(hour=9, minute=0)
    for visit in range(3):  # three visits of the team overview, ten minutes apart, each reading three parts
        time_machine.move_to(start + dt.timedelta(minutes=10 * visit), tick=False)
        record_reads(personas.mo, [(personas.erin, part) for part in TEAM_OVERVIEW_PARTS], via="web")
    page = client_for(personas.erin).get("/me/access-log/").content.decode()
    text = _visible(page)
    day = timezone.localtime(AccessLog.objects.filter(subject=personas.erin).latest("at").at).date()
    # One line for the nine reads, by name, relation, parts and count; the raw rows are inside a fold.
    assert text.count("Mo Manager (your manager) looked at your") == 1
    line = text[text.index("Mo Manager (your manager)"):text.index("Every part read")]
    assert "working hours and on-call load" in line.lower() and "AI signals" in line and "evidence" in line
    assert f"3 times on {day.day} {day:%B} {day.year}." in line
    assert "Every part read, one row each (9)" in text  # three visits, nine rows: both said
    assert page.count("<details>") >= 1 and text.count("Mo Manager") == 1 + 9
    # The grouping is presentation only: nine reads in the log, and the chain still verifies.
    assert AccessLog.objects.filter(subject=personas.erin).count() == 9
    assert verify_access_log().ok


def test_reads_on_another_day_or_by_another_reader_are_lines_of_their_own(personas, client_for, time_machine):
    today = timezone.now().replace(hour=9, minute=0)
    time_machine.move_to(today - dt.timedelta(days=3), tick=False)
    record_reads(personas.mo, [(personas.erin, "people.profile")], via="web")
    time_machine.move_to(today, tick=False)
    record_reads(personas.mo, [(personas.erin, "people.profile")], via="web")
    record_reads(personas.pat, [(personas.erin, "people.profile")], via="api")
    text = _visible(client_for(personas.erin).get("/me/access-log/").content.decode())
    assert text.count("Mo Manager (your manager) looked at your") == 2
    assert text.count("once on") == 3
    # A peer has no relation to name, and a read through the API says so.
    assert re.search(r"Pat Peer looked at your [^.]* through the API, once on", text)


def test_a_panelist_and_an_appeal_reviewer_are_named_by_the_seat_that_let_them_read(personas, client_for):
    """A reader outside the chain is not a stranger when they sat on the person's panel or decided their appeal."""
    from brightline.reviews.models import Appeal, PanelMember
    from tests.reviews_helpers import open_payments_cycle, review_of

    cycle = open_payments_cycle(personas)
    PanelMember.objects.create(cycle=cycle, person=personas.oscar, added_by=personas.pia)
    Appeal.objects.create(review=review_of(cycle, personas.erin), context="The delivery outcome missed the launch.",
                          reviewer=personas.lee, status=Appeal.Status.IN_REVIEW, due_on=dt.date(2027, 1, 8))
    for reader in (personas.oscar, personas.lee, personas.pat, personas.mo):
        record_reads(reader, [(personas.erin, "reviews.review")], via="web")
    erin = client_for(personas.erin)
    text = _visible(erin.get("/me/access-log/").content.decode())
    assert "Oscar Outsider (a calibration panelist) looked at your" in text
    assert "Lee Leader (an appeal reviewer) looked at your" in text
    assert re.search(r"Pat Peer looked at your", text)  # a peer with no seat stays unnamed by relation
    assert "Mo Manager (your manager) looked at your" in text
    # The people partner's view of the same log names them the same way, about Erin.
    partner = _visible(client_for(personas.pia).get(f"/people/{personas.erin.pk}/access-log/").content.decode())
    assert "Oscar Outsider (a calibration panelist) looked at Erin Employee" in partner
