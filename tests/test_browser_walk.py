"""Each demo persona walks their dashboard, their menus and their main flows in real Chromium: no console
error, no link on the way that answers 403, nothing wider than the window, and no serious or critical axe-core
violation — every page at a laptop and a phone width. The manager fills in and submits the assessment of a
review, after checking that no outcome is chosen for him. Screenshots are saved for review
(``BRIGHTLINE_SCREENSHOTS``, default ``/tmp/brightline-walk``), with the time each part of the walk took.

One test, one demo database, as the issue asks. It is kept fast: one browser context and one login per
persona; each page is loaded once and looked at in both widths by resizing the window; pages are taken as
loaded (nothing on them waits for the network after that); axe is read into a page once and run once per width.
"""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser_helpers import log_in

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = Path(os.environ.get("BRIGHTLINE_SCREENSHOTS") or "/tmp/brightline-walk")
WIDTHS = {1366: 900, 390: 844}
PERSONAS = ("erin", "mo", "pat", "lee", "pia", "ada")
# Each persona's main flows beyond the menus: the forms they fill in and the pages they act on.
FLOWS = {
    "erin": ["/goals/new/", "/growth/{erin}/requests/new/", "/growth/accomplishments/new/",
             "/reviews/r/{erin_review}/", "/people/{erin}/"],
    # The manager: a report's record, goals and growth page, giving feedback (a checkpoint), a support plan,
    # and the assessment form of the review in progress (filled in and submitted at the end).
    "mo": ["/people/{erin}/", "/goals/people/{erin}/", "/growth/{erin}/", "/growth/{erin}/checkpoints/new/",
           "/support/new/{erin}/", "/reviews/r/{erin_review}/"],
    "pat": ["/promotions/{case}/", "/growth/{pat}/requests/new/"],
    # The people partner: the cycle in progress (its progress and calibration panel), a review decided in
    # calibration and its packet, a support plan, the form to open a cycle, and the list behind an audit check.
    # (The decided cycle's own page lists every review in it: following its 59 links would double the walk.)
    "pia": ["/reviews/cycles/{open_cycle}/", "/reviews/r/{decided_review}/", "/reviews/r/{decided_review}/packet/",
            "/support/{plan}/", "/reviews/cycles/new/", "/audit/refused-reads/"],
}
SERIOUS = {"serious", "critical"}
# Links that do something rather than show a page, or leave the product's pages.
SKIP = re.compile(r"^/(accounts/logout|admin|api/|static/|calendar/)|\.(ics|csv|json|pdf)$")
# scroll.js marks regions that overflow 150 ms after the window is resized; wait that out before looking.
RESIZE_SETTLE_MS = 200
ADVERSE = "needs_support"


def _ids() -> dict[str, int]:
    from brightline.people.models import Person
    from brightline.promotions.models import PromotionCase
    from brightline.reviews.models import Phase, Review, ReviewCycle
    from brightline.support.models import SupportPlan

    people = {name: Person.objects.get(user__username=name).pk for name in ("erin", "pat")}
    open_cycle = ReviewCycle.objects.exclude(phase=Phase.CLOSED).get(reviews__person_id=people["erin"])
    decided = ReviewCycle.objects.filter(phase=Phase.CLOSED).order_by("-opened_at").first()
    return {**people, "open_cycle": open_cycle.pk,
            "erin_review": Review.objects.get(cycle=open_cycle, person_id=people["erin"]).pk,
            "decided_review": Review.objects.get(cycle=decided, person_id=people["erin"]).pk,
            "case": PromotionCase.objects.get(person_id=people["pat"]).pk,
            "plan": SupportPlan.objects.order_by("pk").first().pk}


def _paths(page, username: str, ids: dict[str, int]) -> list[str]:
    hrefs = page.eval_on_selector_all("nav.main a", "links => links.map(a => a.getAttribute('href'))")
    paths = ["/"] + [href for href in hrefs if href and href.startswith("/") and not SKIP.search(href)]
    paths += [flow.format(**ids) for flow in FLOWS.get(username, [])]
    return list(dict.fromkeys(paths))


