"""Review pages for each persona: what each sees, what each may not, and the live narrative check."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from brightline.audit.models import AccessLog
from brightline.reviews import services
from brightline.reviews.models import ReviewCycle
from tests.reviews_helpers import SCHEDULE, cycle_in_calibration, olga, open_payments_cycle, pre_vote_all, review_of


def test_reviews_is_in_everyones_navigation(personas, client_for):
    page = client_for(personas.erin).get("/reviews/")
    assert page.status_code == 200 and b'href="/reviews/"' in page.content


def test_a_people_partner_opens_a_cycle_in_the_browser_form(personas, client_for):
    form = {"name": "2026 H2", "teams": ["payments"], **{f"ends_{k}": v for k, v in SCHEDULE.items()}}
    response = client_for(personas.pia).post("/reviews/cycles/new/", form)
    cycle = ReviewCycle.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reviews/cycles/{cycle.pk}/"
    page = client_for(personas.pia).get(response["Location"])
    assert b"for information only" in page.content and b"Advance to Self review and annotation" in page.content
    evidence_ends = dt.date.fromisoformat(SCHEDULE["evidence"])
    words = f"ends {evidence_ends.day} {evidence_ends:%b %Y}"
    assert words.encode() in page.content and f"ends {SCHEDULE['evidence']}".encode() not in page.content


def test_the_cycle_form_takes_the_typed_settings_and_shows_a_refusal(personas, client_for):
    schedule = {f"ends_{k}": v for k, v in SCHEDULE.items()}
    browser = client_for(personas.pia)
    page = browser.post("/reviews/cycles/new/", {"name": "x", "min_evidence_per_dimension": "9", "teams": "payments",
                                                 **schedule})
    assert page.status_code == 400 and b"a whole number from 1 to 5" in page.content
    assert b"no setting for quotas" in page.content
    # Nothing typed is lost: the dates and the ticked team are still on the form.
    assert f'value="{SCHEDULE["release"]}"'.encode() in page.content
    assert b'value="payments" checked' in page.content
    assert not ReviewCycle.objects.exists()
    browser.post("/reviews/cycles/new/", {"name": "x", "self_review_required": "on",
                                          "min_evidence_per_dimension": "3", **schedule})
    cycle = ReviewCycle.objects.get()
    assert cycle.self_review_required and cycle.min_evidence_per_dimension == 3


def test_the_cycle_form_shows_every_error_at_once_next_to_its_field(personas, client_for):
    """No name, a missing date, a phase ending before the one before it and a minimum out of range: all four are
    named at the top, each linked to its field, and each stands under its field, tied to it for screen readers."""
    schedule = {f"ends_{k}": v for k, v in SCHEDULE.items()}
    form = {**schedule, "name": "", "ends_evidence": "", "ends_calibration": "2026-10-01",
            "min_evidence_per_dimension": "9", "teams": "payments"}
    response = client_for(personas.pia).post("/reviews/cycles/new/", form)
    page = response.content.decode()
    assert response.status_code == 400 and not ReviewCycle.objects.exists()
    assert "Nothing was opened: 4 things to fix." in page
    for field in ("name", "ends_evidence", "ends_calibration", "min_evidence_per_dimension"):
        tag = re.search(rf'<input[^>]*id="{field}"[^>]*>', page)[0]
        assert 'aria-invalid="true"' in tag and f'aria-describedby="{field}-error"' in tag, tag
        assert re.search(rf'<p class="field-error" id="{field}-error">[^<]+</p>', page), field
        assert f'<a href="#{field}">' in page, field
    assert "Give the day the evidence phase ends." in page
    assert "Calibration would end on 1 Oct 2026, before Manager assessment ends (21 Oct 2026)" in page
    # The summary lists the problems in the order of the fields.
    links = re.findall(r'<li><a href="#(\w+)">', page)
    assert links == ["name", "ends_evidence", "ends_calibration", "min_evidence_per_dimension"], links
    assert "a whole number from 1 to 5" in page
    # A field with nothing wrong is not marked, and keeps what was typed.
    ok = re.search(r'<input[^>]*id="ends_release"[^>]*>', page)[0]
    assert "aria-invalid" not in ok and f'value="{SCHEDULE["release"]}"' in ok


def test_the_cycle_form_suggests_a_date_for_every_phase_in_order(personas, client_for):

    from django.utils import timezone

    page = client_for(personas.pia).get("/reviews/cycles/new/").content.decode()
    today = timezone.localdate()
    dates = [dt.date.fromisoformat(value) for value in re.findall(r'type="date" id="ends_\w+" name="ends_\w+" '
                                                                  r'value="([0-9-]+)"', page)]
    assert len(dates) == 7 and dates == sorted(dates) and dates[0] > today


def test_ending_a_phase_before_its_scheduled_end_asks_for_a_confirmation_first(personas, client_for):

    from django.utils import timezone

    ahead = timezone.localdate() + dt.timedelta(days=5)
    schedule = {phase: (ahead + dt.timedelta(days=7 * index)).isoformat() for index, phase in enumerate(SCHEDULE)}
    cycle = open_payments_cycle(personas, schedule=schedule)
    pia = client_for(personas.pia)
    assert "advancing before then asks you to confirm" in pia.get(f"/reviews/cycles/{cycle.pk}/").content.decode()
    asked = pia.post(f"/reviews/cycles/{cycle.pk}/advance/", {"to_phase": "self_review"})
    page = asked.content.decode()
    assert asked.status_code == 200 and "End evidence early?" in page and "5 days from today" in page
    assert 'name="confirm_early" value="yes"' in page and f'href="/reviews/cycles/{cycle.pk}/"' in page
    cycle.refresh_from_db()
    assert cycle.phase == "evidence"
    confirmed = pia.post(f"/reviews/cycles/{cycle.pk}/advance/", {"to_phase": "self_review", "confirm_early": "yes"})
    assert confirmed.status_code == 302
    cycle.refresh_from_db()
    assert cycle.phase == "self_review"


def test_a_phase_past_its_scheduled_end_advances_without_a_question(personas, client_for):
    cycle = open_payments_cycle(personas)  # SCHEDULE lies in the past
    assert client_for(personas.pia).post(f"/reviews/cycles/{cycle.pk}/advance/").status_code == 302
    cycle.refresh_from_db()
    assert cycle.phase == "self_review"


@pytest.mark.parametrize("persona", ["erin", "mo", "lee", "oscar"])
def test_only_people_partners_reach_cycle_admin_pages(personas, client_for, persona):
    cycle = open_payments_cycle(personas)
    browser = client_for(getattr(personas, persona))
    assert browser.get("/reviews/cycles/new/").status_code == 403
    assert browser.get(f"/reviews/cycles/{cycle.pk}/").status_code == 403
    assert browser.post(f"/reviews/cycles/{cycle.pk}/advance/").status_code in (302, 403)
    cycle.refresh_from_db()
    assert cycle.phase == "evidence"


@pytest.mark.parametrize("persona", ["pat", "oscar"])
def test_peers_and_outsiders_cannot_open_a_review_page(personas, client_for, persona):
    review = review_of(open_payments_cycle(personas), personas.erin)
    assert client_for(getattr(personas, persona)).get(f"/reviews/r/{review.pk}/").status_code == 403


def test_the_manager_page_reads_are_logged_and_show_the_live_check(personas, client_for):
    cycle = open_payments_cycle(personas)
    for _ in range(2):
        cycle = services.advance_cycle(cycle, actor=personas.pia)
    review = review_of(cycle, personas.erin)
    page = client_for(personas.mo).get(f"/reviews/r/{review.pk}/")
    assert page.status_code == 200
    assert b'hx-trigger="input changed delay:500ms"' in page.content and b"Engineer II expects" in page.content
    assert AccessLog.objects.filter(viewer=personas.mo, subject=personas.erin, record="reviews.review").exists()


def test_the_narrative_check_flags_vague_language(personas, client_for):
    fragment = client_for(personas.mo).post("/reviews/narrative-check/",
                                            {"rationale": "Great collaborator, needs to be more strategic."})
    assert fragment.status_code == 200 and b"Vague praise or criticism" in fragment.content


def test_the_employee_sees_no_outcome_before_release_but_may_pre_review_her_packet(personas, client_for):
    # She pre-reviews and annotates her packet before release (PRODUCT B6), so the packet page opens for
    # her; what stays closed until release is every outcome, proposed or calibrated (and the PDF).
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    page = client_for(personas.erin).get(f"/reviews/r/{review.pk}/")
    assert page.status_code == 200 and b"Outcome:" not in page.content
    packet = client_for(personas.erin).get(f"/reviews/r/{review.pk}/packet/")
    assert packet.status_code == 200 and b"Meets" not in packet.content and b"Proposed" not in packet.content
    assert client_for(personas.erin).get(f"/reviews/r/{review.pk}/packet.pdf").status_code == 403


def test_a_panelist_votes_in_the_browser_and_sees_no_spread_before_everyone_voted(personas, client_for):
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    browser = client_for(personas.oscar)
    # Nothing is chosen for the panelist: the form opens on "Choose…", and a vote missing a dimension records
    # nothing (a judgement never comes from a default).
    form = browser.get(f"/reviews/r/{review.pk}/").content.decode()
    assert 'name="vote_leadership" required><option value="" selected>Choose…</option>' in form
    assert 'value="meets" selected' not in form
    votes = {f"vote_{d}": "meets" for d in ("technical_excellence", "delivery_results", "judgment_communication")}
    refused = browser.post(f"/reviews/r/{review.pk}/pre-vote/", votes, follow=True).content.decode()
    assert "Choose your pre-vote for every dimension (Leadership not chosen): nothing was recorded." in refused
    assert not review.pre_votes.exists()
    votes["vote_leadership"] = "exceeds"
    browser.post(f"/reviews/r/{review.pk}/pre-vote/", votes)
    assert review.pre_votes.filter(panelist=personas.oscar).count() == 4
    page = browser.get(f"/reviews/r/{review.pk}/")
    assert 'value="exceeds" selected>Exceeds</option></select> <span class="muted">your vote so far' in \
        page.content.decode()
    assert b"1 of 2 eligible panelists have voted" in page.content and b"Spread of pre-votes" not in page.content
    pre_vote_all(review, [olga()])
    assert b"Spread of pre-votes" in browser.get(f"/reviews/r/{review.pk}/").content


def test_the_packet_page_and_pdf_render_for_the_manager(personas, client_for):
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    page = client_for(personas.mo).get(f"/reviews/r/{review.pk}/packet/")
    assert page.status_code == 200 and b"Role and level expectations" in page.content
    # Outcomes read as their labels, never as the stored keys.
    assessment = review.assessments.exclude(outcome="").first()
    html = page.content.decode()
    assert f"<td>{assessment.get_outcome_display()}</td>" in html and f"<td>{assessment.outcome}</td>" not in html
    pdf = client_for(personas.mo).get(f"/reviews/r/{review.pk}/packet.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_a_released_employee_acknowledges_and_appeals_in_the_browser(personas, client_for):
    cycle = cycle_in_calibration(personas)
    for review in cycle.reviews.all():
        pre_vote_all(review, services.eligible_panelists(review))
    cycle = services.advance_cycle(cycle, actor=personas.pia)
    client_for(personas.pia).post(f"/reviews/cycles/{cycle.pk}/memos/")
    cycle = services.advance_cycle(cycle, actor=personas.pia)
    review = review_of(cycle, personas.erin)
    browser = client_for(personas.erin)
    page = browser.get(f"/reviews/r/{review.pk}/")
    assert b"Decision memo" in page.content and b"Finally accountable: <strong>Lee Leader</strong>" in page.content
    browser.post(f"/reviews/r/{review.pk}/acknowledge/", {"comment": "Seen."})
    review.refresh_from_db()
    assert review.acknowledged_at is not None


def _assessment_review(personas):
    from brightline.reviews.models import Phase
    from tests.reviews_helpers import advance_to, train
    train(personas.mo)
    return review_of(advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia), personas.erin)


def test_an_unassessed_dimension_preselects_no_outcome_and_an_empty_choice_is_an_inline_error(personas, client_for):
    import re
    review = _assessment_review(personas)
    browser = client_for(personas.mo)
    page = browser.get(f"/reviews/r/{review.pk}/").content.decode()
    select = re.search(r'<select id="outcome-leadership"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
    chosen = [label for attrs, label in options if "selected" in attrs]
    assert chosen == ["Choose an outcome"], chosen  # the adverse outcome is never pre-selected
    assert 'value=""' in options[0][0]
    response = browser.post(f"/reviews/r/{review.pk}/assess/", {"dimension": "leadership", "outcome": "",
                                                                "rationale": "Steady."}, follow=True)
    text = response.content.decode()
    assert "Choose an outcome for Leadership" in text
    form = re.search(r'<form[^>]*id="form-dim-leadership".*?</form>', text, re.S).group(0)
    assert '<p class="error" role="alert" id="outcome-error-leadership">Choose an outcome for Leadership.</p>' in form
    assert 'aria-describedby="outcome-error-leadership"' in form
    assert review.assessments.get(dimension="leadership").proposed_outcome == ""


def test_blocking_submission_errors_name_every_missing_dimension_by_its_label(personas, client_for):
    review = _assessment_review(personas)
    services.save_assessment(review, actor=personas.mo, dimension="technical_excellence", outcome="meets",
                             rationale="Steady contributor.")
    response = client_for(personas.mo).post(f"/reviews/r/{review.pk}/submit/", follow=True)
    text = response.content.decode()
    assert "Technical excellence, Delivery results, Judgment and communication, Leadership" in text
    import re
    shown = re.findall(r'<p class="error" role="alert">(.*?)</p>', text, re.S)
    assert len(shown) == 1 and "judgment_communication" not in shown[0]
    assert "state promotion readiness" in shown[0]  # reported together with the missing dimensions


def test_the_assessing_manager_sees_the_evidence_to_cite_beside_the_form(personas, client_for):
    from datetime import timedelta

    from django.utils import timezone

    from brightline.evidence.models import EvidenceItem

    cycle = open_payments_cycle(personas)
    for _ in range(2):
        cycle = services.advance_cycle(cycle, actor=personas.pia)
    review = review_of(cycle, personas.erin)
    item = EvidenceItem.objects.create(kind="incident_handled", title="Led the response to the 502s",
                                       person=personas.erin, occurred_at=timezone.now() - timedelta(days=3),
                                       source="manual", source_ref="502s")
    html = client_for(personas.mo).get(f"/reviews/r/{review.pk}/").content.decode()
    evidence = html[html.index('id="dims-h"'):html.index('id="form-dim-')]
    assert "Evidence about Erin Employee's work, with the number to cite it by" in evidence
    assert "Incident handled: Led the response to the 502s" in evidence
    assert f'cite as <span class="tag">[E:{item.pk}]</span>' in evidence
    assert "cite items by the number beside them in the list above" in html
    assert AccessLog.objects.filter(viewer=personas.mo, subject=personas.erin, record="evidence.items").exists()


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style).*?</\1>", " ", html, flags=re.S)))


def test_the_assessing_manager_cites_an_accomplishment_by_its_title_not_by_a_typed_id(personas, client_for):
    """Session 12 first-use task: the field asked for "accomplishment:4 or signal:7", numbers shown nowhere."""
    from brightline.feedback.models import Accomplishment

    review = _assessment_review(personas)
    done = Accomplishment.objects.create(person=personas.erin, period="2026-H2", title="Stopped duplicate card charges",
                                         situation="s", action="a", result="r", impact="i", impact_level="execution")
    browser = client_for(personas.mo)
    html = browser.get(f"/reviews/r/{review.pk}/").content.decode()
    form = re.search(r'<form[^>]*id="form-dim-leadership".*?</form>', html, re.S).group(0)
    assert "accomplishment:4" not in _visible(form) and "signal:7" not in _visible(form)
    assert (f'<input type="checkbox" name="citations" value="accomplishment:{done.pk}"> '
            "Accomplishment: Stopped duplicate card charges") in form
    browser.post(f"/reviews/r/{review.pk}/assess/", {"dimension": "leadership", "outcome": "meets",
                                                      "rationale": "Steady.",
                                                      "citations": [f"accomplishment:{done.pk}"]})
    assert f"accomplishment:{done.pk}" in review.assessments.get(dimension="leadership").citations
    cited = _visible(browser.get(f"/reviews/r/{review.pk}/").content.decode())
    assert "Cited: Accomplishment: Stopped duplicate card charges" in cited
    assert f"accomplishment {done.pk}" not in cited
    # The level reads by its title on the form, never by its code alone.
    assert f"against {review.level.next_level().title}" in _visible(html)


def test_the_packet_names_how_items_came_in_and_the_level_in_words(personas, client_for):
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    assert review.packet_items.exists()
    html = client_for(personas.mo).get(f"/reviews/r/{review.pk}/packet/").content.decode()
    text = unescape(_visible(html))
    vias = set(review.packet_items.values_list("via", flat=True))
    assert vias and not [via for via in vias if f"<td>{via}</td>" in html], vias  # no stored key in the Via column
    if "assessment" in vias:
        assert "The manager's assessment" in text
    assert f"Level: {review.level.title} ·" in text and f"{review.level.code} " not in text
    assert "workload class" not in text
