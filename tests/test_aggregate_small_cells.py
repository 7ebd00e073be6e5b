"""Aggregate pages never point at one person (issue 20): a count of people below the minimum cohort reads "fewer
than N", an outcome count of 1 or 2 reads "fewer than 3" with no rate (sentences, tables, chart, brief), and a
review cycle's flags and outcome counts name a person only for viewers with a role in that person's review."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from brightline.core.fairness import audit_outcome_counts
from brightline.core.governance.recommendation import BriefFigures, recommend_next_quarter
from brightline.fairness.decisions import Measure
from brightline.fairness.templatetags.fairness_labels import audit_sentence
from brightline.people.models import AccessRole, Dimension, Person, Team
from brightline.reviews import services
from brightline.reviews.models import Phase
from brightline.templatetags.brightline_labels import people_count
from tests.reviews_helpers import advance_to, olga, open_payments_cycle, review_of, train

CHANGED = Measure("calibration_changed", "Outcome changed in calibration", "neutral")
READY = Measure("promotion", "Ready for promotion", "favourable")


def audit(counts: dict[str, tuple[int, int]]):
    return audit_outcome_counts({(group,): n_and_k for group, n_and_k in counts.items()}, min_cohort=5,
                                group_columns=["team"])


# --- outcome counts of 1 or 2 -----------------------------------------------------------------------------------


def test_a_group_with_one_changed_outcome_is_said_as_fewer_than_three_with_no_rate():
    result = audit({"payments": (7, 1), "platform": (20, 8)})
    text = audit_sentence(result, {"payments": "Payments", "platform": "Platform"}, CHANGED, "2026 H1 review")
    assert "Payments: fewer than 3 of 7" in text
    assert "14.3" not in text and "1 of 7" not in text
    # The ratio would give the count back from the other group's published rate: only its side of 0.8 is said.
    assert f"{result.impact_ratio:.2f} times" not in text and "less than four fifths of the highest" in text
    assert "Platform: 40.0\u00a0%, 8 of 20" in text


def test_the_audit_table_shows_fewer_than_three_and_no_rate_interval_or_ratio_for_a_small_cell():
    result = audit({"payments": (7, 2), "platform": (20, 8)})
    html = render_to_string("fairness/_audit.html", {"audit": result, "measure": READY, "source": "2026 H1 review",
                                                     "group_labels": {"payments": "Payments"}})
    row = html[html.index(">Payments</th>"):]
    row = row[:row.index("</tr>")]
    assert "<td>7</td><td>fewer than 3</td>" in row and "28.6" not in html and ">2<" not in row
    assert f"{result.impact_ratio:.3f}" not in html and "not shown" in html


def test_zero_and_three_or_more_are_shown_as_they_are():
    result = audit({"payments": (7, 0), "platform": (20, 3)})
    text = audit_sentence(result, None, READY, "")
    assert "payments: 0.0\u00a0%, 0 of 7" in text and "platform: 15.0\u00a0%, 3 of 20" in text


def test_the_brief_recommendation_never_states_a_small_cell():
    figures = BriefFigures(min_cohort=5, teams_shown=3, teams_withheld=0, comparisons=0, flagged=(),
                           promotion_n=40, promotion_ready=12, lowest_level="Engineer II", lowest_level_n=8,
                           lowest_level_ready=1)
    recommendation = recommend_next_quarter(figures)
    assert recommendation.rule == "promotion_bottleneck"
    assert "fewer than 3 of 8" in recommendation.text and "13%" not in recommendation.text
    assert all("1 of 8" not in item.value for item in recommendation.evidence)


# --- counts of people below the minimum cohort ------------------------------------------------------------------


@pytest.mark.parametrize(("count", "shown"), [(0, 0), (1, "fewer than 5"), (4, "fewer than 5"), (5, 5), (9, 9)])
def test_a_count_of_people_below_the_cohort_reads_fewer_than_the_cohort(count, shown):
    assert people_count(count, 5) == shown


def test_the_team_theme_table_never_prints_one_member(db):
    html = render_to_string("insights/_theme_counts.html", {
        "rows": [{"label": "Technical depth", "comments": 6, "authors": 3, "members": 1, "concern_authors": 2,
                  "trend": "flat", "enough_data": True}],
        "caption": "Themes", "show_members": True, "cohort": 5})
    cells = html[html.index(">Technical depth</th>"):]
    cells = cells[:cells.index("</tr>")]
    assert cells.count("<td>fewer than 5</td>") == 3 and "<td>1</td>" not in cells and "<td>6</td>" in cells


def test_a_team_theme_statement_says_fewer_than_the_cohort():
    from brightline.insights.services import aggregate_wording

    text = aggregate_wording("Mentoring comes up in feedback about 1 team member, from 3 people (6 comments). "
                             "1 of them raises it as something to work on.", 5)
    assert text == ("Mentoring comes up in feedback about fewer than 5 team members, from fewer than 5 people "
                    "(6 comments). Fewer than 5 of them raise it as something to work on.")
    assert aggregate_wording("Recurring themes in 18 comments from 8 people: Delivery.", 5) == \
        "Recurring themes in 18 comments from 8 people: Delivery."


# --- the cycle page's flags and outcome counts, per persona -----------------------------------------------------


@pytest.fixture
def ada(personas, organisation, ladder):
    """An administrator who is also an engineer on another team: no role in any Payments review."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create(username="ada")
    return Person.objects.create(organisation=organisation, user=user, employee_id="E-ada", name="Ada Admin",
                                 email="ada@example.org", manager=olga(), team=Team.objects.get(slug="platform"),
                                 level=ladder["IC3"], timezone="Europe/Berlin", access_role=AccessRole.ADMIN)


