"""Promotion pages in real Chromium at a laptop and a phone width: nothing wider than the window."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.test_promotions import decided

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {1366: 900, 390: 844}


def _login(browser, live_server, username, width):
    page = browser.new_context(viewport={"width": width, "height": WIDTHS[width]}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


@pytest.mark.parametrize("width", list(WIDTHS))
def test_promotion_pages_fit_the_window(browser, live_server, personas, ladder, width):
    from brightline.promotions import services

    case, _ = decided(personas, "not_yet")
    services.set_open_roles(ladder["IC3"], actor=personas.pia, period=str(case.nominated_at.year), count=3)
    pages = {"erin": [f"/promotions/{case.pk}/", "/promotions/"],
             "pia": [f"/promotions/{case.pk}/", "/promotions/rates/", "/promotions/open-roles/"],
             "mo": [f"/promotions/nominate/{personas.pat.pk}/"]}
    too_wide = []
    for username, paths in pages.items():
        page = _login(browser, live_server, username, width)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            name = path.strip("/").replace("/", "-")
            page.screenshot(path=f"/tmp/brightline-promotions-{username}-{name}-{width}.png", full_page=True)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                too_wide.append(f"{username} {path}: {scroll_width} px")
        page.context.close()
    assert not too_wide, f"wider than the {width} px window: {too_wide}"
