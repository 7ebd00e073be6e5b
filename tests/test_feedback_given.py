"""Feedback given without a request, and the colleague chooser that the request form and "Give feedback" share.

Given feedback is read, checked, cited and kept as an answered request is: the recipient and their management
chain read it, its writer reads it back, the tone and narrative checks run on it, and it reaches a packet only by
an explicit citation.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from brightline.audit.models import AuditEntry
from brightline.feedback import colleagues, services
from brightline.feedback.models import FeedbackInvitation, FeedbackRequest, FeedbackResponse

pytestmark = pytest.mark.django_db

POLITE = {"context": "The payout retry design review",
          "what_they_did": "Erin listed each objection to the retry design in the review notes.",
          "impact": "Three teams agreed the order of the migration in one meeting.",
          "one_thing_to_grow": "Share the draft a week before the review, so people can read it first."}
HOSTILE = "This is fucking garbage code, what the hell were you thinking"


def _give(browser, recipient, **changes):
    return browser.post(f"/growth/give/{recipient.pk}/", {**POLITE, **changes})


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


# --- giving feedback ------------------------------------------------------------------------------------------


def test_a_manager_gives_his_report_feedback_unasked_and_it_is_kept_as_an_answered_request(personas, client_for):
    response = _give(client_for(personas.mo), personas.erin)
    assert response.status_code == 302 and response.url.startswith("/growth/inbox/")
    given = FeedbackRequest.objects.get(given=True)
    assert (given.subject, given.requested_by, given.anonymous, given.is_open) == (
        personas.erin, personas.mo, False, False)
    answer = FeedbackResponse.objects.get(request=given)
    assert answer.invitation.respondent == personas.mo and answer.relationship == "manager"
    assert answer.submitted_at is not None and answer.tone_label == "ok"
    assert answer.invitation.status == FeedbackInvitation.Status.SUBMITTED
    entry = AuditEntry.objects.get(action="feedback.unasked_feedback.given")
    assert entry.actor_id == personas.mo.pk and entry.data["relationship"] == "manager"
    assert entry.data["request"] == given.pk and entry.data["tone_label"] == "ok"
    # Nothing waits for the writer: the given feedback is not a request to answer.
    assert not services.invitations_for(personas.mo).filter(status="pending").exists()


def test_the_recipient_and_their_chain_read_it_and_nobody_else_does(personas, client_for):
    _give(client_for(personas.pat), personas.erin)
    given = FeedbackRequest.objects.get(given=True)
    growth = _text(client_for(personas.erin).get("/growth/"))
    assert "Given by Pat Peer without a request" in growth and "The payout retry design review" in growth
    for reader in (personas.erin, personas.mo, personas.lee):
        page = client_for(reader).get(f"/growth/requests/{given.pk}/")
        assert page.status_code == 200, reader
        assert POLITE["what_they_did"] in _text(page) and "Pat Peer" in _text(page)
    for outsider in (personas.oscar, personas.pia):
        assert client_for(outsider).get(f"/growth/requests/{given.pk}/").status_code == 403
    # The writer reads back what they sent, and it is not listed as a request to them.
    inbox = _text(client_for(personas.pat).get("/growth/inbox/"))
    assert "To Erin Employee" in inbox and "given without a request" in inbox and POLITE["impact"] in inbox
    assert "Nobody has asked you for feedback." in inbox


def test_nobody_gives_feedback_to_themself_or_to_someone_who_has_left(personas, client_for):
    assert _give(client_for(personas.erin), personas.erin).status_code == 403
    assert client_for(personas.erin).get(f"/growth/give/{personas.erin.pk}/").status_code == 403
    with pytest.raises(services.NotAllowed):
        services.give_feedback(actor=personas.erin, recipient=personas.erin,
                               data=services.ResponseInput("a", "b", "c"))
    personas.oscar.is_active = False
    personas.oscar.save()
    assert _give(client_for(personas.erin), personas.oscar).status_code == 403
    assert not FeedbackRequest.objects.exists() and not AuditEntry.objects.filter(
        action="feedback.unasked_feedback.given").exists()


def test_anyone_in_the_organisation_may_give_feedback_to_a_colleague_outside_their_team(personas, client_for):
    assert _give(client_for(personas.oscar), personas.erin).status_code == 302
    assert FeedbackResponse.objects.get().relationship == "stakeholder"
    assert _give(client_for(personas.erin), personas.mo).status_code == 302
    assert FeedbackResponse.objects.get(request__subject=personas.mo).relationship == "report"
    assert _give(client_for(personas.erin), personas.pat).status_code == 302
    assert FeedbackResponse.objects.get(request__subject=personas.pat).relationship == "peer"


def test_the_form_needs_a_csrf_token(personas, client_for):
    strict = client_for(personas.mo, enforce_csrf_checks=True)
    assert _give(strict, personas.erin).status_code == 403
    assert not FeedbackRequest.objects.exists()


def test_all_three_prompts_are_answered_and_a_double_click_sends_once(personas, client_for):
    mo = client_for(personas.mo)
    missing = _give(mo, personas.erin, impact="")
    assert missing.status_code == 200 and not FeedbackRequest.objects.exists()
    assert _give(mo, personas.erin).status_code == 302
    again = _give(mo, personas.erin)
    assert again.status_code == 200 and "you have just sent this feedback to Erin Employee" in _text(again)
    assert FeedbackResponse.objects.count() == 1


def test_the_tone_check_flags_hostile_feedback_and_the_writer_decides(personas, client_for):
    mo = client_for(personas.mo)
    flagged = _give(mo, personas.erin, what_they_did=HOSTILE)
    assert flagged.status_code == 200 and "Tone check:" in _text(flagged) and "Send as written" in _text(flagged)
    assert "“What did they do?”" in _text(flagged)  # the field by its label, never its key
    assert not FeedbackResponse.objects.exists()
    sent = _give(mo, personas.erin, what_they_did=HOSTILE, send_despite_tone="on")
    assert sent.status_code == 302
    stored = FeedbackResponse.objects.get()
    assert stored.what_they_did == HOSTILE and stored.tone_label == "toxic" and stored.tone_flag_acknowledged


def test_the_form_runs_the_same_live_narrative_checks_as_an_answer_to_a_request(personas, client_for):
    page = client_for(personas.mo).get(f"/growth/give/{personas.erin.pk}/").content.decode()
    for name in ("what_they_did", "impact", "one_thing_to_grow"):
        field = re.search(rf'<textarea[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'hx-post="/growth/check/"' in field and "&quot;kind&quot;: &quot;feedback&quot;" in field
        assert f'id="flags-{name}"' in page
    flags = client_for(personas.mo).post("/growth/check/", {"kind": "feedback", "field": "what_they_did",
                                                             "what_they_did": "Great job."})
    assert "Vague" in flags.content.decode()


def test_given_feedback_is_cited_in_a_packet_only_as_an_answered_one_is(personas):
    from brightline.reviews.packet_items import CitationError, Reference, resolve

    answer = services.give_feedback(actor=personas.pat, recipient=personas.erin,
                                    data=services.ResponseInput(*list(POLITE.values())[1:]))
    reference = Reference("feedback_response", str(answer.pk))
    assert resolve(reference, person=personas.erin, viewer=personas.mo) == answer
    with pytest.raises(CitationError):
        resolve(reference, person=personas.erin, viewer=personas.oscar)
    with pytest.raises(CitationError):
        resolve(reference, person=personas.pat, viewer=personas.mo)
    assert services.is_response_released(answer)


# --- the colleague chooser ------------------------------------------------------------------------------------


def _reviewed(author, reviewer, times=1):
    from brightline.evidence.models import CodeReview, PullRequest, Service

    service, _ = Service.objects.get_or_create(name="payments-api", defaults={"team": author.team})
    now = timezone.now()
    for number in range(times):
        pull = PullRequest.objects.create(
            service=service, source="github", external_id=f"acme/pay#{author.pk}{reviewer.pk}{number}",
            number=number + 1, title="Retry payouts", author=author.name, person=author, state="merged",
            opened_at=now - timedelta(days=3), updated_at=now)
        CodeReview.objects.create(pull_request=pull, reviewer=reviewer.name, person=reviewer, state="approved",
                                  submitted_at=now - timedelta(days=2), source="github",
                                  external_id=f"review-{pull.pk}")


@pytest.fixture
def crowd(personas, organisation):
    """Sixty more people in another team, named so the alphabet would put them before Erin's teammates."""
    from brightline.people.models import Person, Team

    team = Team.objects.create(organisation=organisation, slug="atlas", name="Atlas")
    people = [Person(organisation=organisation, employee_id=f"A-{n:03d}", name=f"Aaron Abbott {n:03d}",
                     email=f"aaron{n:03d}@example.org", team=team) for n in range(60)]
    Person.objects.bulk_create(people)
    return list(Person.objects.filter(team=team).order_by("name"))


