"""Who may open each fairness and governance page: employee, manager, peer, leader, people partner, outsider."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PEOPLE_PARTNER_PAGES = ["/fairness/outcomes/", "/fairness/language/", "/governance/data/",
                        "/fairness/compliance/ll144/", "/fairness/compliance/ai-system/", "/fairness/"]
AGGREGATE_PAGES = ["/governance/leadership/", "/governance/system-health/"]
ALLOWED = {
    # persona: (people-partner pages, aggregate pages, the governance index)
    "erin": (False, False, False),
    "mo": (False, False, True),  # a manager: the index lists their own manager-quality page
    "pat": (False, False, False),
    "lee": (False, True, True),
    "pia": (True, True, True),
    "oscar": (False, False, False),
}


@pytest.mark.parametrize("persona", list(ALLOWED))
def test_each_page_opens_only_for_the_roles_it_is_for(personas, client_for, persona):
    browser = client_for(getattr(personas, persona))
    partner, aggregates, index = ALLOWED[persona]
    for url in PEOPLE_PARTNER_PAGES:
        assert browser.get(url).status_code == (200 if partner else 403), url
    for url in AGGREGATE_PAGES:
        assert browser.get(url).status_code == (200 if aggregates else 403), url
    assert browser.get("/governance/").status_code == (200 if index else 403)


@pytest.mark.parametrize("persona,allowed", [("mo", True), ("lee", True), ("pia", True), ("erin", False),
                                             ("pat", False), ("oscar", False)])
def test_a_managers_quality_page_is_for_the_manager_their_chain_and_people_partners(personas, client_for, persona,
                                                                                     allowed):
    response = client_for(getattr(personas, persona)).get(f"/governance/managers/{personas.mo.pk}/")
    assert response.status_code == (200 if allowed else 403)


def test_reading_a_managers_quality_page_is_logged_on_their_record(personas, client_for):
    from brightline.audit.models import AccessLog

    client_for(personas.lee).get(f"/governance/managers/{personas.mo.pk}/")
    assert AccessLog.objects.filter(subject=personas.mo, viewer=personas.lee,
                                    record="fairness.manager_quality").exists()


@pytest.mark.parametrize("persona,allowed", [("pia", True), ("lee", False), ("mo", False), ("erin", False)])
def test_only_people_partners_can_drill_down(personas, client_for, persona, allowed):
    response = client_for(getattr(personas, persona)).post("/governance/leadership/drill-down/",
                                                           {"team": "payments", "reason": "appeal 12 review"})
    assert response.status_code == (200 if allowed else 403)


@pytest.mark.parametrize("url,allowed", [
    ("/api/governance/leadership", {"lee", "pia"}),
    ("/api/fairness/ai-system-record", {"pia"}),
])
def test_the_api_applies_the_same_rules(personas, client_for, url, allowed):
    for persona in ALLOWED:
        response = client_for(getattr(personas, persona)).get(url)
        assert response.status_code == (200 if persona in allowed else 403), (persona, url)


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in [*PEOPLE_PARTNER_PAGES, *AGGREGATE_PAGES, "/governance/"]:
        assert client.get(url).status_code in (302, 401, 403)


def test_navigation_offers_the_leadership_view_to_leaders_and_people_partners(personas):
    from brightline.fairness.navigation import nav_items as fairness_items
    from brightline.governance.navigation import nav_items

    assert ("Leadership view", "/governance/leadership/") in nav_items(personas.lee)
    assert ("Leadership view", "/governance/leadership/") in nav_items(personas.pia)
    assert ("Fairness audits", "/fairness/") in fairness_items(personas.pia)
    assert nav_items(personas.erin) == [] and fairness_items(personas.erin) == []
    assert ("Manager quality", "/governance/") in nav_items(personas.mo)
    assert fairness_items(personas.lee) == [] and fairness_items(personas.mo) == []


@pytest.mark.parametrize(("old", "new"), [
    ("/fairness/leadership/?cycle=3", "/governance/leadership/?cycle=3"),
    ("/fairness/health/", "/governance/system-health/"),
    ("/fairness/managers/7/", "/governance/managers/7/"),
    ("/fairness/data/", "/governance/data/"),
])
def test_the_addresses_the_pages_had_under_fairness_redirect_to_them(personas, client_for, old, new):
    response = client_for(personas.lee).get(old)
    assert (response.status_code, response["Location"]) == (308, new)


def test_a_drill_down_posted_to_its_former_address_is_posted_again_to_the_new_one(personas, client_for):
    response = client_for(personas.pia).post("/fairness/leadership/drill-down/", {"team": "payments", "reason": "x"},
                                             follow=True)
    assert response.status_code == 200 and response.redirect_chain == [("/governance/leadership/drill-down/", 308)]
    assert response.templates[0].name == "governance/drill_down.html"


def test_the_leadership_api_answers_at_its_former_address_too(personas, client_for):
    assert client_for(personas.lee).get("/api/fairness/leadership").json()["min_cohort"] >= 1
