"""Team theme summaries (C1 for a team): computed by ``insights run --team``/``--all``, stored with provenance,
the 5-comments-from-3-people rule, shown to the team's chain and people partners, counts only for leaders."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from brightline.people.models import AccessRole, Person
from tests.conftest import PASSWORD

CONCERNS = ("Code reviews are rushed and miss obvious bugs.",
            "Pull requests get approved without reading them carefully.",
            "Tests were missing for the edge cases in the last change.")


def olga():
    return Person.objects.get(user__username="olga")


def make_person(username, name, *, manager=None, team=None, role=AccessRole.EMPLOYEE):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    user = get_user_model().objects.create(username=username, password=make_password(PASSWORD))
    reference = Person.objects.get(user__username="erin")
    return Person.objects.create(organisation=reference.organisation, user=user, employee_id=f"E-{username}",
                                 name=name, email=f"{username}@example.org", manager=manager, team=team,
                                 level=reference.level, timezone="Europe/Berlin", access_role=role)


@pytest.fixture
def lena(personas):
    """A second leader, outside the payments reporting line."""
    return make_person("lena", "Lena Otherleader", role=AccessRole.LEADER)


@pytest.fixture
def bigger_payments(personas):
    """Payments grows to five people (the default minimum cohort) under Mo."""
    team = personas.erin.team
    return [make_person("sam", "Sam Second", manager=personas.mo, team=team),
            make_person("kim", "Kim Third", manager=personas.mo, team=team)]


def answer(subject, writers, texts):
    from brightline.feedback import services as feedback_services

    request = feedback_services.request_feedback(actor=subject, subject=subject,
                                                 respondents=[(writer, "peer") for writer in writers])
    for writer in writers:
        feedback_services.submit_feedback_response(
            actor=writer, invitation=request.invitations.get(respondent=writer),
            data=feedback_services.ResponseInput(*texts), send_despite_tone=True)


@pytest.fixture
def team_feedback(personas):
    """Review concerns about Erin (from Pat and Olga) and Pat (from Erin and Olga): five answers from three
    people across two members — not enough for either person alone, enough for the team."""
    answer(personas.erin, [personas.pat, olga()],
           ("Erin shipped the ledger migration.", "Three teams moved to it.", CONCERNS[0]))
    answer(personas.pat, [personas.erin, olga()],
           ("Pat owned the payout retries.", "Fewer failed payouts.", CONCERNS[1]))
    answer(personas.pat, [personas.erin],
           ("Pat ran the incident review.", "The fix held.", CONCERNS[2]))


def run(**options):
    from brightline.insights.services import run_insights

    return run_insights(**options)


def test_a_team_run_stores_theme_summaries_with_provenance(personas, team_feedback):
    from brightline.insights.models import Signal

    summary = run(team=personas.erin.team)
    assert summary.kinds["theme_summary"] == 3  # Erin, Pat and the team
    team_summary = Signal.objects.get(team=personas.erin.team, kind="theme_summary", is_current=True)
    assert team_summary.person is None and team_summary.status == "pending" and team_summary.enough_data
    assert team_summary.confidence_items == 5 and team_summary.confidence_authors == 3
    assert team_summary.model_version.startswith("minilm-static@")
    assert {ref["kind"] for ref in team_summary.item_refs} == {"feedback_response"}
    assert len(team_summary.item_refs) == 5
    code_quality = Signal.objects.get(team=personas.erin.team, key="theme:code_quality", is_current=True)
    assert code_quality.detail["members"] == 2 and code_quality.detail["quotes"] == []
    assert code_quality.statement.startswith("Code quality comes up in feedback about 2 team members, from 3 people")
    # Neither person alone reaches five comments from three people.
    erin_summary = Signal.objects.get(person=personas.erin, kind="theme_summary", is_current=True)
    assert not erin_summary.enough_data and erin_summary.statement.startswith("Not enough data")


def test_too_little_feedback_about_the_team_says_not_enough_data(personas):
    from brightline.insights.models import Signal

    answer(personas.erin, [personas.pat, olga()], ("Shipped it.", "It works.", CONCERNS[0]))
    run(team=personas.erin.team)
    team_summary = Signal.objects.get(team=personas.erin.team, kind="theme_summary", is_current=True)
    assert not team_summary.enough_data and team_summary.confidence_label == "weak"
    assert team_summary.statement.startswith("Not enough data: 2 comments from 2 people")
    assert not Signal.objects.filter(team=personas.erin.team, kind="theme").exists()


def test_the_command_computes_team_themes_for_one_team_and_for_all(personas, team_feedback):
    from brightline.insights.models import Signal

    out = StringIO()
    call_command("insights", "run", "--team", "payments", "--json", stdout=out)
    assert json.loads(out.getvalue())["signals_by_kind"]["theme_summary"] == 3
    answer(personas.oscar, [olga()], ("Oscar fixed the build cache.", "Builds are faster.", CONCERNS[0]))
    out = StringIO()
    call_command("insights", "run", "--all", "--json", stdout=out)
    counts = json.loads(out.getvalue())
    # Payments is unchanged since the team run; the platform team is summarised now.
    assert counts["subjects_unchanged"] >= 1
    platform = Signal.objects.get(team__slug="platform", kind="theme_summary", is_current=True)
    assert platform.statement.startswith("Not enough data: 1 comments from 1 people")


def test_new_feedback_about_a_member_recomputes_the_team(personas, team_feedback):
    run(team=personas.erin.team)
    assert run(team=personas.erin.team).subjects_computed == 0
    answer(personas.erin, [personas.mo], ("Erin mentored the new hire.", "They shipped in week two.", CONCERNS[2]))
    assert run(team=personas.erin.team).subjects_computed >= 1


@pytest.mark.parametrize("who", ["mo", "lee", "pia"])
def test_the_chain_and_people_partners_see_the_team_themes(personas, team_feedback, client_for, who):
    run(team=personas.erin.team)
    page = client_for(getattr(personas, who)).get("/insights/team/payments/").content.decode()
    assert "Themes in feedback about the team" in page and "Members it is about" in page
    # An aggregate page never says a count of people below the minimum cohort (5): "fewer than 5", not "2".
    assert "Code quality comes up in feedback about fewer than 5 team members" in page
    assert "about 2 team members" not in page
    # A trend that cannot be told says why, in words (too few writers in a half), never "unknown".
    from brightline.insights.models import Signal

    trend = Signal.objects.get(team=personas.erin.team, key="theme:code_quality", is_current=True).detail["trend"]
    words = {"up": "more often", "down": "less often", "flat": "steady"}.get(trend, "too few writers to compare")
    assert words in page and ">unknown<" not in page
    # Sentences stay on each person's page.
    assert not any(concern in page for concern in CONCERNS)
    can_review = who in {"mo", "lee"}
    assert ('name="decision" value="accept"' in page) is can_review


def test_the_teams_manager_accepts_a_team_theme_and_it_is_audited(personas, team_feedback):
    from brightline.audit.models import AuditEntry
    from brightline.insights.models import Signal
    from brightline.insights.services import accept_signal

    run(team=personas.erin.team)
    theme = Signal.objects.get(team=personas.erin.team, key="theme:code_quality", is_current=True)
    accept_signal(actor=personas.mo, signal=theme, reason="Matches what the retro said.")
    entry = AuditEntry.objects.get(action="insights.signal.accepted")
    assert entry.data["key"] == "theme:code_quality" and entry.data["reason"] == "Matches what the retro said."


@pytest.mark.parametrize("who", ["erin", "pat", "oscar", "olga"])
def test_members_and_outsiders_are_refused_without_a_name(personas, team_feedback, client_for, who):
    run(team=personas.erin.team)
    viewer = olga() if who == "olga" else getattr(personas, who)
    response = client_for(viewer).get("/insights/team/payments/")
    assert response.status_code == 403
    body = response.content.decode()
    assert not any(person.name in body for person in Person.objects.exclude(pk=viewer.pk))


def test_a_leader_outside_the_chain_sees_counts_only(personas, team_feedback, bigger_payments, lena, client_for):
    run(team=personas.erin.team)
    page = client_for(lena).get("/insights/team/payments/").content.decode()
    assert "Aggregates only" in page and "Code quality" in page
    assert "Members it is about" not in page and "feedback_response" not in page
    assert 'name="decision"' not in page and "Trend breaks" not in page
    assert not any(person.name in page for person in Person.objects.exclude(pk=lena.pk))
    assert not any(concern in page for concern in CONCERNS)


def test_a_leader_sees_nothing_of_a_team_below_the_minimum_cohort(personas, team_feedback, lena, client_for):
    run(team=personas.erin.team)
    page = client_for(lena).get("/insights/team/payments/").content.decode()
    assert "Withheld: the team has fewer than 5 people" in page and "Code quality" not in page


def test_themes_switched_off_by_policy_make_no_team_summary(personas, team_feedback):
    from brightline.insights.models import Signal
    from brightline.policy.services import update_policy

    update_policy(actor=personas.pia, reason="pilot", ai_boundaries={"themes_enabled": False})
    run(team=personas.erin.team)
    assert not Signal.objects.filter(team=personas.erin.team, kind__in=["theme", "theme_summary"]).exists()


# --- the leadership view links to each team's theme counts (H3) ------------------------------------------------

LEADERSHIP = "/governance/leadership/"


def feedback_themes_section(page: str) -> str:
    return page.split('id="feedback-themes"')[1].split("</section>")[0]


@pytest.mark.parametrize("who", ["lee", "lena", "pia"])
def test_the_leadership_view_links_to_each_teams_theme_counts(personas, team_feedback, bigger_payments, lena,
                                                              client_for, who):
    from brightline.insights.models import Signal

    run(team=personas.erin.team)
    viewer = lena if who == "lena" else getattr(personas, who)
    browser = client_for(viewer)
    page = browser.get(LEADERSHIP).content.decode()
    section = feedback_themes_section(page)
    code_quality = Signal.objects.get(team=personas.erin.team, key="theme:code_quality", is_current=True)
    assert f"Code quality ({code_quality.detail['comments']})" in section
    assert '<a href="/insights/team/payments/">Feedback themes</a>' in section
    # Platform has no summary yet: named with the others waiting for one, in a sentence, and linked all the same.
    assert "no summary yet" in section and '<a href="/insights/team/platform/">Platform</a>' in section
    assert "/insights/team/platform/\">Feedback themes" not in section
    assert not any(concern in page for concern in CONCERNS)
    assert not any(person.name in section for person in Person.objects.all())
    assert "feedback_response" not in section
    followed = browser.get("/insights/team/payments/")
    assert followed.status_code == 200 and "Code quality" in followed.content.decode()


def test_the_leadership_view_withholds_a_team_below_the_minimum_cohort(personas, team_feedback, client_for):
    run(team=personas.erin.team)
    # Lee is in the payments chain, yet this page shows aggregates only: three people is below five.
    section = feedback_themes_section(client_for(personas.lee).get(LEADERSHIP).content.decode())
    assert "withheld (fewer than 5 people)" in section and "Code quality" not in section


def test_the_leadership_view_says_not_enough_data_without_numbers(personas, bigger_payments, client_for):
    answer(personas.erin, [personas.pat, olga()], ("Shipped it.", "It works.", CONCERNS[0]))
    run(team=personas.erin.team)
    section = feedback_themes_section(client_for(personas.lee).get(LEADERSHIP).content.decode())
    payments = section.split("Payments</th>")[1].split("</tr>")[0]
    assert "not enough data" in payments and "comments" not in payments
    assert '<a href="/insights/team/payments/">Feedback themes</a>' in payments


@pytest.mark.parametrize("who", ["erin", "mo", "pat", "oscar"])
def test_only_leaders_and_people_partners_get_the_theme_links(personas, team_feedback, bigger_payments, client_for,
                                                             who):
    run(team=personas.erin.team)
    response = client_for(getattr(personas, who)).get(LEADERSHIP)
    assert response.status_code == 403
    assert "Feedback themes" not in response.content.decode()


def test_the_leadership_api_gives_the_same_team_theme_counts_as_the_page(personas, team_feedback, bigger_payments,
                                                                         client_for):
    from brightline.insights.models import Signal

    run(team=personas.erin.team)
    rows = {row["team"]: row for row in
            client_for(personas.lee).get("/api/governance/leadership").json()["feedback_themes"]}
    payments = rows["payments"]
    assert payments["state"] == "summarised"
    code_quality = Signal.objects.get(team=personas.erin.team, key="theme:code_quality", is_current=True)
    assert {"theme": "code_quality", "label": "Code quality", "comments": code_quality.detail["comments"],
            "authors": code_quality.detail["authors"]} in payments["recurring"]
    assert rows["platform"]["state"] == "no_summary" and set(rows["platform"]) == {"team", "name", "state"}
    text = json.dumps(payments)
    assert not any(concern in text for concern in CONCERNS)
    assert "members" not in text and "feedback_response" not in text


def test_the_leadership_api_withholds_a_team_below_the_minimum_cohort(personas, client_for, team_feedback):
    run(team=personas.erin.team)
    rows = {row["team"]: row for row in
            client_for(personas.pia).get("/api/governance/leadership").json()["feedback_themes"]}
    assert rows["payments"] == {"team": "payments", "name": personas.erin.team.name, "state": "withheld",
                                "min_cohort": 5}


def test_the_leadership_api_says_not_enough_data_without_numbers(personas, bigger_payments, client_for):
    answer(personas.erin, [personas.pat, olga()], ("Shipped it.", "It works.", CONCERNS[0]))
    run(team=personas.erin.team)
    rows = {row["team"]: row for row in
            client_for(personas.lee).get("/api/governance/leadership").json()["feedback_themes"]}
    assert rows["payments"] == {"team": "payments", "name": personas.erin.team.name, "state": "not_enough_data"}
