"""A person downloads everything Brightline holds about them that they may see, and the download is audited."""

from __future__ import annotations

import json
from datetime import date

import pytest

from brightline.audit.services import record_access
from brightline.feedback.services import (
    ResponseInput,
    record_one_on_one_note,
    request_feedback,
    submit_feedback_response,
)
from brightline.operations.data_rights import EXPORT_ACTION, export_personal_data
from tests.conftest import audit_actions


def answer(person, feedback_request, text: str) -> None:
    invitation = feedback_request.invitations.get(respondent=person)
    submit_feedback_response(actor=person, invitation=invitation, send_despite_tone=True,
                             data=ResponseInput(what_they_did=text, impact=f"{text} impact",
                                                one_thing_to_grow=f"{text} growth"))


@pytest.fixture
def record(personas):
    p = personas
    attributed = request_feedback(actor=p.erin, subject=p.erin, respondents=[(p.pat, "peer")], context="Payments API")
    answer(p.pat, attributed, "Pat wrote this with his name")
    anonymous = request_feedback(actor=p.erin, subject=p.erin, context="Quarter", anonymous=True,
                                 respondents=[(p.pat, "peer"), (p.mo, "manager"), (p.lee, "stakeholder")])
    answer(p.pat, anonymous, "Pat anonymous answer")
    answer(p.mo, anonymous, "Mo anonymous answer")  # two answers: fewer than three, so none is released
    record_one_on_one_note(actor=p.mo, person=p.erin, held_on=date(2026, 3, 2), body="Erin and Mo talked about goals")
    oscar_manager = p.oscar.manager
    record_one_on_one_note(actor=oscar_manager, person=p.oscar, held_on=date(2026, 3, 2), body="Oscar private note")
    record_access(p.mo, p.erin, "people.record", via="web")
    return p


@pytest.mark.django_db
def test_the_export_holds_what_the_person_may_see_and_nothing_of_anyone_else(record):
    data = export_personal_data(record.erin)
    text = json.dumps(data)
    assert data["person"]["name"] == "Erin Employee" and data["person"]["manager"] == "Mo Manager"
    attributed, anonymous = data["feedback_about_you"]
    assert [answer["respondent"] for answer in attributed["answers"]] == ["Pat Peer"]
    assert attributed["answers"][0]["what_they_did"] == "Pat wrote this with his name"
    assert (anonymous["answers"], anonymous["answers_not_yet_released"]) == ([], 2)
    assert "anonymous answer" not in text  # withheld until three answers are in
    assert [note["body"] for note in data["one_on_one_notes"]] == ["Erin and Mo talked about goals"]
    assert "Oscar private note" not in text
    assert [(entry["viewer_label"], entry["record"]) for entry in data["access_log"]] == \
        [("Mo Manager <mo@example.org>", "people.record")]


@pytest.mark.django_db
def test_coaching_prompt_decisions_are_in_the_export_of_the_person_they_are_about_and_of_their_manager(record,
                                                                                                      client_for):
    """Done or not now on a coaching prompt, in words (never the stored keys of the prompt and its facts), in the
    export of the report it is about and of the manager who marked it; nobody else's export holds it."""
    from datetime import UTC, datetime

    from brightline.dashboards.models import CoachingPromptDecision
    from brightline.insights.models import Signal, SignalKind

    p = record
    signal = Signal.objects.create(
        kind=SignalKind.THEME, key="t", person=p.erin, window_start=date(2026, 6, 1), window_end=date(2026, 11, 30),
        statement="Colleagues describe clear design write-ups.", rule="r", cannot_infer="c",
        confidence_label="stable", confidence_agreement="single_layer", model_name="m", model_version="1",
        content_hash="t", status="accepted", reviewed_by=p.mo)
    at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    for subject, team, key, facts, outcome in (
            (p.erin, None, "outside_hours", ["outside_hours>=0.1", "outside_hours>=0.2"], "not_now"),
            (p.erin, None, "thin_evidence", ["dimension:leadership"], "done"),
            (p.erin, None, f"signal:{signal.pk}", [f"signal:{signal.pk}"], "done"),
            (p.pat, None, "on_call_uncited", ["pages>=1", "pages>=3"], "done"),
            (None, p.erin.team, "team_outside_hours", ["outside_hours>=0.1"], "not_now")):
        CoachingPromptDecision.objects.create(manager=p.mo, person=subject, team=team, prompt=key, facts=facts,
                                              outcome=outcome, decided_at=at)
    erin = export_personal_data(p.erin)
    assert erin["coaching_prompts_you_marked"] == []
    about = erin["coaching_prompts_about_you"]
    assert [(row["prompt"], row["decision"], row["about"], row["marked_by"]) for row in about] == [
        ("Work outside the person's own working hours", "Not now", "Erin Employee", "Mo Manager"),
        ("Evidence is thin: parts of the ladder with nothing recorded", "Done", "Erin Employee", "Mo Manager"),
        ("An AI signal the manager accepted, to bring to a one-to-one", "Done", "Erin Employee", "Mo Manager")]
    assert [row["raised_by"] for row in about] == [
        ["work outside own working hours reached 10 %", "work outside own working hours reached 20 %"],
        ["nothing recorded shows leadership"],
        ["the AI signal: Colleagues describe clear design write-ups."]]
    assert about[0]["decided_at"].startswith("2026-11-02T09:30")
    text = json.dumps(about)
    assert not any(key in text for key in ("outside_hours", "not_now", "dimension:", f"signal:{signal.pk}",
                                           "thin_evidence"))
    # The manager's export holds every decision they made, each naming whom or which team it was about.
    marked = export_personal_data(p.mo)["coaching_prompts_you_marked"]
    assert [row["about"] for row in marked] == ["Erin Employee"] * 3 + ["Pat Peer", p.erin.team.name]
    assert marked[3]["raised_by"] == ["on-call pages outside working hours reached 1",
                                      "on-call pages outside working hours reached 3"]
    assert export_personal_data(p.lee)["coaching_prompts_about_you"] == []
    # The page lists the part with its count before the download.
    page = client_for(p.erin).get("/me/data/").content.decode()
    assert "<td>Coaching prompts about you</td><td>3</td>" in page


