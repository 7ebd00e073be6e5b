"""The leadership view: aggregates only, every cell backed by the minimum cohort, no individual ever."""

from __future__ import annotations

import re

import pytest

from tests.fairness_helpers import Member, decided_cycle, make_people

pytestmark = pytest.mark.django_db


def organisation_with_a_small_team(organisation, ladder, manager, small: int, *, seniors: int = 0):
    members = ([Member(f"Senior Sam {i}", "gamma", level="IC3", ready=i < 1) for i in range(seniors)]
               + [Member(f"Big Ann {i}", "alpha", ready=i < 4, outcome="exceeds" if i < 6 else "meets")
                for i in range(12)]
               + [Member(f"Big Bob {i}", "beta", ready=i < 3, proposed="exceeds" if i < 2 else "")
                  for i in range(12)]
               + [Member(f"Secret Person {i}", "small", level="IC4", ready=True, outcome="needs_support",
                         proposed="meets") for i in range(small)])
    people = make_people(organisation, ladder, manager, members)
    return people, decided_cycle(people, members)


def visible_text(html: str, viewer_name: str) -> str:
    text = re.sub(r"<script.*?</script>", " ", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", text).replace(viewer_name, "")


@pytest.mark.parametrize("small", [1, 2, 3, 4])
def test_no_individual_leaks_at_any_cohort_size_below_the_minimum(personas, client_for, organisation, ladder, small):
    people, _ = organisation_with_a_small_team(organisation, ladder, personas.mo, small)
    browser = client_for(personas.lee)
    response = browser.get("/governance/leadership/")
    assert response.status_code == 200
    text = visible_text(response.content.decode(), personas.lee.name)
    for person in [*people, personas.erin, personas.mo, personas.pat, personas.oscar, personas.pia]:
        assert person.name not in text
        assert person.employee_id not in text
    view = response.context["view"]
    small_row = next(row for row in view.teams if row.label == "Small")
    assert small_row.headcount is None
    # The level only the small team holds is withheld from the promotion audit, never shown as a rate.
    promotion = view.promotion_by_level.event
    assert "IC4" not in {group.group for group in promotion.groups}
    assert "IC4" in promotion.suppressed
    # Every published number rests on at least the minimum cohort.
    assert all(row.headcount >= view.min_cohort for row in view.teams if row.headcount is not None)
    assert all(group.n >= view.min_cohort for group in promotion.groups)
    for sentence in view.brief:
        assert "Secret" not in sentence.text
    api = browser.get("/api/governance/leadership").json()
    assert next(team for team in api["teams"] if team["team"] == "Small") == {
        "team": "Small", "headcount": None, "withheld": True}
    assert "Secret" not in str(api)


def test_a_withheld_team_cannot_be_recovered_by_subtraction(personas, client_for, organisation, ladder):
    organisation_with_a_small_team(organisation, ladder, personas.mo, 1)
    view = client_for(personas.lee).get("/governance/leadership/").context["view"]
    withheld = [row for row in view.teams if row.headcount is None]
    # The personas' teams (3 and 2 people) and the one-person team are all below 5: withheld together,
    # so total minus the published teams gives only their sum, never one team's count.
    assert len(withheld) >= 2
    published = sum(row.headcount for row in view.teams if row.headcount is not None)
    assert view.total_headcount - published >= view.min_cohort


def test_a_single_small_team_drags_a_complementary_team_with_it(personas, client_for, organisation, ladder):
    from brightline.people.models import Person

    # Move the personas into the big teams so only one team is below the minimum.
    Person.objects.filter(team__slug__in=["payments", "platform"]).update(team=None)
    organisation_with_a_small_team(organisation, ladder, personas.mo, 2)
    view = client_for(personas.lee).get("/governance/leadership/").context["view"]
    assert {row.label for row in view.teams if row.headcount is None} == {"Small", "Alpha"} or \
        {row.label for row in view.teams if row.headcount is None} == {"Small", "Beta"}


def test_the_executive_brief_is_three_to_five_sentences_each_with_its_evidence(personas, client_for, organisation,
                                                                              ladder):
    organisation_with_a_small_team(organisation, ladder, personas.mo, 3, seniors=8)
    response = client_for(personas.lee).get("/governance/leadership/")
    brief = response.context["view"].brief
    assert 3 <= len(brief) <= 5
    for sentence in brief:
        assert sentence.evidence and all(item.n > 0 for item in sentence.evidence)
    page = response.content.decode()
    assert "Executive brief" in page and "n = " in page
    assert any("ready for promotion" in sentence.text for sentence in brief)
    assert any("Calibration changed" in sentence.text for sentence in brief)


def test_a_drill_down_is_logged_in_the_trail_and_on_each_members_record(personas, client_for):
    from brightline.audit.models import AccessLog, AuditEntry

    response = client_for(personas.pia).post("/governance/leadership/drill-down/",
                                             {"team": "payments", "reason": "appeal 12: second review"})
    assert response.status_code == 200 and response.context["detail"].headcount == 3
    entry = AuditEntry.objects.get(action="fairness.leadership.drilled_down")
    assert entry.actor_id == personas.pia.pk and entry.data["reason"] == "appeal 12: second review"
    assert set(AccessLog.objects.filter(record="fairness.drill_down").values_list("subject__name", flat=True)) == {
        "Mo Manager", "Erin Employee", "Pat Peer"}


def test_a_drill_down_without_a_named_review_is_refused(personas, client_for):
    from brightline.audit.models import AuditEntry

    response = client_for(personas.pia).post("/governance/leadership/drill-down/", {"team": "payments", "reason": " "})
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="fairness.leadership.drilled_down").exists()


