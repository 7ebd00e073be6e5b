"""What the people around a review read of it, found by a first-time user doing real tasks: the manager and the
panel read the person's submitted self review; an accepted AI theme enters the packet only when someone cites it
(principle 7: an explicit, logged inclusion), and the manager's page says who accepted it; a draft assessment's
outcomes and citations reach nobody but its assessor before it is submitted."""

from __future__ import annotations

import re

import pytest

from brightline.insights.services import accept_signal
from brightline.reviews import services
from brightline.reviews.models import Phase
from tests.reviews_helpers import advance_to, assess, make_evidence, open_payments_cycle, review_of, train
from tests.test_insights_packet_evidence import accomplishment
from tests.test_insights_review import make_signal

pytestmark = pytest.mark.django_db

SELF_REVIEW = "I took over the payouts retry work and became the on-call lead for refunds."


def _text(response) -> str:
    html = re.sub(r"(?s)<(script|style)[^>]*>.*?</\1>", " ", response.content.decode())
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def drafted(personas):
    """The Payments cycle in manager assessment: Erin submitted her self review; Mo drafted hers, citing two items,
    and has not submitted it."""
    train(personas.mo)
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    review = review_of(cycle, personas.erin)
    evidence = make_evidence(personas.erin, 3)
    chosen = [accomplishment(personas.erin, title, evidence[index:index + 1]).pk
              for index, title in enumerate(("Payout retries", "Ledger migration", "Onboarding guide"))]
    services.select_accomplishments(review, actor=personas.erin, accomplishment_ids=chosen)
    services.submit_self_review(review, actor=personas.erin, context=SELF_REVIEW)
    advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    review.refresh_from_db()
    assess(review, personas.mo, "exceeds", evidence=make_evidence(personas.erin, 2), submit=False)
    review.refresh_from_db()
    return review


def test_the_manager_and_the_packet_show_her_submitted_self_review(personas, client_for, drafted):
    assert SELF_REVIEW in _text(client_for(personas.mo).get(f"/reviews/r/{drafted.pk}/"))
    assert SELF_REVIEW in _text(client_for(personas.mo).get(f"/reviews/r/{drafted.pk}/packet/"))
    assert SELF_REVIEW in _text(client_for(personas.pia).get(f"/reviews/r/{drafted.pk}/packet/"))
    api = client_for(personas.pia).get(f"/api/reviews/reviews/{drafted.pk}/packet").json()
    assert api["self_review"] == {"submitted": True, "context": SELF_REVIEW}
    # She reads the same section in her own packet.
    assert SELF_REVIEW in _text(client_for(personas.erin).get(f"/reviews/r/{drafted.pk}/packet/"))


def test_a_self_review_never_submitted_is_not_in_the_packet_and_the_page_says_so(personas, client_for):
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    review = review_of(cycle, personas.pat)
    review.__class__.objects.filter(pk=review.pk).update(self_review_context="half-written, never sent")
    advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    packet = _text(client_for(personas.mo).get(f"/reviews/r/{review.pk}/packet/"))
    assert "half-written" not in packet and "No self review was submitted." in packet
    page = _text(client_for(personas.mo).get(f"/reviews/r/{review.pk}/"))
    assert "half-written" not in page and "No self review was submitted" in page


def test_an_accepted_theme_enters_the_packet_only_when_cited(personas, client_for, drafted):
    signal = make_signal(personas.erin)
    accept_signal(actor=personas.erin, signal=signal, reason="Fair: I want to work on it.")
    packet = client_for(personas.mo).get(f"/api/reviews/reviews/{drafted.pk}/packet").json()
    assert packet["feedback_themes"] == []  # accepting it made it citable, not included
    assert "None cited." in _text(client_for(personas.mo).get(f"/reviews/r/{drafted.pk}/packet/"))

    item = make_evidence(personas.erin, 1)[0]  # its id differs between databases: cite it by its own
    services.save_assessment(drafted, actor=personas.mo, dimension="judgment_communication", outcome="meets",
                             rationale=f"Explains decisions in writing [E:{item.pk}].",
                             citations=[f"signal:{signal.pk}"])
    themes = client_for(personas.mo).get(f"/api/reviews/reviews/{drafted.pk}/packet").json()["feedback_themes"]
    assert [(row["reference"], row["included_by"]) for row in themes] == [(f"signal:{signal.pk}", "Mo Manager")]
    # Mo's citation is part of his draft: Erin reads it once he submits the assessment, not before.
    assert client_for(personas.erin).get(f"/api/reviews/reviews/{drafted.pk}/packet").json()["feedback_themes"] == []


def test_the_manager_reads_who_accepted_a_theme_and_she_is_told_before_accepting(personas, client_for, drafted):
    signal = make_signal(personas.erin)
    card = _text(client_for(personas.erin).get("/insights/me/"))
    assert "your manager sees it among the topics for your next one-to-one" in card
    assert "reaches the packet the calibration panel reads only if someone who writes or calibrates your review " \
           "cites it" in card
    accept_signal(actor=personas.erin, signal=signal, reason="Fair: I want to work on it.")
    team = _text(client_for(personas.mo).get("/team/"))
    assert "Theme in feedback, accepted by Erin Employee about their own work" in team
    assert "Theme in feedback you accepted" not in team


def test_a_draft_assessment_is_counted_and_shown_to_nobody_but_its_assessor(personas, client_for, drafted):
    assert services.outcome_distribution(drafted.cycle)["leadership"] == {"needs_support": 0, "meets": 0,
                                                                          "exceeds": 0}
    pia_page = _text(client_for(personas.pia).get(f"/reviews/r/{drafted.pk}/"))
    assert "Outcome: not submitted yet" in pia_page and "Outcome: Exceeds" not in pia_page
    assert "Exceeds" not in _text(client_for(personas.pia).get(f"/reviews/r/{drafted.pk}/packet/"))
    assert all(row["outcome"] == "" and row["proposed"] == "" for row in
               client_for(personas.pia).get(f"/api/reviews/reviews/{drafted.pk}/packet").json()["outcomes"])
    # The assessor reads his own draft, labelled as one.
    mo_packet = _text(client_for(personas.mo).get(f"/reviews/r/{drafted.pk}/packet/"))
    assert "Your draft: nobody else sees these outcomes" in mo_packet and "Exceeds" in mo_packet
    # Erin's packet lists none of what the draft cites while it says nothing is cited yet.
    mo = client_for(personas.mo).get(f"/api/reviews/reviews/{drafted.pk}/packet").json()
    assert any(row["via"] == "assessment" for row in mo["evidence"])
    erin = client_for(personas.erin).get(f"/api/reviews/reviews/{drafted.pk}/packet").json()
    assert not any(row["via"] == "assessment" for row in erin["evidence"])
    assert "Mo Manager" not in _text(client_for(personas.erin).get(f"/reviews/r/{drafted.pk}/packet/"))

    services.submit_assessment(drafted, actor=personas.mo)
    assert services.outcome_distribution(drafted.cycle)["leadership"]["exceeds"] == 1
    assert "Outcome: Exceeds" in _text(client_for(personas.pia).get(f"/reviews/r/{drafted.pk}/"))
    erin = client_for(personas.erin).get(f"/api/reviews/reviews/{drafted.pk}/packet").json()
    assert any(row["via"] == "assessment" for row in erin["evidence"])
