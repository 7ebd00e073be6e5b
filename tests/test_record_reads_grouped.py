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