@pytest.fixture
def drafted(personas):
    """Payments cycle in manager assessment; Mo has drafted one outcome for Erin, citing nothing; Olga sits on
    the panel."""
    train(personas.mo)
    cycle = open_payments_cycle(personas)
    services.set_panel(cycle, actor=personas.pia, members=[personas.lee, personas.oscar, olga()])
    cycle = advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    services.save_assessment(review_of(cycle, personas.erin), actor=personas.mo, dimension=Dimension.LEADERSHIP,
                             outcome="exceeds", rationale="Led the on-call rota redesign for the team this half.")
    return cycle


FLAG = "Erin Employee: Leadership has an outcome without cited evidence"


@pytest.mark.parametrize(("who", "named"), [("pia", True), ("mo", True), ("lee", True), ("olga", True),
                                            ("oscar", True), ("ada", False), ("pat", False)])
def test_a_draft_outcome_is_named_only_for_people_with_a_role_in_that_review(personas, ada, drafted, who, named):
    viewer = {"ada": ada, "olga": olga()}.get(who) or getattr(personas, who)
    overview = services.cycle_overview(drafted, viewer)
    assert any(flag.message == FLAG for flag in overview.flags) is named
    # The people partner and the panel (Lee, Oscar, Olga) have a role in every review of the cycle; a manager
    # only in their chain's; an administrator as such in none.
    assert overview.exact is (who in {"pia", "lee", "oscar", "olga"})
    if named:
        assert not overview.others
    else:
        assert overview.others.startswith("Fewer than 3 outcomes without cited evidence")
        assert "Erin" not in overview.others
        # One person has a draft: any count would be that person's outcome, so the counts are withheld.
        assert overview.distribution_withheld and all(not counts for counts in overview.distribution.values())


