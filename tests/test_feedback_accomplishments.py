"""Accomplishments (B4, B5): written as impact, 3–5 per period, risks that did not work out included;
the employee's annotations before a review (B6); the same rules through the JSON API."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from brightline.audit.models import AuditEntry
from brightline.evidence.models import EvidenceItem
from brightline.feedback import services
from brightline.feedback.models import Accomplishment, Annotation
from brightline.people.models import Principle

pytestmark = pytest.mark.django_db


def evidence_for(person, ref: str, **fields) -> EvidenceItem:
    defaults = {"kind": EvidenceItem.Kind.MERGED_CHANGE, "title": "Cache FX rates per currency pair",
                "summary": "p95 latency of the quote endpoint went from 420 ms to 95 ms.",
                "occurred_at": datetime(2026, 10, 1, 10, tzinfo=UTC)}
    return EvidenceItem.objects.create(person=person, team=person.team, source="manual", source_ref=ref,
                                       **{**defaults, **fields})


def strong(period: str = "2026-H2", **changes) -> services.AccomplishmentInput:
    base = services.AccomplishmentInput(
        period=period, title="Cut quote latency for every currency",
        situation="The quote endpoint fetched exchange rates on every call.",
        action="I added a 60-second cache per currency pair with a stale-rate test.",
        result="p95 latency went from 420 ms to 95 ms.",
        impact="Checkout shows prices faster for all 30 currencies.", impact_level="business_outcome",
        teams_affected=2, measure="p95 quote latency", measure_unit="ms", measure_before=Decimal("420"),
        measure_after=Decimal("95"))
    return replace(base, **changes)


def test_an_accomplishment_is_created_with_evidence_principles_and_an_audit_entry(personas):
    item = evidence_for(personas.erin, "fx")
    principle = Principle.objects.get(key="customer-outcomes")
    accomplishment = services.create_accomplishment(actor=personas.erin, person=personas.erin, data=strong(
        evidence_ids=(item.pk,), principle_ids=(principle.pk,)))
    stored = Accomplishment.objects.get()
    assert stored == accomplishment and list(stored.evidence.all()) == [item]
    assert list(stored.principles.all()) == [principle] and stored.measure_after == Decimal("95")
    entry = AuditEntry.objects.get(action="feedback.accomplishment.created")
    assert entry.actor_id == personas.erin.pk and entry.subject_person_id == personas.erin.pk
    assert entry.data["evidence"] == [item.pk]


def test_a_risk_that_did_not_work_out_is_a_first_class_accomplishment(personas):
    services.create_accomplishment(actor=personas.erin, person=personas.erin, data=strong(
        title="Prototyped a shared ledger first", risk_not_worked_out=True, impact_level="execution"))
    assert Accomplishment.objects.get().risk_not_worked_out is True
    assert AuditEntry.objects.get(action="feedback.accomplishment.created").data["risk_not_worked_out"] is True


def test_a_sixth_accomplishment_in_a_period_is_refused_with_a_clear_error(personas):
    for number in range(5):
        services.create_accomplishment(actor=personas.erin, person=personas.erin,
                                       data=strong(title=f"Accomplishment {number}"))
    expected = services.ERR_TOO_MANY_ACCOMPLISHMENTS.format(period="2026 H2", limit=5)  # the period as people read it
    with pytest.raises(services.FeedbackError) as refused:
        services.create_accomplishment(actor=personas.erin, person=personas.erin, data=strong(title="Sixth"))
    assert str(refused.value) == expected
    assert Accomplishment.objects.count() == 5
    assert AuditEntry.objects.filter(action="feedback.accomplishment.created").count() == 5
    # Another period has its own five.
    services.create_accomplishment(actor=personas.erin, person=personas.erin, data=strong(period="2027-H1"))


def test_the_browser_refuses_a_sixth_and_says_why(personas, client_for):
    for number in range(5):
        services.create_accomplishment(actor=personas.erin, person=personas.erin,
                                       data=strong(title=f"Accomplishment {number}"))
    page = client_for(personas.erin).post("/growth/accomplishments/new/", {
        "period": "2026-H2", "title": "Sixth", "situation": "s", "action": "a", "result": "r", "impact": "i",
        "impact_level": "execution"})
    assert page.status_code == 200
    assert "2026 H2 already has 5 accomplishments, the most a review packet takes" in page.content.decode()


def test_the_growth_page_warns_below_three_per_period(personas, client_for):
    services.create_accomplishment(actor=personas.erin, person=personas.erin, data=strong())
    page = client_for(personas.erin).get("/growth/").content.decode()
    assert "Fewer than 3</span>" in page
    for number in range(2):
        services.create_accomplishment(actor=personas.erin, person=personas.erin,
                                       data=strong(title=f"More {number}"))
    assert "Fewer than 3" not in client_for(personas.erin).get("/growth/").content.decode()


@pytest.mark.parametrize("writer", ["mo", "pat", "pia"])
def test_only_the_person_writes_their_accomplishments(personas, writer):
    with pytest.raises(services.NotAllowed, match=services.ERR_ACCOMPLISHMENT_NOT_ALLOWED):
        services.create_accomplishment(actor=getattr(personas, writer), person=personas.erin, data=strong())


def test_evidence_the_writer_cannot_see_cannot_be_cited(personas):
    oscars = evidence_for(personas.oscar, "oscar-change")
    with pytest.raises(services.FeedbackError, match=f"evidence item {oscars.pk} does not exist"):
        services.create_accomplishment(actor=personas.erin, person=personas.erin,
                                       data=strong(evidence_ids=(oscars.pk,)))


def test_a_half_filled_measured_change_is_refused(personas):
    with pytest.raises(services.FeedbackError, match=services.ERR_MEASURE_INCOMPLETE):
        services.create_accomplishment(actor=personas.erin, person=personas.erin,
                                       data=strong(measure_after=None))


def test_an_update_records_from_and_to(personas):
    accomplishment = services.create_accomplishment(actor=personas.erin, person=personas.erin, data=strong())
    services.update_accomplishment(actor=personas.erin, accomplishment=accomplishment,
                                   data=strong(title="Cut quote latency to 95 ms"))
    entry = AuditEntry.objects.get(action="feedback.accomplishment.updated")
    assert entry.data["changes"]["title"] == {"from": "Cut quote latency for every currency",
                                              "to": "Cut quote latency to 95 ms"}


def test_weak_accomplishments_carry_narrative_flags_and_cited_evidence_clears_no_evidence(personas):
    weak = services.create_accomplishment(actor=personas.erin, person=personas.erin, data=strong(
        situation="Search was slow.", action="Improved the performance of the search API.",
        result="Built a new cache.", impact="Great team player throughout.", teams_affected=None))
    flags = {flag.flag_id for flag in services.accomplishment_flags(weak)}
    assert {"vague", "no_evidence", "unquantified_result", "missing_scope"} <= flags
    item = evidence_for(personas.erin, "search")
    cited = services.create_accomplishment(actor=personas.erin, person=personas.erin, data=strong(
        action="Improved the performance of the search API.", evidence_ids=(item.pk,)))
    assert "no_evidence" not in {flag.flag_id for flag in services.accomplishment_flags(cited)}


def test_the_employee_annotates_an_accomplishment_and_the_dashboard(personas, client_for):
    accomplishment = services.create_accomplishment(actor=personas.erin, person=personas.erin, data=strong())
    erin = client_for(personas.erin)
    erin.post("/growth/annotations/", {"body": "Half of this was paired with Pat.",
                                       "accomplishment": accomplishment.pk})
    erin.post("/growth/annotations/", {"body": "I was on call for 5 of 26 weeks this half."})
    assert Annotation.objects.count() == 2
    assert AuditEntry.objects.filter(action="feedback.annotation.added").count() == 2
    page = client_for(personas.mo).get(f"/growth/{personas.erin.pk}/").content.decode()
    assert "Half of this was paired with Pat." in page and "on call for 5 of 26 weeks" in page


def test_nobody_annotates_someone_elses_accomplishment(personas):
    accomplishment = services.create_accomplishment(actor=personas.erin, person=personas.erin, data=strong())
    with pytest.raises(services.NotAllowed):
        services.annotate(actor=personas.mo, person=personas.erin, body="Manager note", accomplishment=accomplishment)
    with pytest.raises(services.NotAllowed):
        services.annotate(actor=personas.pat, person=personas.pat, body="Mine?", accomplishment=accomplishment)


def test_an_engineer_writes_an_accomplishment_in_the_browser(personas, client_for):
    item = evidence_for(personas.erin, "fx")
    erin = client_for(personas.erin)
    form = erin.get("/growth/accomplishments/new/").content.decode()
    assert f"[E:{item.pk}]" in form and 'hx-post="/growth/check/"' in form
    response = erin.post("/growth/accomplishments/new/", {
        "period": "2026-H2", "title": "Cut quote latency", "situation": "Quotes were slow.",
        "action": "Added a cache per currency pair.", "result": "p95 went from 420 ms to 95 ms.",
        "impact": "Faster prices for all 30 currencies.", "impact_level": "business_outcome",
        "teams_affected": "2", "evidence": [item.pk], "measure": "", "measure_unit": ""})
    assert response.status_code == 302
    assert Accomplishment.objects.get().evidence.get() == item


def test_the_api_lists_and_creates_accomplishments_under_the_same_rules(personas, client_for):
    erin = client_for(personas.erin)
    body = {"period": "2026-H2", "title": "Cut quote latency", "situation": "Quotes were slow.",
            "action": "Added a cache.", "result": "p95 went from 420 ms to 95 ms.", "impact": "Faster prices.",
            "impact_level": "execution"}
    for number in range(5):
        assert erin.post("/api/feedback/accomplishments", {**body, "title": f"A{number}"},
                         content_type="application/json").status_code == 201
    sixth = erin.post("/api/feedback/accomplishments", body, content_type="application/json")
    assert sixth.status_code == 400 and "the most a review packet takes" in sixth.json()["detail"]
    listed = client_for(personas.mo).get(f"/api/feedback/accomplishments?person_id={personas.erin.pk}").json()
    assert len(listed) == 5 and {"flags", "evidence_ids", "impact_level"} <= set(listed[0])
    for outsider in (personas.pat, personas.pia, personas.oscar):
        response = client_for(outsider).get(f"/api/feedback/accomplishments?person_id={personas.erin.pk}")
        assert response.status_code == 403


def test_saving_says_the_period_as_people_read_it(personas, client_for):
    page = client_for(personas.erin).post("/growth/accomplishments/new/", {
        "period": "2026-H2", "title": "Cut refund time", "situation": "Refunds took a week.",
        "action": "I automated the approval.", "result": "Refunds take a day.", "impact": "Fewer tickets.",
        "impact_level": "execution"}, follow=True).content.decode()
    assert "Saved. 2026 H2 has 1 accomplishment; a self review chooses 3 to 5." in page
    assert "2026-H2" not in page


def test_a_self_review_short_of_accomplishments_links_to_writing_one_and_comes_back(personas, client_for):
    """Pat has fewer than three: the self review says so and links to the form, which returns to the review once
    the new one is saved (only to a review page of this site)."""
    from brightline.reviews.models import Phase
    from tests.reviews_helpers import advance_to, open_payments_cycle

    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    review = cycle.reviews.get(person=personas.erin)
    services.create_accomplishment(actor=personas.erin, person=personas.erin, data=strong())
    browser = client_for(personas.erin)
    page = browser.get(f"/reviews/r/{review.pk}/").content.decode()
    assert "Your packet shows 3 to 5 accomplishments and you have written 1" in page
    assert f'href="/growth/accomplishments/new/?back=/reviews/r/{review.pk}/"' in page
    fields = {"period": "2026-H2", "title": "Second one", "situation": "The export timed out for large accounts.",
              "action": "Moved it onto a queue.", "result": "Exports finish in under a minute.",
              "impact": "Support tickets about exports stopped.", "impact_level": "execution"}
    saved = browser.post(f"/growth/accomplishments/new/?back=/reviews/r/{review.pk}/", fields)
    assert saved.status_code == 302 and saved["Location"] == f"/reviews/r/{review.pk}/#self-h"
    elsewhere = browser.post("/growth/accomplishments/new/?back=https://example.org/reviews/r/1/",
                             {**fields, "title": "Third one"})
    assert elsewhere.status_code == 302 and elsewhere["Location"] == "/growth/"