@pytest.mark.usefixtures("demographics_allowed")
def test_leaders_never_see_demographic_cuts(personas, client_for, organisation, ladder):
    from brightline.audit.models import AuditEntry
    from brightline.fairness.demographics import import_demographics

    people, _ = organisation_with_a_small_team(organisation, ladder, personas.mo, 1)
    import_demographics(("employee_id,sex_or_gender\n" + "\n".join(f"{p.employee_id},F" for p in people)).encode(),
                        actor=personas.pia)
    view = client_for(personas.lee).get("/governance/leadership/").context["view"]
    assert all(not flag.cut.protected for flag in view.flags)
    assert not AuditEntry.objects.filter(action="fairness.demographics.read").exists()


def test_the_reader_chooses_the_cycle_and_the_default_skips_a_cycle_below_the_minimum(personas, client_for,
                                                                                       organisation, ladder):
    people, earlier = organisation_with_a_small_team(organisation, ladder, personas.mo, 0)
    # A later, 3-person cycle is decided: it must not hide the earlier cycle's findings.
    later = decided_cycle(people[:3], [Member(f"Big Ann {i}", "alpha") for i in range(3)], name="2026 H2")
    browser = client_for(personas.lee)
    response = browser.get("/governance/leadership/")
    view = response.context["view"]
    assert view.cycle_name == earlier.name and view.comparisons > 0
    page = response.content.decode()
    assert 'name="cycle"' in page and f'value="{later.pk}"' in page
    response = browser.get(f"/governance/leadership/?cycle={later.pk}")
    assert response.context["view"].cycle_name == "2026 H2"
    page = response.content.decode()
    assert "0 of 0" not in page
    assert "Withheld: groups below the minimum" in page
    api = browser.get(f"/api/governance/leadership?cycle={later.pk}").json()
    assert api["cycle"] == {"id": later.pk, "name": "2026 H2", "people": 3}
    assert api["comparisons_withheld"] is True
    default = browser.get("/api/governance/leadership").json()
    assert default["cycle"]["id"] == earlier.pk
    assert [cycle["name"] for cycle in default["cycles"]] == ["2026 H2", earlier.name]
    assert browser.get("/governance/leadership/?cycle=999999").status_code == 404
    assert browser.get("/api/governance/leadership?cycle=999999").status_code == 404
    assert browser.get("/governance/leadership/?cycle=abc").status_code == 404


