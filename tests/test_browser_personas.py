"""Real Chromium logs in as each demo persona and sees a home page that fits the role."""

from __future__ import annotations

import re

import pytest

from tests.browser_helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPECTED = {
    "erin": ("What your level expects", ["Organisation", "Policy", "My team"]),
    "mo": ("Your team", ["Organisation", "Policy"]),
    "lee": ("Patterns across groups, with small groups withheld", ["Policy", "Audit trail"]),
    "pia": ("Review cycles across teams", []),
}


@pytest.mark.parametrize("username", list(EXPECTED))
def test_each_persona_logs_in_and_sees_their_home_page(browser, live_server, demo, username):
    heading_text, absent_links = EXPECTED[username]
    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo["password"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome,")
    assert heading_text in page.content()
    navigation = page.get_by_role("navigation", name="Main")
    for label in absent_links:
        assert navigation.get_by_role("link", name=label, exact=True).count() == 0
    # Keyboard users can reach the main content directly.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.close()


def test_a_manager_opening_a_report_record_shows_up_in_the_report_access_log(browser, live_server, demo):
    def login(username: str):
        return log_in(browser, live_server, demo["password"], username)

    manager = login("mo")
    manager.get_by_role("link", name="Erin Okafor").first.click()
    assert "This read is logged" in manager.content()
    employee = login("erin")
    employee.get_by_role("navigation", name="Main").locator("summary", has_text=re.compile("^Me$")).click()
    employee.get_by_role("link", name="Who viewed my record").click()
    reads = employee.locator("article.read-group").first  # one line per reader and day; refusals and changes follow
    assert "Mo Haddad" in reads.inner_text()


def test_delivery_charts_render_from_the_vendored_libraries(browser, live_server, demo):
    page = browser.new_context().new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("mo")
    page.get_by_label("Password").fill(demo["password"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/evidence/teams/payments/")
    # vega-embed draws each chart as an SVG or a canvas inside its target once the libraries have loaded.
    page.wait_for_selector(".vl-target svg, .vl-target canvas", timeout=15_000)
    assert page.locator(".vl-target svg, .vl-target canvas").count() >= 1
    assert all(url.startswith(live_server.url) for url in requests), "nothing may load from another host"
    # The Content-Security-Policy is on and nothing on the page (Vega, htmx, our scripts) trips it.
    assert "script-src 'self'" in page.request.get(f"{live_server.url}/").headers["content-security-policy"]
    assert [text for text in console if "Content Security Policy" in text] == []
