"""Issue 20: each persona understands their page in a minute. The engineer who missed the self review is told
what happened, what it means and what is left to do; the missing-evidence checks tell one story per step; the
people partner is not told "nothing is overdue" beside missed self reviews without a next step; advancing a
cycle with work unfinished asks first and names the work; the audit trail and the repository page speak words."""

from __future__ import annotations

import datetime as dt
from html import unescape

from brightline.core.insights.evidence_checks import PACKET_CITE_ADVICE, PACKET_STEP_CLOSED
from brightline.dashboards.partner import NOTHING_OPEN_OVERDUE
from brightline.evidence.models import EvidenceItem
from brightline.reviews.models import Phase
from tests.reviews_helpers import advance_to, make_evidence, open_payments_cycle, review_of, train
from tests.test_home_first_minute import future_schedule
from tests.test_insights_packet_evidence import accomplishment, submit_self_review


def erin_submits_a_self_review_citing_nothing(personas, client_for):
    """Erin's self review, with three accomplishments citing evidence and a context citing none; then the step
    closes."""
    evidence = make_evidence(personas.erin, 3)
    chosen = [accomplishment(personas.erin, title, evidence[index:index + 1])
              for index, title in enumerate(("Payout retries", "Ledger migration", "Onboarding guide"))]
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    review = review_of(cycle, personas.erin)
    submit_self_review(client_for(personas.erin), review, chosen, "I led the payouts migration this half.")
    return advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia), review


def text_of(response) -> str:
    return unescape(response.content.decode())


def cycle_in_assessment(personas, **overrides):
    train(personas.mo)
    return advance_to(open_payments_cycle(personas, **overrides), Phase.MANAGER_ASSESSMENT, personas.pia)


def test_a_person_who_missed_the_self_review_is_told_what_it_means_and_what_is_left(personas, client_for):
    EvidenceItem.objects.create(kind=EvidenceItem.Kind.DESIGN_REVIEW, title="Review notes: payments ledger v2",
                                person=personas.pat, occurred_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
                                source="manual", source_ref="pat-notes")
    cycle = cycle_in_assessment(personas)
    review = review_of(cycle, personas.pat)
    page = text_of(client_for(personas.pat).get(f"/reviews/r/{review.pk}/"))
    missed = page[page.index('id="self-review-missed"'):page.index("</section>", page.index('id="self-review-missed"'))]
    assert "Your self review was not submitted" in missed
    assert "The self-review step closed on 7 Oct 2026 without a self review from you" in missed
    assert f"{personas.mo.name} assesses your work from the evidence and feedback on record" in missed
    assert f'href="/reviews/r/{review.pk}/packet/#notes"' in missed  # the one thing still open to him
    assert f"Who to talk to:</strong> {personas.mo.name}, your manager" in missed and "your people partner" in missed
    # His evidence, each kind said once, with the number to cite it by.
    assert "Design review notes: payments ledger v2" in missed and "Review notes:" not in missed
    # And the timeline: where the cycle is and what comes next.
    assert "Manager assessment (now)" in page and "Calibration, until 31 Oct 2026" in page


def test_a_person_who_submitted_or_someone_else_does_not_read_the_missed_self_review_note(personas, client_for):
    cycle, erin = erin_submits_a_self_review_citing_nothing(personas, client_for)
    assert "Your self review was not submitted" not in text_of(client_for(personas.erin).get(f"/reviews/r/{erin.pk}/"))
    pat = review_of(cycle, personas.pat)
    by_manager = text_of(client_for(personas.mo).get(f"/reviews/r/{pat.pk}/"))
    assert "Your self review was not submitted" not in by_manager and "What happens when" not in by_manager


def test_a_closed_packet_check_states_the_fact_once_without_asking_for_what_cannot_be_done(personas,
                                                                                           client_for):
    _, erin = erin_submits_a_self_review_citing_nothing(personas, client_for)
    page = text_of(client_for(personas.erin).get(f"/reviews/r/{erin.pk}/"))
    section = page[page.index('id="packet-evidence"'):page.index("</section>", page.index('id="packet-evidence"'))]
    assert "the self review cites no evidence. " + PACKET_STEP_CLOSED["person"] in section
    assert PACKET_CITE_ADVICE not in section and "can no longer be changed" not in section
    assert "readers of the packet" not in section and 'name="decision"' not in section
    assert "nobody is asked to decide on these notes" in section and "add a note to what they will see" in section
    # The signals page says the same and sends her to her review for what she can still add.
    signals = text_of(client_for(personas.erin).get("/insights/me/"))
    assert PACKET_STEP_CLOSED["person"] in signals and PACKET_CITE_ADVICE not in signals
    assert f'href="/reviews/r/{erin.pk}/#packet-evidence">Your review page says what you can still add' in signals


