"""Real Chromium at a laptop width and a phone width: no page is wider than the window, tables scroll in their card."""

from __future__ import annotations

import re

import pytest

from tests.browser_helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {1366: 900, 390: 844}
PAGES = {"erin": ["/", "/me/notifications/", "/insights/me/"], "mo": ["/", "/me/notifications/", "/team/"],
         "lee": ["/", "/governance/leadership/"], "pia": ["/", "/audit/", "/audit/?about=Erin&kind=reviews"]}


def _login(browser, live_server, demo, username, width):
    return log_in(browser, live_server, demo["password"], username, {"width": width, "height": WIDTHS[width]})


@pytest.mark.parametrize("width", list(WIDTHS))
def test_no_persona_page_is_wider_than_the_window(browser, live_server, demo, width):
    too_wide = []
    for username, paths in PAGES.items():
        page = _login(browser, live_server, demo, username, width)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            name = re.sub(r"\W+", "-", path.strip("/")) or "home"
            page.screenshot(path=f"/tmp/brightline-layout-{username}-{name}-{width}.png", full_page=True)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                too_wide.append(f"{username} {path}: {scroll_width} px")
        page.context.close()
    assert not too_wide, f"wider than the {width} px window: {too_wide}"


def test_the_leadership_view_names_teams_not_their_keys(browser, live_server, demo):
    from brightline.people.models import Team

    page = _login(browser, live_server, demo, "lee", 1366)
    page.goto(f"{live_server.url}/governance/leadership/")
    headers = page.locator("table th[scope=row]").all_inner_texts()
    keys = {team.slug for team in Team.objects.all() if team.slug != team.name}
    assert headers and not keys & {header.strip() for header in headers}, headers
    page.context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_menu_opens_with_the_keyboard_and_stays_inside_the_window(browser, live_server, demo, width):
    page = _login(browser, live_server, demo, "pia", width)
    toggle = page.locator("nav.main details.nav-toggle > summary")
    if toggle.is_visible():  # on a narrow screen a bar of five or more entries folds behind "Menu"
        toggle.click()
    summaries = page.locator("nav.main .menubar summary")
    assert 1 <= summaries.count() <= 6
    problems = []
    for index in range(summaries.count()):
        summary = summaries.nth(index)
        summary.focus()
        page.keyboard.press("Enter")
        menu = summary.locator("xpath=..")
        first_link = menu.locator("ul a").first
        if not first_link.is_visible():
            problems.append(f"{summary.inner_text()}: does not open")
            continue
        box = menu.locator("ul").bounding_box()
        if box["x"] < 0 or box["x"] + box["width"] > width:
            problems.append(f"{summary.inner_text()}: spills out ({box})")
        page.screenshot(path=f"/tmp/brightline-layout-pia-menu-{index}-{width}.png")
        page.keyboard.press("Escape")
        if first_link.is_visible():
            problems.append(f"{summary.inner_text()}: Escape leaves it open")
    assert not problems, problems
    page.context.close()


