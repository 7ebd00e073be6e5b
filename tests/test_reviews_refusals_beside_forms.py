"""A refused pre-vote, calibration change or appeal is said inside the form that caused it, not at the top of a
long page: the redirect lands on the form's anchor, the field the refusal is about is marked, and what the person
typed is back in the form."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from brightline.reviews import services
from brightline.reviews.models import Appeal
from tests.reviews_helpers import IN_WINDOW, cycle_in_calibration, olga, pre_vote_all, review_of
from tests.test_reviews_appeals import released  # noqa: F401  (a fixture)


def _form(page: str, form_id: str) -> str:
    found = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S)
    assert found is not None, form_id
    return unescape(found.group(0))


def _follow(browser, response) -> str:
    return browser.get(response["Location"]).content.decode()


def _flash_free(page: str, text: str) -> bool:
    """The refusal is said once on the page: in its form, not also in the messages at the top."""
    return unescape(page).count(text) == 1


@pytest.fixture
def calibrating(personas):
    cycle = cycle_in_calibration(personas)
    return review_of(cycle, personas.erin)


def test_a_pre_vote_missing_a_dimension_is_refused_in_its_form_with_the_choices_kept(personas, client_for,
                                                                                      calibrating):
    oscar = client_for(personas.oscar)
    refused = oscar.post(f"/reviews/r/{calibrating.pk}/pre-vote/", {
        "vote_technical_excellence": "exceeds", "vote_delivery_results": "meets",
        "vote_judgment_communication": "meets", "note_technical_excellence": "The ledger design review."})
    assert refused.status_code == 302 and refused["Location"].endswith("#form-pre-vote")
    page = _follow(oscar, refused)
    form = _form(page, "form-pre-vote")
    message = "Choose your pre-vote for every dimension (Leadership not chosen): nothing was recorded."
    assert message in form and _flash_free(page, message)
    assert 'id="vote_leadership" name="vote_leadership" required aria-invalid="true"' in form
    assert 'id="vote_delivery_results" name="vote_delivery_results" required>' in form  # chosen: not marked
    assert '<option value="exceeds" selected>Exceeds</option>' in form.split('id="vote_technical_excellence"')[1] \
        .split("</select>")[0]
    assert 'value="The ledger design review."' in form
    assert not calibrating.pre_votes.exists()
    # The kept choices are for the next page only: a reload shows the form as the record has it.
    again = _form(oscar.get(f"/reviews/r/{calibrating.pk}/").content.decode(), "form-pre-vote")
    assert "aria-invalid" not in again and "The ledger design review." not in again


def test_the_calibration_block_comes_first_for_a_panelist(personas, client_for, calibrating):
    page = client_for(personas.oscar).get(f"/reviews/r/{calibrating.pk}/").content.decode()
    block = page.split('id="calibration"')[1].split("</section>")[0]
    assert "Calibration: your pre-vote on Erin Employee" in block
    assert "Calibration is on until 31 Oct 2026." in block
    assert "The manager's outcome is a proposal, not the answer." in block
    # Before the self review and the manager's proposed outcomes the panelist might anchor on.
    assert page.index('id="calibration"') < page.index('id="self-review"') < page.index('id="dims-h"')
    # The person reviewed and her manager have no such block.
    for person in (personas.erin, personas.mo):
        assert 'id="calibration"' not in client_for(person).get(f"/reviews/r/{calibrating.pk}/").content.decode()


def _all_voted(review) -> None:
    pre_vote_all(review, services.eligible_panelists(review))


def test_a_change_without_a_reason_is_refused_in_its_form_with_what_was_typed(personas, client_for, calibrating):
    _all_voted(calibrating)
    oscar = client_for(personas.oscar)
    assessment = calibrating.assessments.get(dimension="leadership")
    refused = oscar.post(f"/reviews/r/{calibrating.pk}/change/", {
        "dimension": "leadership", "seen_version": assessment.version, "to_outcome": "exceeds", "reason": "  ",
        "citations": "[E:1]"})
    assert refused["Location"].endswith("#form-change-leadership")
    page = _follow(oscar, refused)
    form = _form(page, "form-change-leadership")
    assert "Write why: every change records its reason." in form
    assert _flash_free(page, "Write why: every change records its reason.")
    assert 'name="reason" rows="2" aria-invalid="true" aria-describedby="change-error-leadership"' in form
    assert '<option value="exceeds" selected>Exceeds</option>' in form
    assert 'value="[E:1]"' in form
    # The other dimensions' forms say nothing.
    assert "Write why" not in _form(page, "form-change-delivery_results")
    assessment.refresh_from_db()
    assert assessment.outcome == "meets" and not assessment.changes.exists()


def test_a_change_citing_evidence_outside_the_packet_marks_the_citations_and_keeps_the_reason(
        personas, client_for, calibrating):
    from tests.reviews_helpers import make_evidence

    _all_voted(calibrating)
    elsewhere = make_evidence(personas.pat, 1)[0]  # Pat's work, not in Erin's packet
    oscar = client_for(personas.oscar)
    assessment = calibrating.assessments.get(dimension="delivery_results")
    reason = "Led the ledger cut-over across three teams, beyond what the level expects."
    refused = oscar.post(f"/reviews/r/{calibrating.pk}/change/", {
        "dimension": "delivery_results", "seen_version": assessment.version, "to_outcome": "exceeds",
        "reason": reason, "citations": f"[E:{elsewhere.pk}]"})
    page = _follow(oscar, refused)
    form = _form(page, "form-change-delivery_results")
    assert f"[E:{elsewhere.pk}] is not in this packet; a panel decides on the packet's evidence." in form
    assert "evidence_item:" not in form  # the stored key is shown as the pages cite it
    assert f'name="citations" value="[E:{elsewhere.pk}]" aria-invalid="true"' in form
    assert f">{reason}</textarea>" in form
    assert 'name="reason" rows="2">' in form  # the reason is not the field at fault
    assessment.refresh_from_db()
    assert assessment.outcome == "meets"


@pytest.fixture
def in_window(time_machine):
    time_machine.move_to(dt.datetime.combine(IN_WINDOW, dt.time(12), tzinfo=dt.UTC), tick=False)


def test_an_appeal_without_context_is_refused_beside_its_form(personas, client_for, released, in_window):  # noqa: F811
    review = review_of(released, personas.erin)
    erin = client_for(personas.erin)
    refused = erin.post(f"/reviews/r/{review.pk}/appeal/", {"context": "   "})
    assert refused["Location"].endswith("#form-appeal")
    page = _follow(erin, refused)
    form = _form(page, "form-appeal")
    assert "Add the context the reviewers should weigh." in form
    assert 'name="context" rows="3" aria-invalid="true" aria-describedby="appeal-error"' in form
    assert not Appeal.objects.filter(review=review).exists()


def test_a_refused_appeal_decision_is_said_in_the_decision_form_with_the_dimension_marked(
        personas, client_for, released, in_window):  # noqa: F811
    review = review_of(released, personas.erin)
    appeal = services.file_appeal(review, actor=personas.erin, context="Leadership misses the incident reviews.")
    services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=olga())
    reviewer = client_for(olga())
    reason = "The incident reviews show the level's leadership, but not beyond it."
    refused = reviewer.post(f"/reviews/appeals/{appeal.pk}/decide/", {
        "decision": "changed", "new_leadership": "meets", "reason": reason, "citations": ""})
    assert refused["Location"].endswith("#form-decide")
    page = _follow(reviewer, refused)
    form = _form(page, "form-decide")
    assert ("An appeal can uphold or improve an outcome, never lower it: Leadership would go from Exceeds to "
            "Meets.") in form
    assert _flash_free(page, "never lower it")
    assert 'id="new_leadership" name="new_leadership" aria-invalid="true"' in form
    assert '<option value="meets" selected>Meets</option>' in form.split('id="new_leadership"')[1].split("</select>")[0]
    assert '<option value="changed" selected>Change</option>' in form
    assert f">{reason}</textarea>" in form
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.IN_REVIEW
    # Without a reason: the reason is the field marked.
    refused = reviewer.post(f"/reviews/appeals/{appeal.pk}/decide/", {"decision": "upheld", "reason": ""})
    form = _form(_follow(reviewer, refused), "form-decide")
    assert "Write why: every change records its reason." in form
    assert 'name="reason" rows="3" aria-invalid="true"' in form


def test_a_refused_narrative_keeps_what_the_manager_wrote_and_marks_the_readiness_reason(personas, client_for):
    from brightline.reviews.models import Phase
    from tests.reviews_helpers import advance_to, open_payments_cycle, train

    train(personas.mo)
    review = review_of(advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia),
                       personas.erin)
    mo = client_for(personas.mo)
    refused = mo.post(f"/reviews/r/{review.pk}/narrative/", {
        "summary": "Erin grew a lot this half.", "scope_growth": "Took the ledger on.",
        "promotion_readiness": "ready", "promotion_rationale": "Ready now."})
    assert refused["Location"].endswith("#form-narrative")
    form = _form(_follow(mo, refused), "form-narrative")
    assert ">Erin grew a lot this half.</textarea>" in form and ">Took the ledger on.</textarea>" in form
    assert '<option value="ready" selected>' in form
    assert 'name="promotion_rationale" rows="2" aria-invalid="true" aria-describedby="narrative-error">Ready now.' \
        in form
    review.refresh_from_db()
    assert review.manager_summary == ""


def test_a_conflict_declared_without_saying_what_it_is_is_refused_on_the_review_page(personas, client_for,
                                                                                    calibrating):
    oscar = client_for(personas.oscar)
    refused = oscar.post(f"/reviews/r/{calibrating.pk}/conflict/", {"note": " "})
    assert refused["Location"] == f"/reviews/r/{calibrating.pk}/#form-conflict"
    form = _form(_follow(oscar, refused), "form-conflict")
    assert "Say what the conflict is (a friend, a former report, …): nothing was recorded." in form
    assert 'name="note" value=" " aria-invalid="true"' in form
    assert not calibrating.conflicts.filter(panelist=personas.oscar).exists()
