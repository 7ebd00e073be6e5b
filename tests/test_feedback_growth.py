"""The growth page: the person and their chain read it (logged), peers, partners and outsiders do not;
manager commentary (B2). The demo's growth history is checked in tests/test_demo_coherence.py, which loads the
demo once for all its read-only checks."""

from __future__ import annotations

from datetime import date

import pytest

from brightline.audit.models import AccessLog, AuditEntry
from brightline.feedback import services
from brightline.feedback.models import ManagerCommentary

pytestmark = pytest.mark.django_db


def _checkpoint(personas):
    services.record_checkpoint(actor=personas.mo, person=personas.erin, data=services.CheckpointInput(
        cadence="quarterly", label="Q3 2026", held_on=date(2026, 9, 30),
        wins="Led the settlement debrief and agreed the replica change with the data team."))


def test_the_person_reads_their_own_growth_page_without_a_log_entry(personas, client_for):
    _checkpoint(personas)
    page = client_for(personas.erin).get("/growth/").content.decode()
    assert "My growth" in page and "Led the settlement debrief" in page
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("reader", ["mo", "lee"])
def test_the_chain_reads_the_growth_page_and_the_read_is_logged(personas, client_for, reader):
    _checkpoint(personas)
    viewer = getattr(personas, reader)
    page = client_for(viewer).get(f"/growth/{personas.erin.pk}/").content.decode()
    assert "Led the settlement debrief" in page and "this read is logged" in page
    assert AccessLog.objects.filter(viewer=viewer, subject=personas.erin, record="feedback.growth").count() == 1


@pytest.mark.parametrize("reader", ["pat", "pia", "oscar"])
def test_peers_people_partners_and_outsiders_cannot_read_the_growth_page(personas, client_for, reader):
    _checkpoint(personas)
    response = client_for(getattr(personas, reader)).get(f"/growth/{personas.erin.pk}/")
    assert response.status_code == 403 and "Led the settlement debrief" not in response.content.decode()


def test_the_growth_page_shows_the_notes_link_only_to_the_pair(personas, client_for):
    assert "1:1 notes" in client_for(personas.mo).get(f"/growth/{personas.erin.pk}/").content.decode()
    assert "1:1 notes" not in client_for(personas.lee).get(f"/growth/{personas.erin.pk}/").content.decode()


def test_manager_commentary_is_written_by_the_chain_and_changes_are_recorded(personas, client_for):
    data = services.CommentaryInput(period="2026-H2", owned="Erin owned the retry fix from diagnosis to release.",
                                    ambiguity="Wrote the ledger design after the prototype was dropped.")
    services.save_manager_commentary(actor=personas.mo, person=personas.erin, data=data)
    assert AuditEntry.objects.filter(action="feedback.commentary.created").count() == 1
    services.save_manager_commentary(actor=personas.mo, person=personas.erin, data=services.CommentaryInput(
        period="2026-H2", owned=data.owned, ambiguity=data.ambiguity,
        growth="Moved from fixes in her own service to a design across 3 teams."))
    updated = AuditEntry.objects.get(action="feedback.commentary.updated")
    assert updated.data["changes"]["growth"]["from"] == ""
    assert ManagerCommentary.objects.get().growth.startswith("Moved from fixes")
    for writer in (personas.erin, personas.pat, personas.pia):
        with pytest.raises(services.NotAllowed, match=services.ERR_COMMENTARY_NOT_ALLOWED):
            services.save_manager_commentary(actor=writer, person=personas.erin, data=data)
    assert "Erin owned the retry fix" in client_for(personas.erin).get("/growth/").content.decode()
    assert client_for(personas.pat).get(f"/growth/{personas.erin.pk}/commentary/").status_code == 403


def test_the_commentary_page_saves_from_the_browser(personas, client_for):
    response = client_for(personas.mo).post(f"/growth/{personas.erin.pk}/commentary/", {
        "period": "2026-H2", "owned": "The settlement debrief and its follow-up with the data team.",
        "ambiguity": "", "coaching": "", "growth": ""})
    assert response.status_code == 302 and ManagerCommentary.objects.get().author == personas.mo


def test_the_feedback_api_is_described_in_the_openapi_schema(personas, client_for):
    paths = client_for(personas.erin).get("/api/openapi.json").json()["paths"]
    for path in ("/api/feedback/accomplishments", "/api/feedback/requests", "/api/feedback/invitations",
                 "/api/feedback/invitations/{invitation_id}/response"):
        assert path in paths


