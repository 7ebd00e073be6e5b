"""One name search (``brightline.people.search``): the colleague chooser, the people directory, the manager
suggestions and the audit trail's "about" filter find the same people for the same words."""

from __future__ import annotations

import html

import pytest

from brightline.people.models import Person, Team
from brightline.people.search import MAX_WORDS, matching_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def namesakes(personas):
    organisation = personas.pia.organisation
    noor = Person.objects.create(organisation=organisation, employee_id="E-noor", name="Noor van Jansen",
                                 email="noor.jansen@example.org", team=Team.objects.get(slug="payments"))
    noah = Person.objects.create(organisation=organisation, employee_id="E-noah", name="Noah Jans",
                                 email="nj@example.org", team=Team.objects.get(slug="platform"))
    return noor, noah


def found_everywhere(personas, client_for, text: str) -> dict[str, set[str]]:
    """Who each of the four searches finds for ``text``, by name."""
    names = {"Noor van Jansen", "Noah Jans"}

    def listed(page: str) -> set[str]:
        return {name for name in names if name in html.unescape(page)}

    chooser = client_for(personas.erin).get("/growth/people/", {"mode": "ask", "about": personas.erin.pk,
                                                                 "q": text}).content.decode()
    pia = client_for(personas.pia)
    directory = pia.get("/people/", {"q": text}).content.decode()
    suggestions = pia.get("/people/new/managers/", {"manager": text}).content.decode()
    trail = pia.get("/audit/", {"about": text})
    about = trail.context["about"]
    chosen = {about.name} if about is not None else {person.name for person in trail.context["choices"]}
    return {"colleague chooser": listed(chooser), "directory": listed(directory),
            "manager suggestions": listed(suggestions), "audit about": chosen & names}


@pytest.mark.parametrize(("text", "expected"), [
    ("jansen noor", {"Noor van Jansen"}),  # any order
    ("NOOR.JANSEN@", {"Noor van Jansen"}),  # the e-mail, any case
    ("van   noor", {"Noor van Jansen"}),
    ("jans", {"Noor van Jansen", "Noah Jans"}),  # part of a word
    ("nj@example", {"Noah Jans"}),
    ("noor zzz", set()),  # every word must match
])
def test_the_same_words_find_the_same_people_in_all_four_places(personas, namesakes, client_for, text, expected):
    found = found_everywhere(personas, client_for, text)
    assert found == dict.fromkeys(found, expected)


def test_only_the_colleague_chooser_also_reads_the_team_name(personas, namesakes, client_for):
    found = found_everywhere(personas, client_for, "payments noor")
    assert found == {"colleague chooser": {"Noor van Jansen"}, "directory": set(), "manager suggestions": set(),
                     "audit about": set()}


def test_the_search_narrows_the_callers_query_and_reads_at_most_five_words(personas, namesakes):
    noor, noah = namesakes
    everyone = Person.objects.all()
    assert matching_people(everyone, "   ") is everyone
    assert list(matching_people(everyone.filter(team__slug="platform"), "jans")) == [noah]
    assert list(matching_people(everyone, "platform jans", team=True)) == [noah]
    # Words past the fifth are not read: a sixth that matches nobody narrows nothing.
    assert list(matching_people(everyone, " ".join(["noor"] * MAX_WORDS + ["zzz"]))) == [noor]
