"""Searchable pickers over every <select multiple>: typed search, keyboard choice, labels, and the form still
sends the hidden select's choices."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from tests.reviews_helpers import make_evidence

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(browser, live_server, username):
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page, errors


def test_evidence_is_found_by_typing_and_chosen_with_the_keyboard(browser, live_server, personas):
    from brightline.goals.models import Goal

    items = make_evidence(personas.erin, 30)
    page, errors = _login(browser, live_server, "erin")
    page.goto(f"{live_server.url}/goals/new/")
    page.get_by_label("Goal", exact=True).fill("Ship the ledger")
    page.get_by_label("What success looks like").fill("The ledger is live for every payment.")
    page.get_by_label("What will be measurably true").first.fill("Migrate the payout service")
    # The label of the select now names the search box; the select itself is hidden.
    search = page.get_by_label("Evidence the progress rests on").first
    assert search.get_attribute("type") == "search"
    assert page.locator("#kr-0-evidence").is_hidden()
    search.focus()
    page.keyboard.type(items[17].title)
    status = page.locator("#" + search.get_attribute("aria-describedby"))
    assert "1 match" in status.inner_text()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    remove = page.locator(".picker-chosen button")
    assert remove.count() == 1 and items[17].title in remove.get_attribute("aria-label")
    assert "1 chosen" in status.inner_text()
    page.get_by_role("button", name="Save goal").click()
    page.wait_for_url(f"{live_server.url}/goals/")
    result = Goal.objects.get(owner=personas.erin).key_results.get()
    assert list(result.evidence.all()) == [items[17]]
    assert errors == []


def test_feedback_recipients_are_offered_first_and_searched_by_name(browser, live_server, personas):
    """The colleague chooser (not a picker over a list of everyone): teammates are offered as boxes, anyone else is
    found by a server-side search as one types, and a person ticked in one search stays chosen in the next."""
    from brightline.feedback.models import FeedbackInvitation

    page, errors = _login(browser, live_server, "erin")
    page.goto(f"{live_server.url}/growth/{personas.erin.pk}/requests/new/")
    page.get_by_label("What should they give feedback on?").fill("The ledger design")
    page.get_by_role("checkbox", name="Pat Peer").check()
    search = page.get_by_role("searchbox", name="Search everyone by name or team")
    search.fill("oscar")
    page.get_by_role("checkbox", name="Oscar Outsider").check()
    search.fill("pat")
    page.locator("#chooser-results", has_text="listed above").wait_for()
    assert page.get_by_role("checkbox", name="Oscar Outsider").is_checked()  # kept from the earlier search
    search.press("Enter")  # searches; never sends the form
    assert page.url.endswith("/requests/new/")
    page.get_by_role("button", name="Send requests").click()
    page.wait_for_url(re.compile(r".*/growth/requests/\d+/$"))
    invited = dict(FeedbackInvitation.objects.values_list("respondent__name", "relationship"))
    assert invited == {"Pat Peer": "peer", "Oscar Outsider": "stakeholder"}
    assert errors == []
