"""Pages: who sees whose signals (logged), htmx review, the transparency page."""

from __future__ import annotations

import json

import pytest

from brightline.audit.models import AccessLog
from brightline.core.insights.themes import CONTEXTUAL_CLASSIFIER_PATH, theme_classifier_in_use
from brightline.core.insights.transparency import THEME_METRICS_PATH
from tests.test_insights_review import make_signal


@pytest.fixture
def signal(personas):
    return make_signal(personas.erin)


def test_a_person_sees_their_own_signals_with_the_why_panel(personas, signal, client_for):
    response = client_for(personas.erin).get("/insights/me/")
    assert response.status_code == 200
    page = response.content.decode()
    assert signal.statement in page and "Why am I seeing this?" in page
    assert "how well" in page  # what it cannot infer
    assert not AccessLog.objects.exists()
    # What it read and how, in words: no stored ids ("feedback answer 1") and no model version for an employee.
    assert "1 feedback answer, from" in page and "compares sentences by meaning" in page
    assert "minilm-static@abc" not in page and "feedback answer 1," not in page
    # An administrator finds the exact inputs and version behind a fold.
    from brightline.people.models import AccessRole

    personas.erin.access_role = AccessRole.ADMIN
    personas.erin.save(update_fields=["access_role"])
    page = client_for(personas.erin).get("/insights/me/").content.decode()
    fold = page[page.index("Exact inputs and model version"):]
    assert "<code>minilm-static minilm-static@abc</code>" in fold[:fold.index("</details>")]


@pytest.mark.parametrize("who", ["mo", "lee"])
def test_the_management_chain_sees_them_and_the_read_is_logged(personas, signal, client_for, who):
    viewer = getattr(personas, who)
    response = client_for(viewer).get(f"/insights/person/{personas.erin.pk}/")
    assert response.status_code == 200 and signal.statement in response.content.decode()
    assert AccessLog.objects.filter(viewer=viewer, subject=personas.erin, record="insights.signals").exists()


@pytest.mark.parametrize("who", ["pat", "oscar", "pia"])
def test_peers_outsiders_and_people_partners_are_refused(personas, signal, client_for, who):
    assert client_for(getattr(personas, who)).get(f"/insights/person/{personas.erin.pk}/").status_code == 403


def test_htmx_dismiss_returns_the_updated_card(personas, signal, client_for):
    response = client_for(personas.erin).post(f"/insights/signals/{signal.pk}/review/",
                                              {"decision": "dismiss", "reason": "Not what happened."},
                                              HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Dismissed" in response.content.decode()
    signal.refresh_from_db()
    assert signal.status == "dismissed"


def test_a_review_post_by_a_peer_is_refused(personas, signal, client_for):
    response = client_for(personas.pat).post(f"/insights/signals/{signal.pk}/review/",
                                             {"decision": "accept", "reason": "yes"})
    assert response.status_code == 403
    signal.refresh_from_db()
    assert signal.status == "pending"


def test_team_page_for_the_manager_and_not_for_an_outsider(personas, client_for):
    make_signal(team=personas.erin.team, kind="trend_break", key="trend_break:x:2026-09-21")
    assert client_for(personas.mo).get("/insights/team/payments/").status_code == 200
    assert client_for(personas.oscar).get("/insights/team/payments/").status_code == 403


def test_the_transparency_page_states_measured_accuracy(personas, client_for):
    page = client_for(personas.erin).get("/insights/transparency/").content.decode()
    assert "Senti4SD test split" in page and "What it cannot infer" in page and "Known failure modes" in page


def test_the_transparency_page_shows_each_signals_figure_with_how_its_set_was_built(personas, client_for):
    page = client_for(personas.erin).get("/insights/transparency/").content.decode()
    themes = json.loads(THEME_METRICS_PATH.read_text())
    # The figures of the theme classifier in use (the contextual one's when the contextual model is installed).
    independent = (themes["independent_contextual"] if theme_classifier_in_use() == CONTEXTUAL_CLASSIFIER_PATH
                   else themes["independent"])["after"]
    assert "crowd-written performance-review sentences, labelled independently" in page
    assert f"{independent['micro_recall']:.3f}" in page and f"{independent['micro_precision']:.3f}" in page
    assert "two labellers worked alone" in page  # how the independent set was built
    assert "composed cases from the team&#x27;s held-out sentences" in page  # contradictions
    assert "ToxiCR code-review comments, test split" in page  # the tone check
    assert "synthetic weekly series" in page  # trend breaks
    assert "independent evaluation set, performance-review sentences" in page  # the narrative check
    assert "Two labellers who never saw the checks" in page
    assert "composed people from labelled Stack Overflow and pull-request comments" in page  # sentiment drift
    assert "with one planted topic" in page  # emergent themes
    # Every signal now carries a measured figure, so none says it is unmeasured.
    assert page.count("How th") >= 5 and "Not measured yet" not in page
    assert "tests/fixtures" not in page and "themes_metrics.json" not in page


def test_the_organisation_page_is_for_people_partners(personas, client_for):
    assert client_for(personas.pia).get("/insights/organisation/").status_code == 200
    assert client_for(personas.mo).get("/insights/organisation/").status_code == 403
