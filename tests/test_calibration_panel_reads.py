"""What a calibration panelist reads, and when (E1, E8): nothing of a review before calibration starts or after it
ends, the same on the pages and in the API; never a decision in their own management chain, above or below them."""

from __future__ import annotations

import json

import pytest

from brightline.audit.models import AccessLog, AuditEntry
from brightline.audit.services import REFUSED_READ
from brightline.people.models import Dimension
from brightline.reviews import services
from brightline.reviews.models import ConflictOfInterest, Phase
from brightline.reviews.services import ReviewError
from tests.reviews_helpers import (
    advance_to,
    assess,
    cycle_in_calibration,
    olga,
    open_payments_cycle,
    pre_vote_all,
    review_of,
    train,
)


def _items(body):
    return body["items"] if isinstance(body, dict) else body


@pytest.fixture
def cycle_before_calibration(personas):
    """The Payments cycle in the manager's step: Erin's assessment submitted, Pat's still a draft; the panel is
    Lee, Oscar and Olga."""
    train(personas.mo)
    cycle = open_payments_cycle(personas)
    services.set_panel(cycle, actor=personas.pia, members=[personas.lee, personas.oscar, olga()])
    cycle = advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    assess(review_of(cycle, personas.erin), personas.mo)
    assess(review_of(cycle, personas.pat), personas.mo, submit=False)
    return cycle


@pytest.mark.parametrize("phase", [Phase.SELF_REVIEW, Phase.MANAGER_ASSESSMENT])
def test_a_panelist_reads_nothing_of_a_review_before_calibration_starts(personas, client_for, phase):
    train(personas.mo)
    cycle = open_payments_cycle(personas)
    services.set_panel(cycle, actor=personas.pia, members=[personas.lee, personas.oscar, olga()])
    cycle = advance_to(cycle, phase, personas.pia)
    if phase == Phase.MANAGER_ASSESSMENT:
        assess(review_of(cycle, personas.erin), personas.mo)  # submitted: its proposed outcomes exist
    review = review_of(cycle, personas.erin)
    browser = client_for(personas.oscar)
    for url in (f"/reviews/r/{review.pk}/", f"/reviews/r/{review.pk}/packet/"):
        page = browser.get(url)
        assert page.status_code == 403
        assert "once calibration starts" in page.content.decode()
        assert "Erin" not in page.content.decode()  # a guessed address does not say whose review it is
    for url in (f"/api/reviews/reviews/{review.pk}", f"/api/reviews/reviews/{review.pk}/packet",
                f"/api/reviews/reviews/{review.pk}/prevotes"):
        answer = browser.get(url)
        assert answer.status_code == 403, url
        assert "once calibration starts" in answer.json()["detail"]
    assert _items(browser.get("/api/reviews/reviews").json()) == []
    # The refused attempts are on the record; nothing was read.
    assert AuditEntry.objects.filter(action=REFUSED_READ, actor_id=personas.oscar.pk).count() == 5
    assert not AccessLog.objects.filter(viewer=personas.oscar).exists()
    index = browser.get("/reviews/").content.decode()
    assert "Calibration panels you sit on" in index and "Erin Employee" not in index
    assert "reach you when calibration starts" in index


def test_the_same_panelist_reads_the_review_once_calibration_starts(personas, client_for):
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    browser = client_for(personas.oscar)
    assert browser.get(f"/reviews/r/{review.pk}/").status_code == 200
    answer = browser.get(f"/api/reviews/reviews/{review.pk}")
    assert answer.status_code == 200 and answer.json()["assessments"]
    assert review.pk in {row["id"] for row in _items(browser.get("/api/reviews/reviews").json())}
    index = browser.get("/reviews/").content.decode()
    assert "Calibration: people you decide on" in index and "Erin Employee" in index
    assert "Calibration panels you sit on" not in index


def test_a_panelist_reads_nothing_once_calibration_is_over(personas, client_for):
    cycle = cycle_in_calibration(personas)
    cycle = advance_to(cycle, Phase.DECISION_MEMO, personas.pia)
    review = review_of(cycle, personas.erin)
    browser = client_for(personas.oscar)
    page = browser.get(f"/reviews/r/{review.pk}/")
    assert page.status_code == 403 and "That step is over" in page.content.decode()
    assert browser.get(f"/api/reviews/reviews/{review.pk}/memo").status_code == 403
    # The people partner and the person's chain still read it.
    assert client_for(personas.pia).get(f"/reviews/r/{review.pk}/").status_code == 200
    assert client_for(personas.lee).get(f"/reviews/r/{review.pk}/").status_code == 200