def test_the_brief_never_rounds_a_real_change_to_nothing():
    """One changed proposal in 236 is not "0%" (and, a small cell, reads "fewer than 3")."""
    from brightline.core.fairness import CalibrationHealth
    from brightline.governance.leadership import LeadershipView, _percent, build_brief
    from brightline.governance.system_health import AttritionByTeam

    assert [_percent(x) for x in (0.0, 1 / 236, 0.5, 235 / 236, 1.0, None)] == \
        ["0%", "less than 1%", "50%", "more than 99%", "100%", "–"]
    fields = {field.name for field in CalibrationHealth.__dataclass_fields__.values()}
    values = {"n": 236, "changed": 3, "change_rate": 3 / 236, "shift_variance": 0.0, "raised": 3, "lowered": 0,
              "people": 59, "people_raised": 3, "people_lowered": 0, "people_changed": 3}
    calibration = CalibrationHealth(**{name: values.get(name) for name in fields})
    view = LeadershipView(min_cohort=5, total_headcount=56, teams=[], withheld_teams=0, cycle_name="H1",
                          promotion_by_level=None, calibration_by_team=None, calibration=calibration,
                          velocity=None, attrition=AttritionByTeam(None, 0, 0, 0, 0, 365),
                          flags=[], comparisons=0, delivery_available=False)
    text = " ".join(sentence.text for sentence in build_brief(view))
    # The changes raised outcomes: the brief says which way, not "neither raised nor lowered".
    assert "1% of proposed outcomes (3 of 236): each change raised an outcome; none lowered one" in text
    assert "neither" not in text
    assert "0%" not in text and "+0.00" not in text and "(s)" not in text
    evidence = [f"{item.label} {item.value}" for sentence in build_brief(view) for item in sentence.evidence]
    assert "spread of the shifts (standard deviation) 0.00 rating steps" in evidence
    assert not [item for item in evidence if "variance" in item or "²" in item]
    one = LeadershipView(**{**view.__dict__, "calibration": CalibrationHealth(**{
        name: {**values, "changed": 1, "change_rate": 1 / 236, "raised": 1, "people_raised": 1,
               "people_changed": 1}.get(name) for name in fields})})
    text = " ".join(sentence.text for sentence in build_brief(one))
    assert "Calibration changed fewer than 3 of 236 proposed outcomes" in text and "1 of 236" not in text
    # One person's change: which way it went is withheld, and so is the spread.
    assert "which way is withheld while the changes concern fewer than 3 people" in text and "raised" not in text
    evidence = [f"{item.label} {item.value}" for sentence in build_brief(one) for item in sentence.evidence]
    assert "spread of the shifts (standard deviation) withheld: the changes concern fewer than 3 people" in evidence


def test_the_brief_names_the_direction_of_calibration_changes_only_for_enough_people():
    """One outcome raised and one lowered average to a shift of zero; two people's changes, named by direction,
    would be theirs. The brief counts people, withholds the direction below 3 of them, and never splits a small
    direction from a larger one."""
    from brightline.core.fairness import CalibrationRecord, measure_calibration_health
    from brightline.governance.leadership import calibration_direction

    records = [CalibrationRecord("1", 2, 3, person="a"), CalibrationRecord("1", 2, 1, person="b"),
               *(CalibrationRecord("2", 2, 2, person=str(i)) for i in range(8))]
    health = measure_calibration_health(records)
    assert (health.changed, health.people_raised, health.people_lowered, health.people_changed) == (2, 1, 1, 2)
    assert calibration_direction(health.people_raised, health.people_lowered, health.people_changed) == \
        "which way is withheld while the changes concern fewer than 3 people"
    assert calibration_direction(0, 2, 2) == "which way is withheld while the changes concern fewer than 3 people"
    assert calibration_direction(4, 0, 4) == "each change raised an outcome; none lowered one"
    assert calibration_direction(5, 1, 6) == "most people whose outcomes changed had one raised; fewer than 3 had " \
        "one lowered"
    assert calibration_direction(3, 7, 10) == "it raised outcomes of 3 people and lowered those of 7"
    assert calibration_direction(0, 0, 0) == "no outcome moved"


