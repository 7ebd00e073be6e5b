"""The leadership view and the organisation view on a phone (390 px) in real Chromium: nothing scrolls sideways, each
table reads as a block a row, the explanations fold behind a one-line summary, and an "On this page" list reaches
every section's heading. At 1,366 px the folds are open, so the page says what it said before. axe-core finds
nothing at either width."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
# A table wider than its place scrolls; its cells are counted when any of them runs past the window's right edge.
OVERFLOWING = """() => [...document.querySelectorAll('main table, main .table-scroll, main .card')]
    .filter(element => element.scrollWidth > element.clientWidth + 1).map(element => element.outerHTML.slice(0, 80))"""


def _axe(page) -> list[dict]:
    page.evaluate(AXE.read_text() + "\n;true")
    return page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
        .map(v => ({id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))""")


def _open(browser, live_server, demo, username: str, viewport: dict, path: str):
    """``path`` as ``username`` in a new window of ``viewport``, once its scripts and charts are done; it is never
    wider than the window."""
    page = log_in(browser, live_server, demo["password"], username, viewport)
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    return page


def test_the_leadership_view_on_a_phone_scrolls_only_downwards_and_each_section_is_a_link_away(
        browser, live_server, demo):
    for username in ("lee", "pia"):  # the people partner's page has the drill-down too
        _leadership_on_a_phone(browser, live_server, demo, username)
    _leadership_on_a_laptop(browser, live_server, demo)


def _leadership_on_a_phone(browser, live_server, demo, username):
    page = _open(browser, live_server, demo, username, PHONE, "/governance/leadership/")
    assert page.evaluate(OVERFLOWING) == []
    # The team table (folded under the sentence of what stands out): a team a block, its name on a line of its own
    # above its figures, all inside the window.
    page.locator("#teams details.fold-narrow > summary").click()
    rows = page.locator("#teams tbody tr")
    assert rows.count() >= 5
    for index in range(rows.count()):
        name = rows.nth(index).locator("th[scope=row]").bounding_box()
        figures = rows.nth(index).locator("td")
        first = figures.first.bounding_box()
        assert name["y"] + name["height"] <= first["y"] + 1, (name, first)
        for cell in range(figures.count()):
            box = figures.nth(cell).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    page.locator("#teams details.fold-narrow > summary").click()  # folded again
    # The explanations and the secondary table are folded: their summary is one line, what they hold is hidden.
    folds = page.locator("details.fold-narrow")
    assert folds.count() >= 4
    for index in range(folds.count()):
        fold = folds.nth(index)
        assert fold.get_attribute("open") is None
        summary = fold.locator(":scope > summary")
        assert summary.is_visible() and summary.bounding_box()["height"] < 60
        assert not fold.locator(":scope > :not(summary)").first.is_visible()
    # Opened with the keyboard, a folded table stays inside the window too.
    calibration = page.locator("#calibration details.fold-narrow")
    calibration.locator(":scope > summary").focus()
    page.keyboard.press("Enter")
    assert calibration.locator("table").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 and page.evaluate(OVERFLOWING) == []
    # Every section is listed at the top, and each link brings its heading into view.
    links = page.locator("nav.on-this-page a")
    targets = [link.get_attribute("href") for link in links.all()]
    headings = page.locator("main section.card > h2")
    reached = page.evaluate("""targets => [...document.querySelectorAll('main section.card > h2')]
        .map(heading => targets.some(target => document.querySelector(target).contains(heading)))""", targets)
    assert headings.count() >= 7 and all(reached), list(zip(headings.all_inner_texts(), reached, strict=True))
    assert ("#drill-down" in targets) == (username == "pia")
    for index, target in enumerate(targets):
        page.locator("nav.on-this-page a").nth(index).click()
        heading = page.locator(f"{target} h2")
        box = heading.bounding_box()
        assert heading.is_visible() and 0 <= box["y"] < PHONE["height"], (target, box)
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=f"/tmp/brightline-layout-{username}-leadership-folded-390.png", full_page=True)
    assert _axe(page) == []
    page.context.close()


def _leadership_on_a_laptop(browser, live_server, demo):
    """At 1,366 px the folds are open: the page says what it said before they were added."""
    page = _open(browser, live_server, demo, "lee", LAPTOP, "/governance/leadership/")
    folds = page.locator("details.fold-narrow")
    assert folds.count() >= 4
    for index in range(folds.count()):
        assert folds.nth(index).get_attribute("open") is not None
        assert folds.nth(index).locator(":scope > :not(summary)").first.is_visible()
    # The team table is a table again: a team a row, its figures beside its name.
    row = page.locator("#teams tbody tr").first
    assert abs(row.locator("th").bounding_box()["y"] - row.locator("td").first.bounding_box()["y"]) < 2
    assert _axe(page) == []
    page.context.close()


def test_the_organisation_views_tables_fill_their_cards_on_a_phone(browser, live_server, demo):
    page = _open(browser, live_server, demo, "lee", PHONE, "/organisation/")
    assert page.evaluate(OVERFLOWING) == []
    for table in page.locator("main table").all():
        card = table.locator("xpath=ancestor::section[1]")
        inner = card.evaluate("element => element.clientWidth - parseFloat(getComputedStyle(element).paddingLeft)"
                              " - parseFloat(getComputedStyle(element).paddingRight)")
        assert table.bounding_box()["width"] >= inner - 2, (table.bounding_box(), inner)
    fold = page.locator("details.fold-narrow")
    assert fold.count() == 1 and fold.get_attribute("open") is None and fold.locator(":scope > summary").is_visible()
    for heading in page.locator("main h2").all():
        heading.scroll_into_view_if_needed()
        assert heading.is_visible()
    assert _axe(page) == []
    page.context.close()


# The leadership view's height at each width, in px, for the leader and the people partner (who has the drill-down
# too). Before each section was summed up in a sentence with its detail folded, it was 8,279 and 8,901 px on a
# phone and 6,050 and 6,500 px on a laptop (the demo, 7 December 2026); after, about 4,000, 4,550, 5,600 and 6,050.
LEADERSHIP_HEIGHT_AT_MOST = {("lee", 390): 5000, ("pia", 390): 5500, ("lee", 1366): 5900, ("pia", 1366): 6300}


@pytest.mark.parametrize("width", [390, 1366])
def test_the_leadership_view_is_short_and_its_first_screen_says_what_stands_out(browser, live_server, demo, width):
    """The page fits a leader's minute: on a phone its first screen reaches the executive brief's first sentence
    below the links to every section, and the whole page is at most about half as tall as it was."""
    viewport = PHONE if width == 390 else LAPTOP
    heights = {}
    for username in ("lee", "pia"):
        page = _open(browser, live_server, demo, username, viewport, "/governance/leadership/")
        heights[username] = page.evaluate("document.documentElement.scrollHeight")
        links = page.locator("nav.on-this-page").bounding_box()
        first = page.locator("#brief ol > li p").first.bounding_box()
        assert links["y"] + links["height"] <= first["y"] and first["y"] + 40 <= viewport["height"], (links, first)
        # What stands out in the teams' table is said in a sentence above its fold.
        assert page.locator("#teams > p").first.is_visible()
        page.screenshot(path=f"/tmp/brightline-layout-{username}-leadership-height-{width}.png", full_page=True)
        page.context.close()
    too_tall = {name: height for name, height in heights.items() if height > LEADERSHIP_HEIGHT_AT_MOST[name, width]}
    assert not too_tall, (too_tall, LEADERSHIP_HEIGHT_AT_MOST)
