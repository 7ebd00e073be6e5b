"""The reviews JSON API: same rules as the services, quotas refused, pre-votes hidden, 409 on stale edits."""

from __future__ import annotations

import json

import pytest

from brightline.audit.models import AccessLog
from brightline.reviews import services
from brightline.reviews.models import ReviewCycle
from tests.reviews_helpers import SCHEDULE, cycle_in_calibration, olga, pre_vote_all, review_of


def post(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def test_a_people_partner_opens_a_cycle_through_the_api(personas, client_for):
    response = post(client_for(personas.pia), "/api/reviews/cycles",
                    {"name": "2026 H2", "schedule": SCHEDULE, "teams": ["payments"]})
    assert response.status_code == 201, response.content
    assert response.json()["people"] == 3 and response.json()["phase"] == "evidence"


@pytest.mark.parametrize("payload", [
    {"config": {"distribution": {"exceeds": 0.2}}},
    {"config": {"target_percentages": [10, 80, 10]}},
    {"forced_curve": True},  # beside the schema
    {"max_exceeds": 3},
    {"top": "20%"},
])
def test_the_api_refuses_a_quota(personas, client_for, payload):
    body = {"name": "x", "schedule": SCHEDULE, **payload}
    response = post(client_for(personas.pia), "/api/reviews/cycles", body)
    assert response.status_code == 400
    assert "calibrates standards, not outcomes" in response.json()["detail"]
    assert not ReviewCycle.objects.exists()


def test_only_people_partners_open_or_advance_cycles_through_the_api(personas, client_for):
    response = post(client_for(personas.mo), "/api/reviews/cycles", {"name": "x", "schedule": SCHEDULE})
    assert response.status_code == 403
    cycle = services.open_cycle(actor=personas.pia, name="x", schedule=SCHEDULE)
    assert post(client_for(personas.lee), f"/api/reviews/cycles/{cycle.pk}/advance", {}).status_code == 403
    skip = post(client_for(personas.pia), f"/api/reviews/cycles/{cycle.pk}/advance", {"to_phase": "calibration"})
    assert skip.status_code == 400 and "one phase at a time" in skip.json()["detail"]


def test_pre_votes_are_hidden_in_the_api_until_everyone_voted(personas, client_for):
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    url = f"/api/reviews/reviews/{review.pk}/prevotes"
    voted = post(client_for(personas.oscar), url, {"dimension": "leadership", "outcome": "exceeds"}).json()
    assert voted["own_votes"] == {"leadership": "exceeds"} and voted["spread"] == {} and voted["votes"] == []
    for viewer in (personas.pia, personas.mo, olga()):
        seen = client_for(viewer).get(url).json()
        assert seen["complete"] is False and seen["spread"] == {} and seen["votes"] == []
    pre_vote_all(review, [personas.oscar, olga()])
    assert client_for(personas.pia).get(url).json()["complete"] is True


def test_the_employee_sees_no_outcomes_before_release(personas, client_for):
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    own = client_for(personas.erin).get(f"/api/reviews/reviews/{review.pk}").json()
    assert own["assessments"] is None and own["promotion_readiness"] is None
    packet = client_for(personas.erin).get(f"/api/reviews/reviews/{review.pk}/packet").json()
    assert packet["pre_review"] is True and "readiness" not in packet["promotion"]
    assert not any({"proposed", "outcome"} & set(row) for row in packet["outcomes"])
    manager = client_for(personas.mo).get(f"/api/reviews/reviews/{review.pk}").json()
    assert len(manager["assessments"]) == 4


@pytest.mark.parametrize("persona", ["pat", "oscar"])
def test_peers_and_outsiders_cannot_read_a_review(personas, client_for, persona):
    cycle = services.open_cycle(actor=personas.pia, name="x", schedule=SCHEDULE)
    review = review_of(cycle, personas.erin)
    assert client_for(getattr(personas, persona)).get(f"/api/reviews/reviews/{review.pk}").status_code == 403


def test_a_conflicted_panelist_cannot_read_the_packet_and_an_eligible_one_is_logged(personas, client_for):
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    # Lee is in Erin's chain: he may read it as her skip-level, but cannot vote.
    lee_vote = post(client_for(personas.lee), f"/api/reviews/reviews/{review.pk}/prevotes",
                    {"dimension": "leadership", "outcome": "meets"})
    assert lee_vote.status_code == 400 and "conflict of interest" in lee_vote.json()["detail"]
    assert client_for(personas.oscar).get(f"/api/reviews/reviews/{review.pk}/packet").status_code == 200
    assert AccessLog.objects.filter(viewer=personas.oscar, subject=personas.erin, via="api").exists()


def test_a_stale_calibration_change_gets_409(personas, client_for):
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    pre_vote_all(review, [personas.oscar, olga()])
    assessment = review.assessments.get(dimension="leadership")
    refs = [i.reference for i in review.packet_items.filter(kind="evidence_item")]
    body = {"dimension": "leadership", "to_outcome": "exceeds", "reason": "Scope.", "citations": refs,
            "seen_version": assessment.version}
    url = f"/api/reviews/reviews/{review.pk}/calibration-changes"
    assert post(client_for(personas.oscar), url, body).status_code == 201
    stale = post(client_for(olga()), url, dict(body, to_outcome="needs_support"))
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]
    changes = client_for(personas.pia).get(url).json()
    assert [(c["from_outcome"], c["to_outcome"], c["actor"]) for c in changes] == [
        ("meets", "exceeds", "Oscar Outsider")]


def test_the_openapi_schema_lists_the_review_endpoints(personas, client_for):
    schema = client_for(personas.erin).get("/api/openapi.json").json()
    for path in ("/api/reviews/cycles", "/api/reviews/reviews/{review_id}/packet",
                 "/api/reviews/reviews/{review_id}/calibration-changes", "/api/reviews/reviews/{review_id}/memo",
                 "/api/reviews/reviews/{review_id}/appeals", "/api/support/plans"):
        assert path in schema["paths"], path
