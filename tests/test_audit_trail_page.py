"""The audit trail page (issue 20): 25 entries a page with next and previous, filters by who acted, whose record,
kind of action and days in a plain GET form, and a logged read whenever the page is narrowed to one person."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from brightline.audit.models import AccessLog, AuditEntry
from brightline.audit.services import log_action

pytestmark = pytest.mark.django_db


def rows(page: str) -> list[str]:
    """The entry numbers listed, in order."""
    return re.findall(r'<td data-label="#">(\d+)</td>', page)


@pytest.fixture
def trail(personas):
    """Thirty entries by Mo about Erin, five by Pia about Pat, and the entries the personas' set-up made."""
    for index in range(30):
        log_action("reviews.assessment.saved", personas.mo, personas.erin, {"n": index})
    for index in range(5):
        log_action("policy.policy.updated", personas.pia, personas.pat, {"n": index})
    return personas


def test_the_trail_shows_25_entries_a_page_with_next_and_previous(trail, client_for):
    pia = client_for(trail.pia)
    total = AuditEntry.objects.count()
    first = pia.get("/audit/").content.decode()
    newest = list(AuditEntry.objects.order_by("-seq").values_list("seq", flat=True))
    assert rows(first) == [str(seq) for seq in newest[:25]]
    assert f"Entries 1–25 of {total}" in first and 'href="?page=2#trail"' in first and "Previous" not in first
    second = pia.get("/audit/?page=2").content.decode()
    assert rows(second) == [str(seq) for seq in newest[25:50]] and 'href="?page=1#trail"' in second
    # The verification of the whole chain stays on every page, folded.
    assert "The audit trail is intact" in second and "How this is checked" in second


def test_filters_narrow_by_who_acted_kind_and_days(trail, client_for):
    pia = client_for(trail.pia)
    by_pia = pia.get("/audit/?by=Pia&kind=policy").content.decode()
    assert len(rows(by_pia)) == 5 and "Entries 1–5 of 5 matching the filters" in by_pia
    assert 'option value="policy" selected' in by_pia and 'value="Pia"' in by_pia
    today = dt.datetime.now(dt.UTC).date()
    in_range = pia.get(f"/audit/?kind=reviews&from={today}&to={today}").content.decode()
    assert len(rows(in_range)) == 25 and "of 30 matching" in in_range
    earlier = pia.get(f"/audit/?kind=reviews&to={today - dt.timedelta(days=1)}").content.decode()
    assert rows(earlier) == [] and "No entry matches the filters." in earlier


def test_choosing_whose_record_filters_to_them_and_logs_the_read(trail, client_for):
    pia = client_for(trail.pia)
    before = AccessLog.objects.filter(subject=trail.erin, record="audit.trail").count()
    page = pia.get("/audit/?about=Erin+Employee").content.decode()
    assert "of 30 matching the filters (about Erin Employee)" in page
    listed = set(rows(page))
    assert listed <= {str(seq) for seq in AuditEntry.objects.filter(subject_person_id=trail.erin.pk)
                      .values_list("seq", flat=True)}
    # The read is in Erin's "who viewed my record", under the part of the record it opened.
    erin_log = client_for(trail.erin).get("/me/access-log/").content.decode()
    assert "Pia Partner" in erin_log and "Audit trail entries about them" in erin_log
    assert AccessLog.objects.filter(subject=trail.erin, viewer=trail.pia, record="audit.trail").count() == before + 1


def test_a_name_several_people_share_is_offered_as_a_choice_and_an_unknown_one_is_an_error(trail, client_for):
    pia = client_for(trail.pia)
    page = pia.get("/audit/?about=e").content.decode()  # Erin Employee, Pat Peer, Lee Leader, …
    assert "Several people match" in page and f"about_id={trail.erin.pk}" in page
    assert rows(page)  # the unfiltered trail stays below the choice
    unknown = pia.get("/audit/?about=Nobody+Here")
    assert unknown.status_code == 400 and "Nobody in Brightline has that name" in unknown.content.decode()


@pytest.mark.parametrize(("query", "message"), [
    ("from=7+Dec", "Give the day as year-month-day"),
    ("from=2026-12-07&to=2026-12-01", "The first day comes after the last day"),
    ("kind=payroll", "Choose a kind of action from the list"),
])
def test_a_mistake_in_a_filter_is_said_beside_its_field(trail, client_for, query, message):
    response = client_for(trail.pia).get(f"/audit/?{query}")
    page = response.content.decode()
    assert response.status_code == 400 and message in page and 'role="alert"' in page


@pytest.mark.parametrize("who", ["erin", "mo", "lee"])
def test_only_people_partners_open_the_trail(trail, client_for, who):
    response = client_for(getattr(trail, who)).get(f"/audit/?about_id={trail.erin.pk}")
    assert response.status_code == 403
