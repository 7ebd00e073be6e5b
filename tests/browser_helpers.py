"""Real Chromium (Debian's package, headless) for the browser tests; the fixtures are in ``conftest.py``."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def log_in(browser, live_server, password: str, username: str, viewport: dict | None = None):
    """A new browser context signed in as ``username`` through the login page; returns its page at home."""
    page = (browser.new_context(viewport=viewport) if viewport else browser.new_context()).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page
