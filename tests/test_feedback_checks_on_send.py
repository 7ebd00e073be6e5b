"""The narrative and tone checks on the feedback forms, posted to the real endpoints: the live check (htmx) and
the submit of "Give feedback" and of an answer to a request. Narrative flags are shown before feedback is sent and
never block it; the live check runs on every change of the text (typing, pasting, a filled-in field), not only on
key presses."""

from __future__ import annotations

import html
import re

import pytest

from brightline.feedback import services
from brightline.feedback.models import FeedbackResponse

pytestmark = pytest.mark.django_db

VAGUE = ["Huge impact on the business", "She is very proactive", "Her work was really impressive overall",
         "Made significant improvements to the system", "His contributions were invaluable",
         "Brings positive energy every day", "Huge impact, really impressive overall"]
SPECIFIC = ("Wrote the runbook for the database failover and ran the drill in September; recovery took 11 minutes "
            "against a 30-minute target")
SPECIFIC_IMPACT = "Recovery now takes a third of the time the target allows."
SPECIFIC_GROW = "Share the drill plan with the on-call team a week before the next drill."


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def _live(browser, text: str, kind: str, field: str) -> str:
    response = browser.post("/growth/check/", {"kind": kind, "field": field, field: text}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return _text(response)


@pytest.mark.parametrize("text", VAGUE)
@pytest.mark.parametrize("kind, field", [("feedback", "what_they_did"), ("accomplishment", "result")])
def test_the_live_check_flags_each_vague_example_on_both_forms(personas, client_for, text, kind, field):
    shown = _live(client_for(personas.pat), text, kind, field)
    assert "Vague" in shown or "About personality, not behaviour" in shown, shown
    assert "No narrative flags." not in shown


@pytest.mark.parametrize("kind, field", [("feedback", "what_they_did"), ("accomplishment", "result")])
def test_the_live_check_leaves_the_specific_runbook_sentence_alone(personas, client_for, kind, field):
    shown = _live(client_for(personas.pat), SPECIFIC, kind, field)
    # An accomplishment without attached evidence still asks for it ("Claim without evidence"): that is the
    # evidence check, not a judgement of the wording.
    for label in ("Vague", "About personality", "Output without outcome", "Result without a number", "Tone:"):
        assert label not in shown, shown
    if kind == "feedback":
        assert "No narrative flags." in shown


@pytest.mark.parametrize("text, words", [("You are an idiot", ["idiot"]),
                                         ("Your code is garbage and you are an idiot", ["idiot"]),
                                         ("You are lazy and you are an idiot", ["lazy", "idiot"]),
                                         ("you are lazy and your code is garbage", ["lazy"])])
def test_the_live_check_names_the_words_of_a_tone_flag(personas, client_for, text, words):
    shown = _live(client_for(personas.pat), text, "feedback", "what_they_did")
    assert "Tone:" in shown
    for word in words:
        assert f"“{word}" in shown or f"{word}”" in shown, shown
    # Every clause the tone check flags on its own is named, not only the strongest one.
    from brightline.core.nlp import classify_tone

    clauses = [part for chunk in text.split(" and ") for part in [chunk.strip()] if part]
    for clause, prediction in zip(clauses, classify_tone(clauses), strict=True):
        if prediction.label == "toxic":
            assert all(trigger.text in shown for trigger in prediction.triggers), (clause, shown)


@pytest.mark.parametrize("text", VAGUE)
def test_vague_feedback_is_held_once_with_its_flags_and_sent_as_written_on_request(personas, client_for, text):
    browser = client_for(personas.pat)
    fields = {"context": "", "what_they_did": text, "impact": SPECIFIC_IMPACT, "one_thing_to_grow": SPECIFIC_GROW}
    held = browser.post(f"/growth/give/{personas.erin.pk}/", fields)
    assert held.status_code == 200 and not FeedbackResponse.objects.exists()
    shown = _text(held)
    assert "Before you send:" in shown and "“What did they do?”" in shown
    assert "vague" in shown or "about personality, not behaviour" in shown
    assert "Send as written" in shown and text in shown  # the typed words are kept
    sent = browser.post(f"/growth/give/{personas.erin.pk}/", {**fields, "send_despite_tone": "on"})
    assert sent.status_code == 302
    assert FeedbackResponse.objects.get().what_they_did == text


def test_specific_feedback_is_sent_at_once(personas, client_for):
    response = client_for(personas.pat).post(f"/growth/give/{personas.erin.pk}/", {
        "context": "", "what_they_did": SPECIFIC, "impact": SPECIFIC_IMPACT, "one_thing_to_grow": SPECIFIC_GROW})
    assert response.status_code == 302 and FeedbackResponse.objects.count() == 1


def test_an_answer_to_a_request_is_held_for_vague_praise_and_for_an_insult_shows_the_tone_words(
        personas, client_for):
    feedback_request = services.request_feedback(actor=personas.erin, subject=personas.erin,
                                                 respondents=[(personas.pat, "peer")])
    url = f"/growth/invitations/{feedback_request.invitations.get().pk}/"
    browser = client_for(personas.pat)
    assert 'hx-trigger="input changed delay:500ms, load"' in browser.get(url).content.decode()
    vague = {"what_they_did": "Huge impact, really impressive overall", "impact": SPECIFIC_IMPACT,
             "one_thing_to_grow": SPECIFIC_GROW}
    shown = _text(browser.post(url, vague))
    assert "Before you send:" in shown and not FeedbackResponse.objects.exists()
    insult = {**vague, "what_they_did": "You are lazy and you are an idiot"}
    shown = _text(browser.post(url, insult))
    # Held for both: one "Send as written", under the tone check that names its words.
    named = shown.split("Words that triggered it:")[1][:80]
    assert "Tone check:" in shown and "“lazy”" in named and "“idiot”" in named  # every trigger, not the strongest
    assert shown.count("Send as written") == 1 and not FeedbackResponse.objects.exists()
    assert browser.post(url, {**insult, "send_despite_tone": "on"}).status_code == 302
    assert FeedbackResponse.objects.get().tone_label == "toxic"
