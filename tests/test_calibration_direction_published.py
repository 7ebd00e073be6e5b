"""Which way calibration moved outcomes, as leaders read it (G6): counts of people raised, lowered and kept, under
the small-cell rule, the spread only for enough people, and no average; the people partner keeps each change."""

from __future__ import annotations

import pytest

from tests.fairness_helpers import Member, decided_cycle, make_people

pytestmark = pytest.mark.django_db

PAGES = ("/governance/system-health/", "/governance/leadership/")


def _cycle(organisation, ladder, manager, *, raised: int, lowered: int, kept: int):
    members = ([Member(f"U{i}", "alpha", outcome="exceeds", proposed="meets") for i in range(raised)]
               + [Member(f"D{i}", "alpha", outcome="meets", proposed="exceeds") for i in range(lowered)]
               + [Member(f"K{i}", "alpha") for i in range(kept)])
    return decided_cycle(make_people(organisation, ladder, manager, members), members)


def test_leaders_read_people_raised_lowered_and_kept_with_the_spread(personas, client_for, organisation, ladder):
    _cycle(organisation, ladder, personas.mo, raised=3, lowered=4, kept=5)
    for url in PAGES:
        page = client_for(personas.lee).get(url).content.decode()
        assert "People with an outcome raised: 3; with one lowered: 4; with every outcome kept as proposed: 5." \
            in page, url
        assert "A typical outcome moved about" in page and "rating steps either way" in page, url
        assert "On average" not in page and "No average is shown" in page, url
    answer = client_for(personas.lee).get("/api/governance/leadership").json()["calibration"]
    assert (answer["people_raised"], answer["people_lowered"], answer["people_unchanged"]) == (3, 4, 5)
    assert "mean_shift" not in answer and answer["shift_variance"] is not None


def test_one_persons_change_shows_no_direction_nor_spread(personas, client_for, organisation, ladder):
    """One person lowered among six: "moved -0.17 steps on average" would have said which way their outcome went."""
    _cycle(organisation, ladder, personas.mo, raised=0, lowered=1, kept=5)
    for url in PAGES:
        page = client_for(personas.lee).get(url).content.decode()
        assert "Which way they moved, and how far, is withheld: the changes concern fewer than 3 people" in page, url
        assert "had one lowered" not in page and "with one lowered" not in page, url
        assert "rating steps either way" not in page and "-0.17" not in page, url
    answer = client_for(personas.lee).get("/api/governance/leadership").json()["calibration"]
    assert answer["direction_withheld"] is True
    assert answer["lowered"] is None and answer["people_lowered"] is None and answer["shift_variance"] is None


def test_a_small_direction_beside_a_large_one_is_not_split(personas, client_for, organisation, ladder):
    _cycle(organisation, ladder, personas.mo, raised=1, lowered=6, kept=4)
    for url in PAGES:
        page = client_for(personas.lee).get(url).content.decode()
        assert "Most of the people whose outcomes changed had one lowered; fewer than 3 had one raised (" in page, url
        assert "with one lowered: 6" not in page and "exact counts withheld" in page, url
    answer = client_for(personas.lee).get("/api/governance/leadership").json()["calibration"]
    assert answer["people_raised"] is None and answer["people_lowered"] is None


def test_changes_both_ways_that_average_to_nothing_are_both_counted(personas, client_for, organisation, ladder):
    _cycle(organisation, ladder, personas.mo, raised=3, lowered=3, kept=2)
    page = client_for(personas.lee).get("/governance/system-health/").content.decode()
    assert "People with an outcome raised: 3; with one lowered: 3; with every outcome kept as proposed: fewer " \
        "than 3." in page
    assert "0.00 rating steps" not in page  # the spread is not zero because the mean is


def test_the_people_partner_keeps_each_change_on_the_outcome_audit(personas, client_for, organisation, ladder):
    cycle = _cycle(organisation, ladder, personas.mo, raised=0, lowered=1, kept=5)
    from brightline.reviews.models import CalibrationChange, DimensionAssessment

    assessment = DimensionAssessment.objects.filter(review__cycle=cycle, proposed_outcome="exceeds").first()
    CalibrationChange.objects.create(assessment=assessment, actor=personas.pia, from_outcome="exceeds",
                                     to_outcome="meets", reason="r", citations=[], seen_version=0)
    page = client_for(personas.pia).get(f"/fairness/outcomes/?cycle={cycle.pk}").content.decode()
    assert "Which way calibration moved outcomes" in page and "Lowered" in page
    assert client_for(personas.lee).get(f"/fairness/outcomes/?cycle={cycle.pk}").status_code == 403
