"""Searchable pickers over every <select multiple>: typed search, keyboard choice, labels, and the form still
sends the hidden select's choices."""

from __future__ import annotations

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


def test_feedback_recipients_are_searched_by_name(browser, live_server, personas):
    page, errors = _login(browser, live_server, "erin")
    page.goto(f"{live_server.url}/growth/{personas.erin.pk}/requests/new/")
    searches = page.locator("input[type=search]")
    assert searches.count() >= 1
    first = searches.first
    first.fill("Pat")
    page.locator(".picker-options label", has_text="Pat Peer").first.click()
    chosen = page.evaluate("Array.from(document.querySelectorAll('select[multiple] option:checked'), o => o.text)")
    assert any("Pat Peer" in text for text in chosen)
    assert errors == []