def test_the_people_who_work_with_someone_come_first_and_why(personas, crowd):
    _reviewed(personas.erin, personas.oscar, times=3)
    offered = colleagues.suggestions(personas.erin, viewer=personas.erin)
    assert [(item.person.name, item.reason) for item in offered] == [
        ("Mo Manager", "your team"), ("Pat Peer", "your team"),
        ("Oscar Outsider", "reviews code with you (3 reviews this year)")]
    # A manager asking about his report reads the report's colleagues, not his own.
    about_erin = colleagues.suggestions(personas.erin, viewer=personas.mo)
    assert [item.reason for item in about_erin][:2] == ["on Erin Employee's team"] * 2
    assert "reviews code with Erin Employee (3 reviews this year)" in [item.reason for item in about_erin]


def test_the_manager_s_other_reports_and_one_s_own_reports_are_offered(personas, crowd):
    from brightline.people.models import Person

    # Oscar's manager Olga has a report on another team, and Olga's own report list is offered to her.
    remote = Person.objects.create(organisation=personas.oscar.organisation, employee_id="E-rem", name="Remy Remote",
                                   email="remy@example.org", manager=personas.oscar.manager, team=crowd[0].team)
    offered = {item.person.name: item.reason for item in colleagues.suggestions(personas.oscar, viewer=personas.oscar)}
    assert offered["Remy Remote"] == "also reports to Olga Othermanager"
    assert offered["Olga Othermanager"] == "your team"
    olga = personas.oscar.manager
    mine = {item.person.name: item.reason for item in colleagues.suggestions(olga, viewer=olga)}
    # A manager's own reports come first, named as such, though one of them is also on her team.
    assert list(mine.items())[:2] == [("Oscar Outsider", "reports to you"), ("Remy Remote", "reports to you")]
    assert remote.pk not in {item.person.pk for item in colleagues.suggestions(personas.erin, viewer=personas.erin)}


