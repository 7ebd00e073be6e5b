"""The leadership brief ends with a recommendation drawn from the evidence it cites, for a person to accept or
reject: the decision is kept with who, when and why, audited, and taken once."""

from __future__ import annotations

import pytest

from brightline.audit.models import AuditEntry
from brightline.policy import recommendations
from brightline.policy.models import BriefRecommendation
from tests.fairness_helpers import Member, decided_cycle, make_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def churned_cycle(personas, organisation, ladder):
    """Two teams of 12; calibration changed the proposals of 8 of 24 people (a third of the 96 proposals)."""
    members = ([Member(f"Ann {i}", "alpha", proposed="exceeds" if i < 4 else "") for i in range(12)]
               + [Member(f"Bob {i}", "beta", proposed="needs_support" if i < 4 else "") for i in range(12)])
    return decided_cycle(make_people(organisation, ladder, personas.mo, members), members)


def test_the_brief_ends_with_a_recommendation_that_cites_its_figures_and_waits_for_a_person(
        personas, client_for, churned_cycle):
    response = client_for(personas.lee).get("/governance/leadership/")
    shown = response.context["view"].recommendation
    assert shown.recommendation.rule == "calibration_churn" and shown.decision is None
    assert [item.value for item in shown.recommendation.evidence] == ["32 of 96"]  # four dimensions each
    page = response.content.decode()
    assert "Recommendation for next quarter" in page and "for a person to accept or reject" in page
    assert "33% of their proposals" in page and 'name="decision"' in page
    api = client_for(personas.pia).get("/api/governance/leadership").json()["recommendation"]
    assert api["rule"] == "calibration_churn" and api["for_a_person_to_decide"] is True and api["decision"] is None


def test_a_decision_is_kept_with_who_when_and_why_and_audited_once(personas, client_for, churned_cycle):
    leader = client_for(personas.lee)
    refused = leader.post("/governance/leadership/", {"cycle": churned_cycle.pk, "decision": "accepted", "reason": " "})
    assert refused.status_code == 400 and recommendations.ERR_REASON in refused.content.decode()
    assert not BriefRecommendation.objects.exists()
    kept = leader.post("/governance/leadership/", {"cycle": churned_cycle.pk, "decision": "accepted",
                                                 "reason": "Rewrite the delivery criteria before May."})
    assert kept.status_code == 302
    row = BriefRecommendation.objects.get()
    assert (row.decision, row.decided_by, row.rule, row.cycle_id) == (
        "accepted", personas.lee, "calibration_churn", churned_cycle.pk)
    assert row.reason == "Rewrite the delivery criteria before May." and row.decided_at is not None
    assert row.evidence == [{"label": "proposals changed", "value": "32 of 96", "n": 96}]
    entry = AuditEntry.objects.get(action="policy.recommendation.accepted")
    assert entry.actor_id == personas.lee.pk and entry.data["reason"] == row.reason
    page = leader.get("/governance/leadership/").content.decode()
    assert "Accepted</strong> by Lee Leader" in page and 'name="decision"' not in page
    again = client_for(personas.pia).post("/api/governance/leadership/recommendation",
                                          {"decision": "rejected", "reason": "Too soon."},
                                          content_type="application/json")
    assert again.status_code == 400 and "already accepted by Lee Leader" in again.json()["detail"]
    assert BriefRecommendation.objects.count() == 1


def test_only_leaders_and_people_partners_decide(personas, client_for, churned_cycle):
    for person in (personas.mo, personas.erin):
        answer = client_for(person).post("/api/governance/leadership/recommendation",
                                         {"decision": "accepted", "reason": "Yes."}, content_type="application/json")
        assert answer.status_code == 403
        assert client_for(person).post("/governance/leadership/", {"decision": "accepted",
                                                                   "reason": "Yes."}).status_code == 403
    made = client_for(personas.pia).post("/api/governance/leadership/recommendation",
                                         {"decision": "rejected", "reason": "The criteria changed last cycle."},
                                         content_type="application/json")
    assert made.status_code == 201 and made.json()["decided_by"] == "Pia Partner"
    assert AuditEntry.objects.filter(action="policy.recommendation.rejected").count() == 1


def test_an_accepted_recommendation_is_in_the_change_log_every_employee_reads_from_next_quarter(
        personas, client_for, churned_cycle):
    from django.utils import timezone

    from brightline.policy.changelog import next_quarter_start

    assert next_quarter_start(timezone.now().date().replace(month=11, day=30)).month == 1
    assert next_quarter_start(timezone.now().date().replace(month=1, day=1)).month == 4
    client_for(personas.lee).post("/governance/leadership/", {"cycle": churned_cycle.pk, "decision": "accepted",
                                                            "reason": "Managers asked for clearer criteria."})
    page = client_for(personas.erin).get("/changes/").content.decode()
    assert "Planned change to the system" in page and "Managers asked for clearer criteria." in page
    assert "rewrite the outcome criteria" in page
    takes_effect = next_quarter_start(timezone.now().date())
    assert f"{takes_effect.day} {takes_effect:%b %Y}" in page and takes_effect.isoformat() not in page
    assert "calibration_churn" not in page