def test_a_wide_table_scrolls_inside_its_card_and_says_so(browser, live_server, demo):
    """At phone width the people partner's cycle table is wider than its card: it scrolls inside the card, a line
    above it says it scrolls sideways and a shadow marks the side with more. At laptop width it fits: no cue."""
    cue = "section[aria-labelledby=cycles-h] .scroll-hint"
    table = "section[aria-labelledby=cycles-h] table"
    narrow = _login(browser, live_server, demo, "pia", 390)
    narrow.wait_for_load_state("networkidle")
    widths = narrow.locator(table).first.evaluate("element => [element.scrollWidth, element.clientWidth]")
    assert widths[0] > widths[1], widths  # wider than its place: it scrolls
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 390  # inside the card, not the page
    assert narrow.locator(cue).first.is_visible()
    assert "Scroll sideways" in narrow.locator(cue).first.inner_text()
    shadow = narrow.locator(table).first.evaluate("element => getComputedStyle(element).backgroundImage")
    assert "radial-gradient" in shadow, shadow
    narrow.context.close()
    # The shadows need no script: with JavaScript off the table still carries them, fixed to the box under covers
    # that scroll with the content (so the side with more to show is shaded).
    context = browser.new_context(viewport={"width": 390, "height": WIDTHS[390]}, java_script_enabled=False)
    plain = context.new_page()
    plain.goto(f"{live_server.url}/accounts/login/")
    plain.get_by_label("Username").fill("pia")
    plain.get_by_label("Password").fill(demo["password"])
    plain.get_by_role("button", name="Log in").click()
    plain.wait_for_url(f"{live_server.url}/")
    style = plain.locator(table).first.evaluate(
        "element => [getComputedStyle(element).backgroundImage, getComputedStyle(element).backgroundAttachment,"
        " element.scrollWidth > element.clientWidth]")
    assert "radial-gradient" in style[0] and style[1] == "local, local, scroll, scroll" and style[2], style
    assert plain.locator(cue).count() == 0  # the line is the script's
    context.close()
    wide = _login(browser, live_server, demo, "pia", 1366)
    wide.wait_for_load_state("networkidle")
    assert wide.locator(cue).count() == 0
    wide.context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_leaderships_audit_sentences_and_opened_figures_fit_the_window(browser, live_server, demo, width):
    page = _login(browser, live_server, demo, "lee", width)
    page.goto(f"{live_server.url}/governance/leadership/")
    sentences = page.locator("p.audit-sentence")
    assert sentences.count() >= 1 and sentences.first.is_visible()
    assert "times the highest" in sentences.first.inner_text() or "Withheld" in sentences.first.inner_text()
    folded = page.locator("details.fold-narrow")  # on a phone the calibration's table by team is folded: open it
    for index in range(folded.count()):
        if folded.nth(index).get_attribute("open") is None:
            folded.nth(index).locator(":scope > summary").click()
    folds = page.locator("details.audit-figures")
    for index in range(folds.count()):
        folds.nth(index).locator("summary").click()
        assert folds.nth(index).locator("p").first.is_visible()
    page.screenshot(path=f"/tmp/brightline-layout-lee-audit-figures-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.context.close()


def test_the_team_pages_folded_parts_open_with_the_keyboard_on_a_phone(browser, live_server, demo):
    """At 390 px the team page folds what would make it long (why a prompt is there, each person's easy-to-miss
    work) behind a <summary>: each is reached with Tab and opens with Enter, no script needed."""
    page = _login(browser, live_server, demo, "mo", 390)
    page.goto(f"{live_server.url}/team/")
    for selector in ("details.why", "ul.unseen details.item"):
        details = page.locator(selector).first
        assert details.get_attribute("open") is None
        details.locator("summary").focus()
        page.keyboard.press("Enter")
        assert details.get_attribute("open") is not None, selector
        assert details.locator(":scope > :not(summary)").first.is_visible()
    page.context.close()


def test_the_load_table_on_a_phone_is_a_compact_block_a_person_with_every_figure_in_view(browser, live_server, demo):
    """At 390 px the team page's load table does not scroll sideways: each person is a block (the name and the
    review's status, then the four figures side by side under heads printed once), under 110 px high — a row
    was about 110 px with most of its figures out of view before."""
    page = _login(browser, live_server, demo, "mo", 390)
    page.goto(f"{live_server.url}/team/")
    page.wait_for_load_state("networkidle")
    table = page.locator("table.heatmap")
    scroll, client = table.evaluate("element => [element.scrollWidth, element.clientWidth]")
    assert scroll <= client, (scroll, client)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    rows = table.locator("tbody tr")
    heights = []
    for index in range(rows.count()):
        row = rows.nth(index)
        box = row.bounding_box()
        heights.append(box["height"])
        cells = row.locator("td.num")
        assert cells.count() == 4
        tops = set()
        for cell in range(4):
            cell_box = cells.nth(cell).bounding_box()
            assert cell_box["x"] >= 0 and cell_box["x"] + cell_box["width"] <= 390, cell_box
            tops.add(round(cell_box["y"]))
        assert len(tops) == 1, tops  # the four figures share a line
        name = row.locator("th[scope=row]").bounding_box()
        assert name["y"] < min(tops)  # the name comes first
    assert heights and max(heights) < 110 and sorted(heights)[len(heights) // 2] < 95, heights
    # The column heads are seen once, above the first person; "Person" and "Review" are there for screen readers.
    heads = table.locator("thead th")
    assert heads.nth(1).is_visible() and heads.nth(1).bounding_box()["y"] < rows.first.bounding_box()["y"]
    assert heads.nth(0).bounding_box()["width"] <= 1
    page.screenshot(path="/tmp/brightline-layout-mo-team-load-390.png", full_page=True)
    page.context.close()