def test_the_search_reads_a_page_of_matches_whatever_the_organisation_s_size(personas, crowd):
    found, total = colleagues.search("abbott")
    assert total == 60 and len(found) == colleagues.SEARCH_SHOWN
    assert [p.name for p in found] == [p.name for p in crowd[:colleagues.SEARCH_SHOWN]]
    found, total = colleagues.search("abbott 04")  # every word anywhere in the name: 040 to 049, and 004
    assert total == 11 and {p.name for p in found} == {f"Aaron Abbott 04{n}" for n in range(10)} | {
        "Aaron Abbott 004"}
    assert colleagues.search("atlas 059")[1] == 1  # by team name and name together
    assert colleagues.search("   ") == ([], 0)
    crowd[5].is_active = False
    crowd[5].save()
    assert colleagues.search("abbott 005")[1] == 0


def test_the_request_form_offers_colleagues_first_and_never_lists_the_whole_organisation(personas, crowd, client_for):
    page = _text(client_for(personas.erin).get(f"/growth/{personas.erin.pk}/requests/new/"))
    assert "Pat Peer" in page and "your team" in page
    assert "Aaron Abbott" not in page  # the crowd is found by searching, never listed
    assert "Also ask Mo Manager, Erin Employee's manager" in page
    results = client_for(personas.erin).get("/growth/people/", {"mode": "ask", "about": personas.erin.pk,
                                                                 "q": "abbott 01", "people": [crowd[3].pk]})
    text = _text(results)
    assert "11 people match “abbott 01”" in text  # 010 to 019, and 001
    assert len(re.findall(r'name="people"', text)) == 12  # the matches and the one chosen from an earlier search
    assert re.search(rf'value="{crowd[3].pk}" checked', results.content.decode())
    # A search for a name on the suggested list points back to it instead of offering a second box.
    listed = _text(client_for(personas.erin).get("/growth/people/", {"mode": "ask", "about": personas.erin.pk,
                                                                      "q": "pat"}))
    assert re.search(r"<li>Pat Peer .*— listed above</span></li>", listed) and 'name="people"' not in listed