def test_the_people_partner_sees_exact_counts_and_the_administrator_sees_neither_name_nor_draft(
        personas, ada, drafted, client_for):
    pia = client_for(personas.pia).get(f"/reviews/cycles/{drafted.pk}/").content.decode()
    assert FLAG in pia and "Withheld from you" not in pia
    page = client_for(ada).get(f"/reviews/cycles/{drafted.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert FLAG not in html and "Withheld from you" in html
    assert "Fewer than 3 outcomes without cited evidence in reviews you have no part in" in html
    # The API answers the administrator with the same rule.
    answer = client_for(ada).get(f"/api/reviews/cycles/{drafted.pk}/distribution").json()
    assert answer["flags"] == [] and all(not counts for counts in answer["distribution"].values())


def test_with_enough_people_assessed_small_counts_read_fewer_than_three(personas, ada, organisation, ladder):
    from tests.fairness_helpers import Member, make_people

    make_people(organisation, ladder, personas.mo, [Member(f"P{i}", "payments") for i in range(5)])
    train(personas.mo)
    train(personas.lee)
    cycle = advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia)
    reviews = list(cycle.reviews.select_related("manager"))
    assert len(reviews) >= 5
    for review in reviews:
        services.save_assessment(review, actor=review.manager, dimension=Dimension.DELIVERY_RESULTS,
                                 outcome="meets", rationale="Shipped the payout retries this half.")
    services.save_assessment(review_of(cycle, personas.erin), actor=personas.mo, dimension=Dimension.LEADERSHIP,
                             outcome="exceeds", rationale="Led the on-call rota redesign for the team this half.")
    # Drafts count for nobody but their author: until the assessments are submitted there is nothing to show.
    assert services.cycle_overview(cycle, ada).distribution_withheld
    # Submitted (as submitting would stamp them; submitting itself needs every dimension, beside the point here).
    cycle.reviews.update(assessment_submitted_at=timezone.now())
    overview = services.cycle_overview(cycle, ada)
    assert not overview.distribution_withheld and not overview.exact
    leadership = overview.distribution[Dimension.LEADERSHIP]
    assert leadership["exceeds"] == "fewer than 3" and leadership["meets"] == 0
    assert overview.distribution[Dimension.DELIVERY_RESULTS]["meets"] == len(reviews)
    exact = services.cycle_overview(cycle, personas.pia)
    assert exact.exact and exact.distribution[Dimension.LEADERSHIP]["exceeds"] == 1


# --- no "packet" in the checks' sentences -----------------------------------------------------------------------


@pytest.mark.parametrize(("stored", "shown"), [
    ("In the 2026 H2 review packet, the self review cites no evidence.",
     "In the 2026 H2 review, the self review cites no evidence."),
    ("In the 2026 H2 packet, the self review cites no evidence.",
     "In the 2026 H2 review, the self review cites no evidence."),
    ("Delivery comes up in feedback from 4 people (6 comments).",
     "Delivery comes up in feedback from 4 people (6 comments)."),
])
def test_a_stored_check_reads_without_the_word_packet(stored, shown):
    from brightline.insights.models import Signal, plain_statement

    assert plain_statement(stored) == shown
    signal = Signal(statement=stored, rule="Every claim in a draft review packet needs evidence.")
    assert signal.shown_statement == shown and "packet" not in signal.shown_rule


def test_a_new_check_names_the_review_not_a_packet():
    import datetime as dt

    from brightline.core.insights import Subject, packet_missing_evidence_signals
    from brightline.core.insights.evidence_checks import ItemRef, PacketClaim

    claim = PacketClaim(ref=ItemRef("self_review", "1"), packet="1", packet_name="2026 H2 review", part="self_review",
                        slot="context", label="the self review", written_by="person", cited=(), ai_cited=())
    [signal] = packet_missing_evidence_signals(Subject("person", "7"), [claim], window_start=dt.date(2026, 6, 1),
                                               window_end=dt.date(2026, 12, 1))
    assert signal.statement.startswith("In the 2026 H2 review, the self review cites no evidence.")
    assert "packet" not in signal.statement and "packet" not in signal.rule


def test_the_leadership_api_withholds_small_cells_as_the_page_does():
    from brightline.governance.api import _small_cells_withheld

    result = audit({"payments": (7, 1), "platform": (20, 8)})
    shown = _small_cells_withheld({"event": result.to_json()})["event"]
    payments = next(group for group in shown["groups"] if group["group"] == "payments")
    platform = next(group for group in shown["groups"] if group["group"] == "platform")
    assert payments == {"group": "payments", "n": 7, "favourable": None, "rate": None, "ci_low": None,
                        "ci_high": None, "small_cell": True}
    assert platform["favourable"] == 8 and shown["impact_ratio"] is None and shown["four_fifths_flag"] is True
    assert _small_cells_withheld({"n": 236, "changed": 1, "change_rate": 0.004, "ci_low": 0.0, "ci_high": 0.02,
                                  "mean_shift": 0.0})["change_rate"] is None
