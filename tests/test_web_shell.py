"""Login, the health check, role-dependent home pages and navigation, the JSON API and its auth."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from brightline.people.tokens import create_api_token

pytestmark = pytest.mark.django_db


def test_the_health_check_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/", "/ladder/", "/data-use/", "/organisation/", "/people/1/"])
def test_anonymous_requests_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


def test_the_login_page_logs_a_person_in(client, personas):
    from tests.conftest import PASSWORD

    page = client.get("/accounts/login/")
    assert page.status_code == 200 and 'for="id_username"' in page.content.decode()
    response = client.post("/accounts/login/", {"username": "erin", "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    assert "Welcome, Erin Employee" in client.get("/").content.decode()


def test_a_wrong_password_is_refused_with_a_message(client, personas):
    response = client.post("/accounts/login/", {"username": "erin", "password": "wrong"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def nav_labels(response) -> list[str]:
    return [label for label, _url, _current in response.context["nav_items"]]


def test_navigation_depends_on_the_role(personas, client_for):
    employee = nav_labels(client_for(personas.erin).get("/"))
    manager = nav_labels(client_for(personas.mo).get("/"))
    leader = nav_labels(client_for(personas.lee).get("/"))
    partner = nav_labels(client_for(personas.pia).get("/"))
    assert "My team" not in employee and "Organisation" not in employee and "Policy" not in employee
    assert "My team" in manager and "Organisation" not in manager
    assert "Organisation" in leader and "Policy" not in leader and "Audit trail" not in leader
    assert {"Organisation", "Policy", "Audit trail"} <= set(partner)
    for labels in (employee, manager, leader, partner):
        assert "How Brightline uses data about you" in labels


def test_each_home_page_fits_the_role(personas, client_for):
    employee = client_for(personas.erin).get("/").content.decode()
    manager = client_for(personas.mo).get("/").content.decode()
    partner = client_for(personas.pia).get("/").content.decode()
    assert "What your level expects" in employee and "Your team" not in employee
    assert "Your team" in manager and "Erin Employee" in manager
    policy = f'href="{reverse("policy-edit")}"'
    assert policy in partner and policy not in manager


def test_the_organisation_view_hides_groups_below_the_minimum_cohort(personas, client_for):
    page = client_for(personas.lee).get("/organisation/").content.decode()
    # Payments has 3 people and Platform 2, both below the default minimum of 5.
    assert "fewer than 5" in page
    assert ">3<" not in page and ">2<" not in page


def test_the_organisation_view_says_what_a_workload_class_is_and_leads_on_to_the_leadership_view(personas,
                                                                                                   client_for):
    """It was a dead end with an undefined term: now the term is explained and the next page is linked, for a
    viewer who may open it."""
    from brightline import access

    assert access.can_view_leadership_view(personas.lee)
    page = client_for(personas.lee).get("/organisation/").content.decode()
    assert "A workload class is the kind of work a team mostly does" in page
    assert '<a href="/governance/leadership/">the leadership view</a>' in page
    assert client_for(personas.lee).get("/governance/leadership/").status_code == 200


def test_the_ladder_is_visible_to_every_employee(personas, client_for):
    page = client_for(personas.erin).get("/ladder/").content.decode()
    for code in ("IC1", "IC6", "M1", "M4"):
        assert f'id="{code}"' in page
    assert "Technical excellence" in page and "Start from customer outcomes" in page


def test_the_api_refuses_anonymous_requests_with_401(client):
    assert client.get("/api/me").status_code == 401


def test_a_token_authenticates_and_is_stored_only_as_a_hash(client, personas):
    from brightline.people.models import ApiToken

    key = create_api_token(personas.mo, name="laptop", actor=personas.mo)
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["email"] == "mo@example.org"
    assert not ApiToken.objects.filter(key_hash=key).exists()
    assert client.get("/api/me", HTTP_AUTHORIZATION="Bearer bl_wrong").status_code == 401


def test_a_revoked_token_no_longer_works(client, personas):
    from brightline.people.models import ApiToken
    from brightline.people.tokens import revoke_api_token

    key = create_api_token(personas.mo, name="laptop", actor=personas.mo)
    revoke_api_token(ApiToken.objects.get(), actor=personas.mo)
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_the_token_command_prints_a_working_token(client, personas):
    out = io.StringIO()
    call_command("token", "create", "--email", "PIA@example.org", "--name", "HRIS sync", stdout=out,
                 stderr=io.StringIO())
    key = out.getvalue().strip()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").json()["name"] == "Pia Partner"


def test_the_openapi_schema_lists_the_api(personas, client_for):
    schema = client_for(personas.erin).get("/api/openapi.json").json()
    assert schema["info"]["title"] == "Brightline API"
    for path in ("/api/me", "/api/people/{person_id}", "/api/ladders", "/api/policy", "/api/audit/verify"):
        assert path in schema["paths"], path


def test_an_unsafe_api_call_from_a_session_needs_the_csrf_token(personas, client_for):
    browser = client_for(personas.pia, enforce_csrf_checks=True)
    response = browser.patch("/api/policy", {"reason": "test", "min_cohort_size": 6},
                              content_type="application/json")
    assert response.status_code == 403


def test_an_unsafe_api_call_with_a_token_needs_no_csrf_token(client, personas):
    key = create_api_token(personas.pia, name="script", actor=personas.pia, scope="write")
    response = client.patch("/api/policy", {"reason": "larger cohorts", "min_cohort_size": 6},
                            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["min_cohort_size"] == 6


def test_the_audit_verification_api_is_for_people_partners(personas, client_for):
    assert client_for(personas.erin).get("/api/audit/verify").status_code == 403
    result = client_for(personas.pia).get("/api/audit/verify").json()
    assert result["ok"] is True and result["entries"] >= 1


def test_no_page_loads_anything_from_another_host(personas, client_for):
    import re

    for path in ("/", "/ladder/", "/data-use/", "/accounts/login/"):
        page = client_for(personas.pia).get(path).content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', page), path


def test_a_small_team_cannot_be_recovered_by_subtraction_on_the_organisation_view(personas, client_for):
    import re

    from brightline.people.models import Person, Team
    from brightline.people.queries import team_headcounts

    # Platform grows to 6 people; Payments keeps 3. Suppressing only Payments would let anyone
    # who knows the headcount subtract Platform's number, so a second team must be withheld too.
    platform = Team.objects.get(slug="platform")
    for number in range(4):
        Person.objects.create(organisation=platform.organisation, employee_id=f"X{number}", name=f"X {number}",
                              email=f"x{number}@example.org", team=platform)
    counts = {row.label: row.count for row in team_headcounts(min_cohort=5)}
    assert counts["Payments"] is None
    assert counts["Platform"] is None
    # The page reads the same counts from their rollup, and says how fresh they are.
    page = client_for(personas.lee).get("/organisation/").content.decode()
    rows = dict(re.findall(r'<tr><th scope="row">(.*?)</th><td[^>]*>(.*?)</td></tr>', page))
    assert "fewer than 5" in rows["Payments"] and "fewer than 5" in rows["Platform"] and "Figures as of" in page


def test_the_data_use_page_names_each_ai_feature_in_words(personas, client_for):
    page = client_for(personas.erin).get("/data-use/").content.decode()
    assert "Drafting impact statements with a language model: off" in page and "Feedback themes: on" in page
    assert "llm_drafting" not in page and "trend_breaks" not in page
