"""Manager quality by people developed (G5): promotions and successors among a manager's reports over time,
next to their reports' clarity answers and calibration consistency; withheld below the minimum cohort."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.fairness_helpers import Member, make_people

pytestmark = pytest.mark.django_db


def _decided_case(person, manager, ladder, *, to_level: str, decided_on: dt.date, decision: str = "promoted"):
    from brightline.promotions.models import PromotionCase

    return PromotionCase.objects.create(
        person=person, from_level=person.level, to_level=ladder[to_level], manager=manager, nominated_by=manager,
        rationale="Led the payments migration.", min_citations=3, status="decided", decision=decision,
        decided_at=timezone.make_aware(dt.datetime.combine(decided_on, dt.time(12))))


@pytest.fixture
def team_of_six(personas, organisation, ladder):
    """Mo's reports: Erin, Pat and four more; their moves over three years."""
    from brightline.governance.models import HrisEvent
    from brightline.people.models import Person

    x, y, z, _w = make_people(organisation, ladder, personas.mo, [Member(f"Report {i}", "payments") for i in range(4)])
    _decided_case(x, personas.mo, ladder, to_level="IC3", decided_on=dt.date(2025, 5, 1))
    _decided_case(z, personas.mo, ladder, to_level="IC3", decided_on=dt.date(2025, 6, 1), decision="not_yet")
    # The HR system records the same promotion two days later: one promotion, not two.
    HrisEvent.objects.create(employee_id=x.employee_id, person=x, event="promoted", date=dt.date(2025, 5, 3),
                             from_level="IC2", to_level="IC3")
    HrisEvent.objects.create(employee_id="E-pat", person=personas.pat, event="promoted", date=dt.date(2024, 3, 1),
                             from_level="IC2", to_level="IC3")
    HrisEvent.objects.create(employee_id=y.employee_id, person=y, event="promoted", date=dt.date(2026, 2, 1),
                             from_level="IC3", to_level="M1")  # into management: a successor
    Person.objects.create(organisation=organisation, employee_id="G-new", name="New Hire", email="new@example.org",
                          manager=z, team=z.team, level=ladder["IC1"])  # Z now manages someone: a successor too
    return x, y, z


def test_promotions_and_successors_are_counted_per_year_once_each(personas, team_of_six):
    from brightline.governance.manager_quality import DevelopedYear, people_developed

    developed = people_developed(personas.mo, min_cohort=5)
    assert not developed.withheld and developed.reports == 6
    assert (developed.promotions, developed.successors, developed.successors_without_date) == (3, 2, 1)
    assert developed.years == (DevelopedYear(2024, 1, 0), DevelopedYear(2025, 1, 0), DevelopedYear(2026, 1, 1))


def test_people_developed_is_withheld_below_the_minimum_cohort(personas, team_of_six):
    from brightline.governance.manager_quality import people_developed

    assert people_developed(personas.mo, min_cohort=7).withheld
    assert people_developed(personas.mo, min_cohort=7).years == ()
    olga = personas.oscar.manager  # one report
    assert people_developed(olga, min_cohort=5).withheld


def test_the_manager_quality_page_shows_people_developed_next_to_clarity_and_calibration(personas, team_of_six,
                                                                                         client_for):
    response = client_for(personas.lee).get(f"/governance/managers/{personas.mo.pk}/")
    assert response.status_code == 200
    section = response.content.decode().split('id="people-developed"')[1].split("</section>")[0]
    assert "6 people have reported to Mo Manager" in section
    assert "<td>2026</td><td>1</td><td>1</td>" in section.replace("\n", "")
    assert "Clarity of expectations" in section and "Calibration consistency" in section
    assert "not a ranking" in section


def test_the_page_withholds_people_developed_of_a_small_team(personas, client_for):
    olga = personas.oscar.manager
    response = client_for(personas.pia).get(f"/governance/managers/{olga.pk}/")
    section = response.content.decode().split('id="people-developed"')[1].split("</section>")[0]
    assert "Withheld" in section and "<table" not in section