@pytest.mark.django_db
def test_a_respondent_gets_their_attributed_answers_but_no_anonymous_one_is_linked_to_them(record):
    data = export_personal_data(record.pat)
    given = {entry["anonymous"]: entry for entry in data["feedback_you_gave"]}
    assert given[False]["answer"]["what_they_did"] == "Pat wrote this with his name"
    assert "answer" not in given[True] and given[True]["status"] == "Answered"
    assert "Pat anonymous answer" not in json.dumps(data)


@pytest.mark.django_db
def test_the_page_shows_what_is_held_and_the_download_is_a_json_file_written_to_the_audit_trail(record, client_for):
    browser = client_for(record.erin, enforce_csrf_checks=True)
    page = browser.get("/me/data/")
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    assert b"One on one notes" in page.content and EXPORT_ACTION not in audit_actions()
    refused = browser.post("/me/data/")  # no CSRF token
    assert refused.status_code == 403 and EXPORT_ACTION not in audit_actions()
    download = browser.post("/me/data/", {"csrfmiddlewaretoken": page.context["csrf_token"]})
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    assert download["Cache-Control"] == "private, no-store"
    assert download.json()["person"]["email"] == "erin@example.org"
    assert audit_actions()[-1] == EXPORT_ACTION


@pytest.mark.django_db
def test_the_api_gives_the_same_export_to_the_person_behind_the_session(record, client_for):
    response = client_for(record.pat).get("/api/me/data")
    assert response.status_code == 200
    assert response.json()["person"]["name"] == "Pat Peer"
    assert audit_actions()[-1] == EXPORT_ACTION


@pytest.mark.django_db
def test_review_outcomes_and_the_memo_are_in_the_export_only_once_released(personas):
    from brightline.reviews import services
    from brightline.reviews.services.preview import annotate_packet
    from tests.reviews_helpers import cycle_in_calibration, pre_vote_all, review_of

    cycle = cycle_in_calibration(personas)
    annotate_packet(review_of(cycle, personas.erin), actor=personas.erin, section="packet", body="My note.")
    [before] = export_personal_data(personas.erin)["reviews"]
    assert before["cycle"] == str(cycle)
    assert [note["body"] for note in before["packet_notes"]] == ["My note."]
    assert "dimensions" not in before and "manager_summary" not in before and "decision_memo" not in before
    for review in cycle.reviews.all():
        pre_vote_all(review, services.eligible_panelists(review))
    cycle = services.advance_cycle(cycle, actor=personas.pia)
    for review in cycle.reviews.all():
        services.generate_decision_memo(review, actor=personas.pia, accountable=personas.lee)
    services.advance_cycle(cycle, actor=personas.pia)
    [after] = export_personal_data(personas.erin)["reviews"]
    erin = review_of(cycle, personas.erin)
    assert after["manager_summary"] == erin.manager_summary and after["manager"] == "Mo Manager"
    assert [dimension["outcome"] for dimension in after["dimensions"]] == \
        [assessment.get_outcome_display() for assessment in erin.assessments.order_by("pk")]
    assert len(after["dimensions"]) == erin.assessments.count() > 0
    assert after["decision_memo"] == erin.memo.sections and after["appeals"] == []
    assert "prevote" not in json.dumps(after).lower()


