"""Improvement after feedback (G5): per manager on the manager-quality page, counts only for leaders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from brightline.people.models import Dimension, Person

pytestmark = pytest.mark.django_db

CITED = "Shipped the retry fix on the agreed date."
VAGUE = "A great team player with a good attitude."  # vague and personality language, no evidence cited


def reports_of(manager: Person, count: int, prefix: str) -> list[Person]:
    return [Person.objects.create(organisation=manager.organisation, employee_id=f"{prefix}-{index}",
                                  name=f"{prefix} Report {index}", email=f"{prefix.lower()}{index}@example.org",
                                  manager=manager, team=manager.team, level=manager.level, timezone="Europe/Berlin")
            for index in range(count)]


def calibrated_cycle(name: str, opened: dt.date, reviews: dict[Person, tuple[int, str]], *, phase: str = "closed"):
    """A cycle past calibration. ``reviews`` maps a report to (dimensions calibration changed, rationale)."""
    from brightline.reviews.models import DimensionAssessment, Review, ReviewCycle

    cycle = ReviewCycle.objects.create(name=name, phase=phase, schedule={"manager_assessment": opened.isoformat()})
    ReviewCycle.objects.filter(pk=cycle.pk).update(opened_at=timezone.make_aware(dt.datetime.combine(opened,
                                                                                                     dt.time(9))))
    for person, (changed, rationale) in reviews.items():
        review = Review.objects.create(cycle=cycle, person=person, manager=person.manager, team=person.team,
                                       level=person.level, assessment_submitted_at=timezone.now())
        for index, dimension in enumerate(Dimension.values):
            DimensionAssessment.objects.create(review=review, dimension=dimension, proposed_outcome="exceeds",
                                               outcome="meets" if index < changed else "exceeds",
                                               rationale=rationale, citations=["evidence_item:1"])
    return cycle


def two_cycles(manager: Person, people: list[Person], *, first_changed: int, second_changed: int,
               first_text: str = CITED, second_text: str = CITED) -> None:
    calibrated_cycle("2025 H2", dt.date(2025, 9, 1), {person: (first_changed, first_text) for person in people})
    calibrated_cycle("2026 H1", dt.date(2026, 3, 2), {person: (second_changed, second_text) for person in people})


def section(response) -> str:
    page = response.content.decode()
    start = page.index('id="improvement-after-feedback"')
    return page[start:page.index("</section>", start)]


def test_the_manager_sees_each_cycle_against_the_previous_one_with_feedback(personas, client_for):
    people = reports_of(personas.mo, 5, "MO")
    # First cycle: 2 of 4 dimensions changed for everyone and every rationale flagged; then 1 of 4 and clean.
    calibrated_cycle("2025 H2", dt.date(2025, 9, 1), {person: (2, VAGUE) for person in people})
    calibrated_cycle("2026 H1", dt.date(2026, 3, 2), {person: (1, CITED) for person in people})
    response = client_for(personas.mo).get(f"/governance/managers/{personas.mo.pk}/")
    improvement = response.context["quality"].improvement
    first, second = improvement.rows
    assert (first.cycle_name, first.comparison.status) == ("2025 H2", "no_earlier_feedback")
    assert (second.cycle_name, second.baseline_name, second.comparison.status) == ("2026 H1", "2025 H2", "compared")
    assert (second.comparison.current.changed, second.comparison.current.proposals) == (5, 20)
    assert first.comparison.current.flags > 0 and second.comparison.current.flags == 0
    assert second.change_points == -25 and second.comparison.direction == "improved"
    text = section(response)
    assert "Less feedback needed than after 2025 H2." in text
    assert "-25 percentage points" in text
    assert "Needs two cycles" not in text


def test_fewer_assessments_than_the_minimum_cohort_say_not_enough_data(personas, client_for):
    people = reports_of(personas.mo, 2, "MO")  # with Erin and Pat unreviewed: 2 written assessments a cycle
    two_cycles(personas.mo, people, first_changed=2, second_changed=0)
    response = client_for(personas.mo).get(f"/governance/managers/{personas.mo.pk}/")
    _, second = response.context["quality"].improvement.rows
    assert second.comparison.status == "not_enough_data" and not second.enough_reviews
    text = section(response)
    assert "Not enough data: a comparison needs at least 5 written assessments in both cycles." in text
    assert "percentage points" not in text and "2 of 8" not in text


def test_one_calibrated_cycle_says_it_needs_two(personas, client_for):
    people = reports_of(personas.mo, 5, "MO")
    calibrated_cycle("2026 H1", dt.date(2026, 3, 2), {person: (1, CITED) for person in people})
    calibrated_cycle("2026 H2", dt.date(2026, 9, 1), {person: (0, CITED) for person in people},
                     phase="calibration")  # still in calibration: not feedback yet
    text = section(client_for(personas.mo).get(f"/governance/managers/{personas.mo.pk}/"))
    assert "Needs two cycles" in text and "2026 H2" not in text


def test_an_appeal_is_not_counted_as_calibration_feedback(personas):
    from brightline.governance.manager_quality import feedback_records
    from brightline.reviews.models import CalibrationChange, DimensionAssessment

    people = reports_of(personas.mo, 5, "MO")
    calibrated_cycle("2026 H1", dt.date(2026, 3, 2), {person: (0, CITED) for person in people})
    appealed = DimensionAssessment.objects.filter(review__person=people[0]).first()
    CalibrationChange.objects.create(assessment=appealed, actor=personas.pia, from_outcome="exceeds",
                                     to_outcome="meets", reason="Appeal decided", source="appeal", seen_version=0)
    DimensionAssessment.objects.filter(pk=appealed.pk).update(outcome="meets")
    (record,) = feedback_records(manager=personas.mo)
    assert (record.reviews, record.proposals, record.changed) == (5, 20, 0)


def test_uncited_claims_and_vague_language_are_counted_as_flags(personas):
    from brightline.governance.manager_quality import feedback_records
    from brightline.reviews.models import DimensionAssessment

    people = reports_of(personas.mo, 5, "MO")
    calibrated_cycle("2026 H1", dt.date(2026, 3, 2), {person: (0, CITED) for person in people})
    (clean,) = feedback_records(manager=personas.mo)
    assert clean.flags == 0  # the rationale's attached citation covers its claim
    DimensionAssessment.objects.filter(review__person=people[0]).update(citations=[])
    (uncited,) = feedback_records(manager=personas.mo)
    assert uncited.flags == 4  # one uncited claim in each of the four rationales
    DimensionAssessment.objects.filter(review__person=people[1]).update(rationale=VAGUE)
    assert feedback_records(manager=personas.mo)[0].flags > uncited.flags


@pytest.mark.parametrize("persona,status", [("mo", 200), ("lee", 200), ("pia", 200), ("erin", 403), ("pat", 403),
                                            ("oscar", 403)])
def test_the_per_manager_rows_follow_the_manager_quality_page_access(personas, client_for, persona, status):
    two_cycles(personas.mo, reports_of(personas.mo, 5, "MO"), first_changed=2, second_changed=1)
    response = client_for(getattr(personas, persona)).get(f"/governance/managers/{personas.mo.pk}/")
    assert response.status_code == status
    page = response.content.decode()
    assert ("Improvement after feedback" in page) is (status == 200)
    assert "2026 H1" not in page if status == 403 else "2026 H1" in page


def managers_with_history(personas, count: int) -> list[Person]:
    managers = []
    for index in range(count):
        manager = Person.objects.create(organisation=personas.lee.organisation, employee_id=f"M-{index}",
                                        name=f"Manager Nr{index}", email=f"m{index}@example.org", manager=personas.lee,
                                        team=personas.mo.team, level=personas.mo.level, timezone="Europe/Berlin")
        managers.append(manager)
    people = {manager: reports_of(manager, 5, f"R{index}") for index, manager in enumerate(managers)}
    second = [1, 1, 2, 3, 1, 1]  # from 2 of 4 changed: improved, improved, stayed, worsened, improved, improved
    calibrated_cycle("2025 H2", dt.date(2025, 9, 1),
                     {person: (2, CITED) for manager in managers for person in people[manager]})
    calibrated_cycle("2026 H1", dt.date(2026, 3, 2),
                     {person: (second[index], CITED) for index, manager in enumerate(managers)
                      for person in people[manager]})
    return managers


def test_leaders_see_how_many_managers_improved_never_which(personas, client_for):
    managers_with_history(personas, 5)
    response = client_for(personas.lee).get("/governance/leadership/")
    (row,) = response.context["view"].improvement
    summary = row.summary
    assert (row.cycle_name, summary.compared, summary.improved, summary.stayed, summary.worsened, summary.mixed,
            summary.withheld) == ("2026 H1", 5, 3, 1, 1, 0, False)
    text = section(response)
    assert "<td>5</td><td>3</td><td>1</td><td>1</td><td>0</td>" in text
    assert "Manager Nr" not in response.content.decode()
    api = client_for(personas.lee).get("/api/governance/leadership").json()
    assert api["improvement_after_feedback"] == [{"cycle_name": "2026 H1", **summary.to_json()}]
    assert "Manager Nr" not in str(api)


def test_leaders_see_nothing_when_fewer_managers_than_the_minimum_were_compared(personas, client_for):
    managers_with_history(personas, 4)
    response = client_for(personas.pia).get("/governance/leadership/")
    (row,) = response.context["view"].improvement
    assert row.summary.withheld and row.summary.compared is None
    assert "withheld (fewer than 5 managers compared)" in section(response)
    api = client_for(personas.pia).get("/api/governance/leadership").json()
    assert api["improvement_after_feedback"][0]["withheld"] is True
    assert api["improvement_after_feedback"][0]["improved"] is None


@pytest.mark.parametrize("persona", ["mo", "erin", "oscar"])
def test_the_aggregate_is_for_leaders_and_people_partners_only(personas, client_for, persona):
    managers_with_history(personas, 5)
    assert client_for(getattr(personas, persona)).get("/governance/leadership/").status_code == 403


def test_the_policy_minimum_cohort_sets_the_minimum_assessments(personas, client_for):
    from brightline.policy.services import update_policy

    two_cycles(personas.mo, reports_of(personas.mo, 6, "MO"), first_changed=2, second_changed=1)
    update_policy(actor=personas.pia, reason="larger cohorts for this organisation", min_cohort_size=7)
    _, second = client_for(personas.mo).get(f"/governance/managers/{personas.mo.pk}/").context[
        "quality"].improvement.rows
    assert second.comparison.status == "not_enough_data" and second.comparison.baseline is not None