class Walk:
    """The checks of one persona's pages, and the time each kind of check took."""

    def __init__(self, live_server, problems: list[str], timings: dict[str, float]):
        self.live_server, self.problems, self.timings = live_server, problems, timings
        self.checked: dict[tuple[str, str], int] = {}
        self.errors: list[str] = []

    def timed(self, what: str, started: float) -> None:
        self.timings[what] += time.monotonic() - started

    def start(self, page) -> None:
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def visit(self, page, username: str, path: str) -> bool:
        """Load ``path`` at the laptop width and look at it in both widths."""
        self.errors.clear()
        started = time.monotonic()
        page.set_viewport_size({"width": 1366, "height": WIDTHS[1366]})
        response = page.goto(f"{self.live_server.url}{path}", wait_until="load")
        self.timed("load", started)
        if response is None or response.status != 200:
            self.problems.append(f"{username} {path}: answered {response.status if response else 'nothing'}")
            return False
        self.look(page, username, path)
        return True

    def look(self, page, username: str, path: str, *, name: str | None = None) -> None:
        """The page as it is now, at both widths: screenshot, overflow, axe; then its links and console."""
        name = name or re.sub(r"\W+", "-", path.strip("/")) or "home"
        for width in WIDTHS:
            where = f"{username} {width}px {path}"
            if page.viewport_size["width"] != width:
                page.set_viewport_size({"width": width, "height": WIDTHS[width]})
                page.wait_for_timeout(RESIZE_SETTLE_MS)
            started = time.monotonic()
            page.screenshot(path=str(SHOTS / f"{username}-{name}-{width}.png"), full_page=True)
            self.timed("screenshots", started)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                self.problems.append(f"{where}: {scroll} px wide")
            started = time.monotonic()
            for violation in _axe(page):
                if violation["impact"] in SERIOUS:
                    self.problems.append(f"{where}: axe {violation['impact']} {violation['id']} "
                                         f"({violation['help']}) at {violation['targets']}")
            self.timed("axe", started)
        started = time.monotonic()
        self.links(page, username, path)
        self.timed("links", started)
        if self.errors:
            self.problems.append(f"{username} {path}: console errors {self.errors[:3]}")

    def links(self, page, username: str, path: str) -> None:
        """Every link on the page that stays in the product answers, and never with 403 (each asked once)."""
        hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
        for href in hrefs:
            target = urlsplit(href)
            if target.netloc or not target.path.startswith("/") or SKIP.search(target.path):
                continue
            key = (username, target.path)
            if key not in self.checked:
                self.checked[key] = page.request.get(f"{self.live_server.url}{target.path}", max_redirects=0).status
            if self.checked[key] == 403:
                self.problems.append(f"{username} {path}: links to {target.path}, which answers 403")


def _axe(page) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;true")
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")


def _save(page, button) -> None:
    page.set_viewport_size({"width": 1366, "height": WIDTHS[1366]})
    with page.expect_navigation(wait_until="load"):
        button.click()


def _assess(walk: Walk, page, ids: dict[str, int]) -> None:
    """Mo completes Erin's assessment on the review page: nothing is chosen for him where he has not decided
    (never the adverse outcome), and after citing evidence for the last dimensions and stating promotion
    readiness, the assessment is submitted."""
    from brightline.evidence.models import EvidenceItem

    path = f"/reviews/r/{ids['erin_review']}/"
    if urlsplit(page.url).path != path:
        walk.visit(page, "mo", path)
    chosen = dict(page.eval_on_selector_all(
        "form[id^='form-dim-'] select[name='outcome']", "selects => selects.map(s => [s.id, s.value])"))
    assert chosen and ADVERSE not in chosen.values(), f"an outcome is pre-selected as adverse: {chosen}"
    assert chosen["outcome-judgment_communication"] == "", "an outcome is chosen for a dimension not yet assessed"
    assert page.locator("#promotion_readiness").input_value() == "not_assessed"
    cites = [item.citation for item in EvidenceItem.objects.filter(person_id=ids["erin"]).order_by("-occurred_at")[:2]]
    for dimension, outcome, rationale in (
            ("Judgment and communication", "Meets", f"Wrote down the batching design's trade-offs first {cites[0]}."),
            ("Leadership", "Exceeds", f"Became the person the team asks about on-call {cites[1]}.")):
        article = page.get_by_role("article", name=dimension)
        article.get_by_label(re.compile("^Outcome against")).select_option(label=outcome)
        article.get_by_label(re.compile("^What the evidence shows")).fill(rationale)
        _save(page, article.get_by_role("button", name=f"Save {dimension}"))
        expect(page.locator("ul.messages")).to_contain_text("Assessment saved.")
    page.get_by_label(re.compile("^Promotion readiness")).select_option("not_yet")
    page.get_by_label(re.compile("^Why")).fill("Next-level scope is not yet shown across teams.")
    _save(page, page.get_by_role("button", name="Save narrative"))
    expect(page.locator("ul.messages")).to_contain_text("Narrative saved.")
    _save(page, page.get_by_role("button", name="Submit assessment"))
    expect(page.locator("ul.messages")).to_contain_text("Assessment submitted.")
    expect(page.get_by_role("button", name="Submit assessment")).to_have_count(0)
    walk.look(page, "mo", path, name="assessment-submitted")


def test_every_persona_walks_their_pages_and_flows_cleanly_at_laptop_and_phone_widths(browser, live_server, demo):
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    timings: dict[str, float] = defaultdict(float)
    walked = 0
    began = time.monotonic()
    ids = _ids()
    for username in PERSONAS:
        started = time.monotonic()
        page = log_in(browser, live_server, demo["password"], username, {"width": 1366, "height": WIDTHS[1366]})
        walk = Walk(live_server, problems, timings)
        walk.timed("log in", started)
        walk.start(page)
        for path in _paths(page, username, ids):
            walked += walk.visit(page, username, path)
        if username == "mo":
            started = time.monotonic()
            _assess(walk, page, ids)
            walk.timed("assessment", started)
        page.context.close()
    summary = ", ".join(f"{what} {seconds:.1f} s" for what, seconds in sorted(timings.items()))
    (SHOTS / "walk-timings.txt").write_text(
        f"{walked} pages at {len(WIDTHS)} widths in {time.monotonic() - began:.1f} s: {summary}\n")
    assert not problems, "\n".join(problems)