@pytest.mark.django_db
def test_the_printable_copy_is_a_pdf_of_the_same_record_and_is_audited(record, client_for):
    from brightline.audit.models import AuditEntry
    from brightline.operations.data_rights import render_export_pdf

    browser = client_for(record.erin)
    pdf = browser.post("/me/data/", {"format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"].endswith('.pdf"') and pdf["Cache-Control"] == "private, no-store"
    entry = AuditEntry.objects.filter(action=EXPORT_ACTION).get()
    assert json.loads(entry.data_json)["format"] == "pdf"
    assert len(render_export_pdf(export_personal_data(record.erin))) > 1000


@pytest.mark.django_db
def test_every_field_of_the_person_and_of_their_login_records_is_in_the_download_or_shown_otherwise(personas):
    from brightline.operations import data_rights
    from brightline.people.models import Person, RoleChange, SsoLink

    def fields(model) -> set[str]:
        return {field.name for field in model._meta.concrete_fields}

    assert fields(Person) == set(data_rights.PERSON_FIELDS) | set(data_rights.PERSON_FIELDS_SHOWN_OTHERWISE)
    # The role change's stored values are ids and codes; the labels beside them say the same in words.
    assert fields(RoleChange) - set(data_rights.ROLE_CHANGE_FIELDS) == {
        "id", "person", "from_value", "to_value", "proposed_by"}
    link = SsoLink.objects.create(person=personas.erin, issuer="https://idp.example.org", subject="sub-1")
    exported = export_personal_data(personas.erin)["person"]["single_sign_on"][0]
    assert fields(SsoLink) - set(exported) == {"id", "person"} and exported["subject"] == link.subject


@pytest.mark.django_db
def test_the_download_holds_when_the_record_changed_the_login_the_role_changes_sessions_and_tokens(personas):
    from brightline.people.models import Person, RoleChange, SignedInSession, TokenScope, WorkModality
    from brightline.people.rolechanges import record_applied_change
    from brightline.people.tokens import create_api_token

    erin = personas.erin
    Person.objects.filter(pk=erin.pk).update(left_on=date(2027, 1, 31), work_modality=WorkModality.REMOTE)
    erin.refresh_from_db()
    record_applied_change(erin, RoleChange.Field.ACCESS_ROLE, "employee", "people_partner", actor=None,
                          actor_label="HRIS import")
    SignedInSession.objects.create(user=erin.user, session_key="k" * 32, sid="provider-session-1")
    SignedInSession.objects.create(user=erin.user, session_key="j" * 32)
    key = create_api_token(erin, name="my script", actor=None, actor_label="test", scope=TokenScope.WRITE)
    data = export_personal_data(erin)
    person = data["person"]
    assert person["modified_at"] == erin.modified_at.isoformat()
    assert (person["left_on"], person["work_modality"]) == ("2027-01-31", WorkModality.REMOTE.label)
    assert person["reporting_line"] == [manager.name for manager in reversed(erin.management_chain())]
    assert person["reporting_line"][-1] == "Mo Manager"
    assert person["login"]["username"] == erin.user.username and person["login"]["is_active"] is True
    [change] = data["role_changes"]
    assert (change["field"], change["to_label"], change["status"]) == ("Access role", "People partner", "Applied")
    assert sorted(session["through_single_sign_on"] for session in data["sessions"]) == [False, True]
    assert [(token["name"], token["scope"], token["revoked"]) for token in data["api_tokens"]] == [
        ("my script", "read-write", False)]
    text = json.dumps(data)
    assert "k" * 32 not in text and "provider-session-1" not in text and key not in text
    assert erin.api_tokens.get().key_hash not in text and erin.user.password not in text


def test_an_information_only_signal_is_not_waiting_for_review_in_the_download(personas):
    """The cards say nobody is asked to accept or dismiss a note; the download uses the same words."""
    from tests.test_insights_review import make_signal

    make_signal(personas.erin)
    note = make_signal(personas.erin, kind="missing_evidence", key="missing:delivery")
    note.is_finding = False
    note.save(update_fields=["is_finding"])
    summary = make_signal(personas.erin, kind="theme_summary", key="themes")
    summary.is_finding, summary.enough_data = False, False
    summary.save(update_fields=["is_finding", "enough_data"])
    statuses = {row["kind"]: row["status"] for row in export_personal_data(personas.erin)["signals"]}
    assert statuses["Theme in feedback"] == "Waiting for review"
    assert statuses["Missing evidence"] == ("For information: nothing found; nobody is asked to accept or "
                                            "dismiss it")
    assert "Waiting for review" not in statuses["Theme summary"] and "nobody is asked" in statuses["Theme summary"]
