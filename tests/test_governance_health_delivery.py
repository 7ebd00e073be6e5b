"""System health next to delivery outcomes (G6): per team and quarter, movements, clarity and working-hours
health beside the team's DORA figures over the same days, with the caution that it is association, not cause."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fairness_helpers import Member, make_people

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 7, 15)  # the four quarters shown: 2025 Q3 to 2026 Q2


@pytest.fixture
def payments_with_history(personas, organisation, ladder):
    from brightline.evidence.models import Deployment, Service
    from brightline.governance.models import HrisEvent, SurveyResponse
    from brightline.governance.surveys import CLARITY
    from brightline.people.models import Person

    make_people(organisation, ladder, personas.mo, [Member(f"Payer {i}", "payments") for i in range(3)])
    olga = personas.oscar.manager
    for i in range(4):
        Person.objects.create(organisation=organisation, employee_id=f"P-{i}", name=f"Plat {i}",
                              email=f"plat{i}@example.org", manager=olga, team=olga.team, level=ladder["IC2"])
    service = Service.objects.create(name="payments-api", team=personas.erin.team, criticality="critical",
                                     workload_class="product")
    for n in range(6):  # six releases in 2026 Q2
        deployed_at = dt.datetime(2026, 4, 6, 12, tzinfo=dt.UTC) + dt.timedelta(days=7 * n)
        Deployment.objects.create(service=service, environment="production", version=f"v{n}",
                                  deployed_at=deployed_at, source="events", external_id=f"payments-{n}")
    HrisEvent.objects.create(employee_id="X-1", event="left", date=dt.date(2026, 2, 10), from_team="payments")
    HrisEvent.objects.create(employee_id="X-2", event="transferred", date=dt.date(2026, 5, 4), from_team="Payments",
                             to_team="Data science")
    for answer in (4, 4, 5, 3, 4):
        SurveyResponse.objects.create(survey_date=dt.date(2026, 6, 12), question=CLARITY, manager=personas.mo,
                                      answer=answer)
    for answer in (2, 3, 3, 2, 4):
        SurveyResponse.objects.create(survey_date=dt.date(2026, 6, 12), question=CLARITY,
                                      manager=personas.oscar.manager, answer=answer)
    return service


def test_each_team_has_its_health_next_to_its_delivery_in_the_same_quarters(personas, payments_with_history):
    from brightline.governance.system_health import health_next_to_delivery

    report = health_next_to_delivery(min_cohort=5, today=TODAY)
    assert report.quarters == ("2025 Q3", "2025 Q4", "2026 Q1", "2026 Q2")
    assert "association, not a cause" in report.caution
    payments = next(team for team in report.teams if team.slug == "payments")
    assert payments.headcount == 6
    q1, q2 = payments.quarters[2], payments.quarters[3]
    assert (q1.leavers, q1.transfers, q1.deployments) == (1, 0, 0)
    assert (q2.leavers, q2.transfers, q2.deployments) == (0, 1, 6)
    assert q2.deployments_per_week == pytest.approx(6 / 13, abs=0.01)
    assert (q2.clarity.n, q2.clarity.median) == (5, 4)
    platform = next(team for team in report.teams if team.slug == "platform")
    assert platform.quarters[3].deployments is None  # owns no service: no delivery figures, not zeros
    assert platform.quarters[3].clarity.median == 3


def test_a_team_below_the_minimum_cohort_is_withheld_with_no_figures(personas, payments_with_history):
    from brightline.governance.system_health import health_next_to_delivery

    report = health_next_to_delivery(min_cohort=7, today=TODAY)
    assert all(team.headcount is None and team.quarters == () for team in report.teams)


def test_the_system_health_page_and_api_show_it_to_leaders_only(personas, payments_with_history, client_for):
    page = client_for(personas.lee).get("/governance/system-health/")
    html = page.content.decode()
    assert 'id="health-and-delivery"' in html and "association, not a cause" in html
    assert page.context["health_and_delivery"].teams
    api = client_for(personas.pia).get("/api/governance/system-health").json()
    assert {team["team"] for team in api["health_and_delivery"]["teams"]} >= {"payments", "platform"}
    assert client_for(personas.erin).get("/api/governance/system-health").status_code == 403
    assert client_for(personas.mo).get("/governance/system-health/").status_code == 403


def test_the_system_health_page_lists_teams_a_page_at_a_time(personas, payments_with_history, client_for,
                                                              organisation):
    from brightline.governance.views import HEALTH_TEAMS_PER_PAGE
    from brightline.people.models import Person, Team

    for number in range(HEALTH_TEAMS_PER_PAGE):  # with payments and platform, one page and two teams more
        team = Team.objects.create(organisation=organisation, slug=f"squad-{number:02d}", name=f"Squad {number:02d}")
        Person.objects.create(organisation=organisation, employee_id=f"S-{number}", name=f"Squad member {number}",
                              email=f"squad{number}@example.org", team=team)
    first = client_for(personas.lee).get("/governance/system-health/")
    report = first.context["health_and_delivery"]
    assert len(report.teams) == HEALTH_TEAMS_PER_PAGE + 2
    assert [team.name for team in first.context["health_teams"]] == [team.name for team in report.teams][
        :HEALTH_TEAMS_PER_PAGE]
    html = first.content.decode()
    assert f"Teams 1–{HEALTH_TEAMS_PER_PAGE} of {HEALTH_TEAMS_PER_PAGE + 2}" in html and "?teams=2" in html
    second = client_for(personas.lee).get("/governance/system-health/?teams=2").content.decode()
    last = report.teams[-1].name
    assert f"<h3>{last}</h3>" in second and f"<h3>{last}</h3>" not in html
