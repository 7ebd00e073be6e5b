"""The reporting line stored as data: kept current on every manager change, one query at any depth, and the
set helpers give exactly the answers of the per-person rules."""

from __future__ import annotations

import pytest

from brightline import access
from brightline.people.models import Person

pytestmark = pytest.mark.django_db


def _chain(organisation, ladder, depth: int) -> list[Person]:
    people: list[Person] = []
    for number in range(depth):
        people.append(Person.objects.create(organisation=organisation, employee_id=f"C-{number}",
                                            name=f"Chain {number}", email=f"chain{number}@example.org",
                                            manager=people[-1] if people else None, level=ladder["IC2"]))
    return people


def test_the_stored_line_lists_everyone_above_the_person(personas):
    erin = Person.objects.get(pk=personas.erin.pk)
    assert erin.chain_path == f"/{personas.lee.pk}/{personas.mo.pk}/{personas.erin.pk}/"


def test_moving_a_manager_moves_everyone_below_them(personas):
    personas.mo.manager = personas.pia
    personas.mo.save()
    expected = f"/{personas.pia.pk}/{personas.mo.pk}/{personas.erin.pk}/"
    assert Person.objects.get(pk=personas.erin.pk).chain_path == expected
    assert access.manages(personas.pia, personas.erin)
    assert not access.manages(personas.lee, personas.erin)


def test_a_partial_save_of_the_manager_keeps_the_line(personas):
    personas.erin.manager = personas.pia
    personas.erin.save(update_fields=["manager"])
    assert access.manages(personas.pia, personas.erin) and not access.manages(personas.mo, personas.erin)


def test_chain_questions_cost_one_query_at_any_depth(organisation, ladder, django_assert_num_queries):
    people = _chain(organisation, ladder, 12)
    with django_assert_num_queries(1):
        assert access.manages(people[0], people[-1])
    with django_assert_num_queries(1):
        assert not access.manages(people[-1], people[0])
    with django_assert_num_queries(2):
        assert set(access.people_managed_by(people[3])) == set(people[4:])


@pytest.mark.parametrize("viewer", ["erin", "mo", "pat", "lee", "pia", "oscar"])
def test_the_set_helpers_agree_with_the_per_person_rules(personas, viewer):
    person = getattr(personas, viewer)
    everyone = list(Person.objects.all())
    assert set(access.people_managed_by(person)) == {p for p in everyone if access.manages(person, p)}
    assert set(access.people_visible_to(person)) == {p for p in everyone if access.can_view_person_record(person, p)}
    assert set(access.support_plan_subjects_for(person)) == {
        p for p in everyone if access.can_open_support_plan(person, p)}
    teams = {member.team for member in everyone if member.team}
    assert set(access.teams_with_theme_aggregates_visible_to(person)) == {
        team for team in teams if access.can_view_team_theme_aggregates(person, team)}