def test_a_person_records_a_debrief_about_their_own_work_on_the_growth_page_and_the_api(personas, client_for):
    from brightline.evidence.models import EvidenceItem

    browser = client_for(personas.erin)
    page = browser.get("/growth/").content.decode()
    assert "Record an incident debrief or design-review notes" in page
    response = browser.post("/growth/evidence/new/", {
        "kind": "incident_debrief", "title": "Debrief: settlement file delayed", "occurred_on": "2026-03-02",
        "summary": "Led the debrief; we added a retry and an alert on the file's arrival.",
        "url": "https://wiki.example.org/debriefs/12"})
    assert response.status_code == 302
    item = EvidenceItem.objects.get(title="Debrief: settlement file delayed")
    assert (item.person, item.kind, item.team) == (personas.erin, "incident_debrief", personas.erin.team)
    assert AuditEntry.objects.filter(action="evidence.item.recorded", actor_id=personas.erin.pk).count() == 1
    assert item.citation in browser.get("/growth/").content.decode()

    created = browser.post("/api/evidence/items", {
        "kind": "design_review", "title": "Design review notes: payout batching", "occurred_on": "2026-03-05",
        "summary": "Reviewed the batching design; asked for an idempotency key."}, content_type="application/json")
    assert created.status_code == 201 and created.json()["person_id"] == personas.erin.pk

    before = EvidenceItem.objects.count()
    bad = [
        ({"kind": "merged_change"}, "incident debrief or design-review notes"),
        ({"title": "  "}, "A title is required"),
        ({"summary": ""}, "What happened and what you did is required"),
        ({"url": "javascript:alert(1)"}, "must be a web address"),
        ({"occurred_on": "2999-01-01"}, "is in the future"),
        ({"occurred_on": "yesterday"}, "A date (YYYY-MM-DD) is required"),
        ({"service": "no-such-service"}, "no service called"),
        ({}, "You already recorded"),
    ]
    valid = {"kind": "incident_debrief", "title": "Debrief: settlement file delayed", "occurred_on": "2026-03-02",
             "summary": "Again."}
    for change, message in bad:
        refused = browser.post("/api/evidence/items", {**valid, **change}, content_type="application/json")
        assert refused.status_code == 400 and message in refused.json()["detail"], change
    followed = browser.post("/growth/evidence/new/", {**valid, "title": ""}, follow=True)
    assert "A title is required" in followed.content.decode()
    assert EvidenceItem.objects.count() == before


def _more_history(personas, number: int) -> None:
    """One more attributed feedback request about Erin, answered, and one more accomplishment citing evidence."""
    from django.utils import timezone

    from brightline.evidence.models import EvidenceItem
    from brightline.feedback.models import Accomplishment

    request = services.request_feedback(actor=personas.erin, subject=personas.erin,
                                        respondents=[(personas.pat, "peer")], context=f"Piece of work {number}")
    services.submit_feedback_response(
        actor=personas.pat, invitation=request.invitations.get(respondent=personas.pat), send_despite_tone=True,
        data=services.ResponseInput(f"Erin shipped the retry fix number {number}.", "Two fewer pages a week.",
                                    "Share designs earlier."))
    item = EvidenceItem.objects.create(kind="design_doc", title=f"Design {number}", occurred_at=timezone.now(),
                                       person=personas.erin, source="manual", source_ref=f"growth-{number}")
    accomplishment = Accomplishment.objects.create(
        person=personas.erin, period=f"2026-Q{number % 4 + 1}", title=f"Retry fix {number}",
        situation="Payments stalled.", action="Wrote the retry.", result="Fewer pages.", impact="The team slept.",
        impact_level="team")
    accomplishment.evidence.add(item)


def test_the_growth_page_needs_as_many_queries_for_seven_requests_and_accomplishments_as_for_one(
        personas, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        browser = client_for(personas.erin)
        browser.get("/growth/")
        with CaptureQueriesContext(connection) as queries:
            page = browser.get("/growth/").content.decode()
        assert "Retry fix 1" in page and "Piece of work 1" in page
        return len(queries.captured_queries)

    _more_history(personas, 1)
    one = count()
    for number in range(2, 8):
        _more_history(personas, number)
    assert count() == one  # the feedback requests' answers, invitations and each accomplishment's evidence


def test_the_growth_page_opens_with_what_it_holds_and_what_to_do_next_and_keeps_long_lists_folded(
        personas, client_for):
    """The first lines say what the page holds and the next step; each accomplishment opens in place, and past
    the first few, the rest wait behind "Show all"."""
    import re

    erin = client_for(personas.erin)
    empty = erin.get("/growth/").content.decode()
    assert "No accomplishments yet" in empty and "no checkpoint yet" in empty
    assert "add your first accomplishment" in empty
    for number in range(1, 8):
        _more_history(personas, number)
    _checkpoint(personas)
    page = erin.get("/growth/").content.decode()
    summary = page[page.index('aria-label="In short"'):page.index('aria-label="On this page"')]
    # The latest period first ("2026 H2"-style, never the stored "2026-Q4"); Q4 holds numbers 3 and 7.
    assert '2 accomplishments</a> for 2026 Q4 (a self review chooses 3 to 5)' in summary
    assert "2026-Q4" not in page
    assert "the last on 30 Sep 2026" in summary and "7 still collecting answers" not in summary
    assert "<strong>Next:</strong> add an accomplishment (2026 Q4 has 2)" in summary
    folded = re.findall(r'<details class="item" id="accomplishment-\d+">', page)
    assert len(folded) == 7  # every accomplishment, each closed until opened
    assert page.count('<details class="show-all"><summary>Show all 7 accomplishments</summary>') == 1
    assert '<details class="show-all"><summary>Show all 7</summary>' in page
    for anchor in ("#acc", "#fb", "#cp", "#dr", "#ann", "#written-evidence"):
        assert f'<a href="{anchor}">' in page
    manager = client_for(personas.mo).get(f"/growth/{personas.erin.pk}/").content.decode()
    assert f"record a checkpoint with {personas.erin.name}: the last was on 30 Sep 2026" in manager
    assert "write your commentary on 2026 Q4" in manager