def test_a_thousand_teams_are_shown_fifty_at_a_time(personas, client_for, organisation):
    from brightline.people.models import Person, Team

    for number in range(55):
        team = Team.objects.create(organisation=organisation, slug=f"team-{number:02d}", name=f"Team {number:02d}")
        Person.objects.create(organisation=organisation, name=f"Member {number:02d}", email=f"m{number}@example.org",
                              employee_id=f"T{number:03d}", team=team, manager=personas.mo)
    browser = client_for(personas.lee)
    first = browser.get("/governance/leadership/").content.decode()
    teams = set(re.findall(r'<th scope="row">(Team \d\d)</th>', first))
    assert len(teams) < 55 and "Teams 1–50 of" in first and "teams=2" in first
    second = browser.get("/governance/leadership/?teams=2&themes=2").content.decode()
    assert teams | set(re.findall(r'<th scope="row">(Team \d\d)</th>', second)) == {f"Team {n:02d}" for n in range(55)}
    assert "Previous" in second and "teams=1" in second


def test_a_withheld_comparison_says_withheld_in_its_sentence(personas, client_for, organisation, ladder):
    organisation_with_a_small_team(organisation, ladder, personas.mo, 2)
    response = client_for(personas.lee).get("/governance/leadership/")
    assert response.context["view"].promotion_by_level.event.impact_ratio is None
    html = response.content.decode()
    card = html[html.index("<h2>Promotion bottlenecks</h2>"):]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card[:card.index("</section>")])).strip()
    assert text.startswith(f"Promotion bottlenecks {response.context['view'].cycle_name}, “Ready for promotion”: "
                           "nothing to compare. Withheld: groups below the minimum of 5 people")
    assert "Lowest ÷ highest rate" not in text


def test_each_team_row_says_who_follows_up_a_change_in_its_delivery_trends(personas, client_for, organisation,
                                                                           ladder):
    """A leader sees, beside each team's delivery figures, its open changes in delivery trends and whether the team's
    manager, who owns them, has looked at them yet, with a link to the team's delivery page, naming nobody; a
    dismissed change is left out (the task walk found a team's months-long fall followed up nowhere the leader
    could see)."""
    from django.urls import reverse

    from brightline.people.models import Team
    from tests.test_manager_dashboard import _trend_break

    organisation_with_a_small_team(organisation, ladder, personas.mo, 1)
    team = Team.objects.get(slug="alpha")  # twelve people: shown
    _trend_break(team, personas.mo, key="k1", direction="worse")
    _trend_break(team, personas.mo, key="k2", direction="worse", status="dismissed")
    page = client_for(personas.lee).get("/governance/leadership/")
    html = page.content.decode()
    row = re.search(rf'<tr><th scope="row">{re.escape(team.name)}</th>(.*?)</tr>', html, re.S)
    assert row, "the team has no row"
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row[1]))
    assert "1 open; waiting for the team's manager to look at it" in text and personas.mo.name not in text
    assert f'href="{reverse("evidence:team", args=[team.slug])}"' in row[1]
    assert "1 open;" in text and "2 open" not in text  # the dismissed change is not counted
    from brightline.insights.models import Signal

    Signal.objects.filter(team=team, status="pending").update(status="accepted")
    html = client_for(personas.lee).get("/governance/leadership/").content.decode()
    row = re.search(rf'<tr><th scope="row">{re.escape(team.name)}</th>(.*?)</tr>', html, re.S)
    assert "1 open; the team's manager follows it up" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row[1]))