def test_a_draft_assessment_reaches_nobody_but_its_author_through_the_api(personas, client_for,
                                                                         cycle_before_calibration):
    draft = review_of(cycle_before_calibration, personas.pat)
    submitted = review_of(cycle_before_calibration, personas.erin)
    for reader in (personas.lee, personas.pia):  # the manager's manager, the people partner
        answer = client_for(reader).get(f"/api/reviews/reviews/{draft.pk}").json()
        assert answer["assessments"] is None and answer["promotion_readiness"] is None
        listed = {row["id"]: row for row in _items(client_for(reader).get("/api/reviews/reviews").json())}
        assert listed[draft.pk]["assessments"] is None
        assert client_for(reader).get(f"/api/reviews/reviews/{submitted.pk}").json()["assessments"]
    own = client_for(personas.mo).get(f"/api/reviews/reviews/{draft.pk}").json()
    assert {row["outcome"] for row in own["assessments"]} == {"meets"}


# --- E8: the panel's own management chain, above and below ------------------------------------------------


@pytest.fixture
def cycle_with_a_report_on_the_panel(personas):
    """Erin sits on the panel of the cycle that reviews her own manager, Mo."""
    return cycle_in_calibration(personas, panel=[personas.erin, personas.oscar, olga()])


def test_a_panelist_takes_no_part_in_their_own_managers_decision(personas, cycle_with_a_report_on_the_panel):
    review = review_of(cycle_with_a_report_on_the_panel, personas.mo)
    conflict = ConflictOfInterest.objects.get(review=review, panelist=personas.erin)
    assert conflict.reason == ConflictOfInterest.Reason.MANAGEMENT_CHAIN
    assert {person.name for person in services.eligible_panelists(review)} == {"Oscar Outsider",
                                                                               "Olga Othermanager"}
    with pytest.raises(ReviewError, match="Erin Employee has a conflict of interest for Mo Manager"):
        services.record_pre_vote(review, panelist=personas.erin, dimension=Dimension.values[0], outcome="exceeds")
    pre_vote_all(review, [personas.oscar, olga()])
    assessment = review.assessments.get(dimension=Dimension.values[0])
    cited = [item.reference for item in review.packet_items.filter(kind="evidence_item")[:1]]
    with pytest.raises(ReviewError, match="Erin Employee has a conflict of interest for Mo Manager"):
        services.record_calibration_change(assessment, actor=personas.erin, to_outcome="exceeds",
                                           reason=f"Stronger than proposed {cited[0]}", seen_version=assessment.version,
                                           citations=cited)
    assessment.refresh_from_db()
    assert assessment.outcome == "meets"


def test_the_conflict_below_holds_even_when_the_chain_changes_after_calibration_starts(
        personas, cycle_with_a_report_on_the_panel):
    """The conflict declared at the start stays on the record: moving Erin to another manager does not seat her."""
    review = review_of(cycle_with_a_report_on_the_panel, personas.mo)
    personas.erin.manager = personas.lee
    personas.erin.save()
    assert personas.erin.pk not in {person.pk for person in services.eligible_panelists(review)}


def test_the_pages_and_the_api_say_why_a_panelist_sits_a_decision_out(personas, client_for,
                                                                       cycle_with_a_report_on_the_panel):
    review = review_of(cycle_with_a_report_on_the_panel, personas.mo)
    browser = client_for(personas.erin)
    page = browser.get(f"/reviews/r/{review.pk}/")
    assert page.status_code == 403
    assert "Mo Manager is in your management chain" in page.content.decode()
    vote = browser.post(f"/api/reviews/reviews/{review.pk}/prevotes",
                        data=json.dumps({"dimension": Dimension.values[0], "outcome": "exceeds"}),
                        content_type="application/json")
    assert vote.status_code == 403 and "Mo Manager is in your management chain" in vote.json()["detail"]
    assert not review.pre_votes.filter(panelist=personas.erin).exists()
    # Mo's decision is not offered to her; Pat's (a colleague's) is.
    index = browser.get("/reviews/").content.decode()
    assert f"/reviews/r/{review.pk}/" not in index
    assert f"/reviews/r/{review_of(cycle_with_a_report_on_the_panel, personas.pat).pk}/" in index


def test_a_panelist_above_the_person_reads_the_review_as_a_manager_and_is_told_why_they_cannot_decide(
        personas, client_for):
    cycle = cycle_in_calibration(personas)  # Lee sits on the panel and manages everyone in the cycle
    review = review_of(cycle, personas.erin)
    page = client_for(personas.lee).get(f"/reviews/r/{review.pk}/").content.decode()
    assert "you sit this one out" in page
    assert "you are in Erin Employee&#x27;s management chain" in page
    assert "Record my pre-vote" not in page and "Record a change" not in page
    # An eligible panelist is not told to sit out.
    assert "you sit this one out" not in client_for(personas.oscar).get(f"/reviews/r/{review.pk}/").content.decode()
    change = client_for(personas.lee).post(
        f"/api/reviews/reviews/{review.pk}/calibration-changes",
        data=json.dumps({"dimension": Dimension.values[0], "to_outcome": "exceeds", "reason": "x",
                         "seen_version": 0}), content_type="application/json")
    assert change.status_code in (400, 403)
    assert "Lee Leader has a conflict of interest for Erin Employee" in change.json()["detail"]

