"""Advancing a cycle from the browser: what the confirmation names before an irreversible move, and what a
reload of its address does."""

from __future__ import annotations

import json
from html import unescape

from brightline.audit.models import AuditEntry
from brightline.reviews.models import Phase
from tests.reviews_helpers import cycle_in_calibration, olga, open_payments_cycle, pre_vote_all, review_of


def text_of(response) -> str:
    return unescape(response.content.decode())


def test_leaving_calibration_names_the_people_the_panel_never_weighed_and_the_audit_keeps_them(personas,
                                                                                                client_for):
    cycle = cycle_in_calibration(personas)
    people = cycle.reviews.count()
    pre_vote_all(review_of(cycle, personas.erin), [personas.oscar, olga()])
    pia = client_for(personas.pia)
    asked = pia.post(f"/reviews/cycles/{cycle.pk}/advance/", {"to_phase": "decision_memo"})
    page = text_of(asked)
    assert asked.status_code == 200 and "Move on to decision memo with work unfinished?" in page
    assert f"{people - 1} of {people} people have no pre-vote from any panelist" in page
    assert personas.pat.name in page and personas.mo.name in page
    assert "proposed outcomes to the decision memo unchanged, never weighed by the panel" in page
    assert 'name="confirm_early" value="yes"' in page  # warned, not refused
    assert type(cycle).objects.get(pk=cycle.pk).phase == Phase.CALIBRATION
    confirmed = pia.post(f"/reviews/cycles/{cycle.pk}/advance/", {"to_phase": "decision_memo", "confirm_early": "yes"})
    assert confirmed.status_code == 302 and type(cycle).objects.get(pk=cycle.pk).phase == Phase.DECISION_MEMO
    entry = AuditEntry.objects.filter(action="reviews.cycle.advanced").last()
    recorded = json.loads(entry.data_json)["uncalibrated_reviews"]
    assert sorted(recorded) == sorted(cycle.reviews.exclude(person=personas.erin).values_list("pk", flat=True))


def test_calibration_with_every_person_weighed_asks_nothing_about_them(personas, client_for):
    cycle = cycle_in_calibration(personas)
    for review in cycle.reviews.all():
        pre_vote_all(review, [personas.oscar])
    page = text_of(client_for(personas.pia).get(f"/reviews/cycles/{cycle.pk}/"))
    assert "no pre-vote from any panelist" not in page


def test_reloading_the_confirmation_shows_it_again_and_never_advances(personas, client_for):
    cycle = cycle_in_calibration(personas)
    pia = client_for(personas.pia)
    reloaded = pia.get(f"/reviews/cycles/{cycle.pk}/advance/")
    assert reloaded.status_code == 200 and "Move on to decision memo with work unfinished?" in text_of(reloaded)
    cycle.refresh_from_db()
    assert cycle.phase == Phase.CALIBRATION


def test_opening_the_advance_address_with_nothing_to_confirm_goes_back_to_the_cycle(personas, client_for):
    cycle = open_payments_cycle(personas)  # its schedule lies in the past and evidence has nothing unfinished
    opened = client_for(personas.pia).get(f"/reviews/cycles/{cycle.pk}/advance/")
    assert opened.status_code == 302 and opened["Location"] == f"/reviews/cycles/{cycle.pk}/"
    cycle.refresh_from_db()
    assert cycle.phase == Phase.EVIDENCE


def test_only_people_partners_open_the_advance_address(personas, client_for):
    cycle = open_payments_cycle(personas)
    assert client_for(personas.mo).get(f"/reviews/cycles/{cycle.pk}/advance/").status_code == 403


def test_a_step_advanced_before_its_scheduled_end_reads_closed_early_never_ended_in_the_future(personas,
                                                                                              client_for):
    import datetime as dt

    from django.utils import timezone

    from brightline.reviews import services
    from tests.reviews_helpers import SCHEDULE

    today = timezone.localdate()
    ahead = today + dt.timedelta(days=5)
    schedule = {phase: (ahead + dt.timedelta(days=7 * index)).isoformat() for index, phase in enumerate(SCHEDULE)}
    cycle = services.advance_cycle(open_payments_cycle(personas, schedule=schedule), actor=personas.pia)
    page = text_of(client_for(personas.erin).get(f"/reviews/r/{review_of(cycle, personas.erin).pk}/"))
    scheduled = f"{ahead.day} {ahead:%b %Y}"
    assert f"Evidence, closed early on {today.day} {today:%b %Y} (scheduled until {scheduled})" in page
    assert f"ended {scheduled}" not in page


def test_the_seated_panel_stays_chosen_in_the_chooser_and_one_who_cannot_sign_in_is_named_with_the_way_in(
        personas, client_for):
    olga_person = olga()
    olga_person.user.set_unusable_password()  # seated, but no password chosen yet and no single sign-on
    olga_person.user.save()
    cycle = open_payments_cycle(personas)
    pia = client_for(personas.pia)
    seated = pia.post(f"/reviews/cycles/{cycle.pk}/panel/",
                      {"members": [personas.lee.pk, personas.oscar.pk, olga_person.pk]}, follow=True)
    page = text_of(seated)
    assert "Panel seated." in page
    assert "Olga Othermanager cannot sign in yet, so that person could not vote" in page
    assert f'href="/people/{olga_person.pk}/account/"' in page and "send Olga Othermanager an invitation" in page
    assert "Lee Leader cannot sign in" not in page and "Oscar Outsider cannot sign in" not in page
    for person in (personas.lee, personas.oscar, olga_person):
        assert f'<option value="{person.pk}" selected>' in page
    assert f'<option value="{personas.erin.pk}">' in page
    assert "Seated now (3):" in page


def _in_assessment(personas):
    from tests.reviews_helpers import advance_to, train

    train(personas.mo)
    cycle = advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia)
    return review_of(cycle, personas.erin)


def test_the_manager_reads_the_persons_packet_notes_where_the_assessment_is_written(personas, client_for):
    from brightline.reviews.services import preview

    review = _in_assessment(personas)
    preview.annotate_packet(review, actor=personas.erin, section="self_review",
                            body="The quote cache work is in the second half of my self review.")
    page = text_of(client_for(personas.mo).get(f"/reviews/r/{review.pk}/"))
    notes = page.split('id="person-notes"')[1].split("</section>")[0]
    assert "Notes from Erin Employee on the packet" in notes
    assert "The quote cache work is in the second half of my self review." in notes
    assert "The self review" in notes and "My self review" not in notes
    # Above the forms the manager fills in, not only on the separate packet page.
    assert page.index('id="person-notes"') < page.index('id="form-narrative"')
    assert 'id="person-notes"' not in text_of(client_for(personas.erin).get(f"/reviews/r/{review.pk}/"))


def test_a_refused_narrative_says_why_beside_its_form_not_at_the_top_of_the_page(personas, client_for):
    review = _in_assessment(personas)
    mo = client_for(personas.mo)
    refused = mo.post(f"/reviews/r/{review.pk}/narrative/", {
        "summary": "Erin grew a lot this half.", "promotion_readiness": "ready",
        "promotion_rationale": "Ready now."})
    assert refused.status_code == 302 and refused["Location"].endswith("#form-narrative")
    page = text_of(mo.get(refused["Location"]))
    form = page.split('id="form-narrative"')[1].split("</form>")[0]
    assert "'ready for promotion' means next-level behaviours shown consistently" in form
    assert page.count("'ready for promotion' means") == 1  # beside the form only, not also in a banner at the top