def test_the_partner_home_gives_a_next_step_for_missed_self_reviews_instead_of_all_clear(personas, client_for):
    schedule, _ = future_schedule()  # the assessment step is still open: nothing is overdue
    cycle = cycle_in_assessment(personas, schedule=schedule)
    page = text_of(client_for(personas.pia).get("/"))
    people = cycle.reviews.count()
    assert f"{people} of {people} self reviews were not submitted" in page
    assert NOTHING_OPEN_OVERDUE in page and "Nothing is overdue." not in page
    assert f'<a href="/reviews/cycles/{cycle.pk}/#remind-h">remind them from the cycle\'s page</a>' in page
    assert "can still add their own context as a note to their review" in page
    cycle_page = text_of(client_for(personas.pia).get(f"/reviews/cycles/{cycle.pk}/"))
    assert '<td data-label="Self review">missed</td>' in cycle_page
    assert 'id="remind-h"' in cycle_page and "A note to their review, in place of the missed self review" in cycle_page


def test_advancing_with_self_reviews_missing_asks_first_and_names_them(personas, client_for):
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)  # past its scheduled end
    pia = client_for(personas.pia)
    people = cycle.reviews.count()
    assert "Advancing with work unfinished asks you to confirm." in text_of(pia.get(f"/reviews/cycles/{cycle.pk}/"))
    asked = pia.post(f"/reviews/cycles/{cycle.pk}/advance/", {"to_phase": "manager_assessment"})
    page = text_of(asked)
    assert asked.status_code == 200 and "Move on to manager assessment with work unfinished?" in page
    assert f"{people} of {people} self reviews are not submitted ({personas.erin.name}" in page
    assert "advancing now ends the self-review step for them without one" in page and "cannot be undone" in page
    cycle.refresh_from_db()
    assert cycle.phase == Phase.SELF_REVIEW
    assert pia.post(f"/reviews/cycles/{cycle.pk}/advance/", {"to_phase": "manager_assessment",
                                                            "confirm_early": "yes"}).status_code == 302
    cycle.refresh_from_db()
    assert cycle.phase == Phase.MANAGER_ASSESSMENT


def test_the_cycle_page_offers_no_advance_that_would_be_refused_and_says_what_is_missing(personas, client_for):
    cycle = cycle_in_assessment(personas)
    page = text_of(client_for(personas.pia).get(f"/reviews/cycles/{cycle.pk}/"))
    people = cycle.reviews.count()
    assert f"{people} of {people} people still wait for their manager's assessment to be submitted" in page
    assert "(the assessments of " in page and personas.erin.name in page
    assert "The calibration panel has 0 of the at least" in page
    assert "Advance to Calibration</button>" not in page
    assert "The cycle moves on to Calibration once what is listed above is done." in page
    asked = client_for(personas.pia).post(f"/reviews/cycles/{cycle.pk}/advance/", {"to_phase": "calibration"})
    assert "cannot move on to Calibration until" in text_of(asked) and 'name="confirm_early"' not in text_of(asked)


def test_the_audit_trail_names_what_changed_in_words_and_keeps_the_exact_record_one_click_away(personas,
                                                                                               client_for):
    from brightline.audit.services import log_action

    review = review_of(open_payments_cycle(personas), personas.erin)
    log_action("reviews.review.changed", personas.pia, review, {"reason": "a test"})
    page = text_of(client_for(personas.pia).get("/audit/"))
    assert "The audit trail is intact: none of its" in page and "hash chain" not in page
    assert "A review of " + personas.erin.name in page
    assert f"<summary>Exact record</summary><span class=\"muted\">Review {review.pk} of {personas.erin.name}" in page
    assert f"<td data-label=\"Who\">{personas.pia.name}</td>" in page
