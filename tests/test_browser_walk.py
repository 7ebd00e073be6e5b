"""Each demo persona walks their dashboard and main pages in real Chromium, at a laptop and a phone width:
no console error, no link on the way that answers 403, nothing wider than the window, and no serious or
critical axe-core violation. Screenshots are saved for review (``BRIGHTLINE_SCREENSHOTS``, default
``/tmp/brightline-walk``). One test, one demo database, as the issue asks."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser_helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = Path(os.environ.get("BRIGHTLINE_SCREENSHOTS") or "/tmp/brightline-walk")
WIDTHS = {1366: 900, 390: 844}
PERSONAS = ("erin", "mo", "pat", "lee", "pia", "ada")
# Pages beyond the menus that belong to a persona's main flows.
EXTRA = {"erin": ["/goals/new/", "/growth/{erin}/requests/new/", "/growth/accomplishments/new/"],
         "mo": ["/goals/people/{erin}/"]}
SERIOUS = {"serious", "critical"}
# Links that do something rather than show a page, or leave the product's pages.
SKIP = re.compile(r"^/(accounts/logout|admin|api/|static/|calendar/)|\.(ics|csv|json|pdf)$")


def _login(browser, live_server, demo, username, width):
    return log_in(browser, live_server, demo["password"], username, {"width": width, "height": WIDTHS[width]})


def _paths(page, live_server, username):
    from brightline.people.models import Person

    ids = {name: Person.objects.get(user__username=name).pk for name in ("erin",)}
    hrefs = page.eval_on_selector_all("nav.main a", "links => links.map(a => a.getAttribute('href'))")
    paths = ["/"] + [href for href in hrefs if href and href.startswith("/") and not SKIP.search(href)]
    paths += [extra.format(**ids) for extra in EXTRA.get(username, [])]
    return list(dict.fromkeys(paths))


def _axe(page):
    page.evaluate(AXE.read_text() + "\n;true")
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")


def test_every_persona_walks_their_pages_cleanly_at_laptop_and_phone_widths(browser, live_server, demo):
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    checked: dict[tuple[str, str], int] = {}
    for username in PERSONAS:
        for width in WIDTHS:
            page = _login(browser, live_server, demo, username, width)
            errors: list[str] = []
            page.on("console", lambda message, errors=errors: errors.append(message.text)
                    if message.type == "error" else None)
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            for path in _paths(page, live_server, username):
                errors.clear()
                response = page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("networkidle")
                where = f"{username} {width}px {path}"
                if response is None or response.status != 200:
                    problems.append(f"{where}: answered {response.status if response else 'nothing'}")
                    continue
                name = re.sub(r"\W+", "-", path.strip("/")) or "home"
                page.screenshot(path=str(SHOTS / f"{username}-{name}-{width}.png"), full_page=True)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    problems.append(f"{where}: {scroll} px wide")
                if width == 1366 or path == "/":
                    for violation in _axe(page):
                        if violation["impact"] in SERIOUS:
                            problems.append(f"{where}: axe {violation['impact']} {violation['id']} "
                                            f"({violation['help']}) at {violation['targets']}")
                # Every link on the page that stays in the product answers, and never with 403.
                links = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
                for href in links:
                    target = urlsplit(href)
                    if target.netloc or not target.path.startswith("/") or SKIP.search(target.path):
                        continue
                    key = (username, target.path)
                    if key not in checked:
                        checked[key] = page.request.get(f"{live_server.url}{target.path}", max_redirects=0).status
                    if checked[key] == 403:
                        problems.append(f"{where}: links to {target.path}, which answers 403")
                if errors:
                    problems.append(f"{where}: console errors {errors[:3]}")
            page.context.close()
    assert not problems, "\n".join(problems)