def test_the_search_about_someone_is_refused_to_whoever_may_not_ask_about_them(personas, client_for):
    refused = client_for(personas.oscar).get("/growth/people/", {"mode": "ask", "about": personas.erin.pk, "q": "p"})
    assert refused.status_code == 403 and "Erin" not in refused.content.decode()
    allowed = client_for(personas.mo).get("/growth/people/", {"mode": "ask", "about": personas.erin.pk, "q": "pat"})
    assert allowed.status_code == 200


def test_choosing_people_works_out_each_relationship(personas, client_for):
    response = client_for(personas.erin).post(f"/growth/{personas.erin.pk}/requests/new/", {
        "context": "The ledger design", "people": [personas.pat.pk, personas.oscar.pk], "include_manager": "on"})
    assert response.status_code == 302
    invited = dict(FeedbackInvitation.objects.values_list("respondent__name", "relationship"))
    assert invited == {"Pat Peer": "peer", "Oscar Outsider": "stakeholder", "Mo Manager": "manager"}


def test_give_feedback_starts_from_the_people_one_works_with_and_a_search(personas, crowd, client_for):
    start = _text(client_for(personas.erin).get("/growth/give/"))
    assert "Pat Peer" in start and "Mo Manager" in start and "Aaron Abbott" not in start
    assert "Erin Employee · Payments" not in start  # never oneself
    assert f'href="/growth/give/{personas.pat.pk}/"' in client_for(personas.erin).get("/growth/give/").content.decode()
    searched = client_for(personas.erin).get("/growth/give/", {"q": "abbott 059"})
    assert f'href="/growth/give/{crowd[59].pk}/"' in searched.content.decode()
    fragment = client_for(personas.erin).get("/growth/people/", {"mode": "give", "q": "erin"})
    assert "Nobody matches" in _text(fragment)  # the viewer is not offered to themself
    assert "Give feedback" in _text(client_for(personas.erin).get("/growth/inbox/"))
    growth = client_for(personas.mo).get(f"/growth/{personas.erin.pk}/").content.decode()
    assert f'href="/growth/give/{personas.erin.pk}/"' in growth


def test_the_api_gives_feedback_under_the_same_rules(personas, client_for):
    body = {"recipient_id": personas.erin.pk, **POLITE}
    created = client_for(personas.pat).post("/api/feedback/given", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["tone_label"] == "ok"
    listed = client_for(personas.erin).get(f"/api/feedback/requests/{created.json()['request_id']}").json()
    assert listed["given"] is True and listed["responses"][0]["respondent"] == "Pat Peer"
    assert client_for(personas.oscar).get(f"/api/feedback/requests/{listed['id']}").status_code == 403
    own = client_for(personas.erin).post("/api/feedback/given", body, content_type="application/json")
    assert own.status_code == 403
    hostile = client_for(personas.mo).post("/api/feedback/given", {**body, "what_they_did": HOSTILE},
                                           content_type="application/json")
    assert hostile.status_code == 409 and hostile.json()["flagged_fields"] == ["what_they_did"]
    assert FeedbackResponse.objects.count() == 1
