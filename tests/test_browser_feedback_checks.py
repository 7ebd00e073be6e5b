"""The feedback form's checks in Chromium: flags appear under an answer while it is typed (htmx on every change of
the text), vague praise is shown before it is sent and never blocked, and an insult's tone flag names its words;
at laptop and phone width, with screenshots kept for reading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser_helpers import log_in

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("BRIGHTLINE_SHOTS", "/tmp/brightline-shots"))


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_giving_feedback_shows_the_checks_live_and_before_sending(browser, live_server, demo, width, height):
    from brightline.feedback.models import FeedbackResponse
    from brightline.people.models import Person

    erin = Person.objects.get(email__startswith="erin")
    page = log_in(browser, live_server, demo["password"], "pat", {"width": width, "height": height})
    page.goto(f"{live_server.url}/growth/give/{erin.pk}/")
    page.get_by_label("What did they do?").press_sequentially("Huge impact, really impressive overall")
    page.get_by_label("What was the impact?").fill("You are lazy and you are an idiot")
    page.get_by_label("One thing to grow").fill(
        "Share the drill plan with the on-call team a week before the next drill.")
    flags_did = page.locator("#flags-what_they_did")
    flags_did.get_by_text("Vague", exact=True).wait_for()
    page.locator("#flags-impact .tone-live").wait_for()  # a filled-in field is checked too, not only key presses
    assert "idiot" in page.locator("#flags-impact .tone-live").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"feedback-live-{width}.png"), full_page=True)
    before = FeedbackResponse.objects.count()
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_text("Before you send:").wait_for()
    tone = page.locator(".tone-triggers").inner_text()
    assert "lazy" in tone and "idiot" in tone
    assert FeedbackResponse.objects.count() == before
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"feedback-held-{width}.png"), full_page=True)
    page.get_by_role("button", name="Send as written").click()
    page.get_by_text("Thank you. Your feedback was sent").wait_for()
    assert FeedbackResponse.objects.count() == before + 1
    page.context.close()
