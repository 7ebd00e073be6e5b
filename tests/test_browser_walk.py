"""Each demo persona walks their dashboard, their menus and their main flows in real Chromium: no console
error, no link on the way that answers 403, nothing wider than the window, and no serious or critical axe-core
violation — every page at a laptop and a phone width. Screenshots are saved for review
(``BRIGHTLINE_SCREENSHOTS``, default ``/tmp/brightline-walk``), with the time each part of the walk took.

The main flows are completed through the real forms, each in the order a person would: the engineer sets a goal
and then updates its progress citing evidence, asks a colleague for feedback through the people picker (with the
keyboard), and writes an accomplishment while the live narrative checks react; the manager records a
checkpoint, proposes a support plan from its pre-filled dates, writes commentary and submits a review's
assessment (after checking that no outcome is chosen for him); the peer answers the engineer's request, meeting
the tone check on the way; the people partner opens a review cycle from the form's suggested dates, after a
refusal that keeps what she typed, and sees a confirmation before a phase is ended early (cancelling it changes
nothing). After each submit the page reached must answer below 400, show what was saved, and pass the same
checks as every other page.

One test, one demo database, as the issue asks. It is kept fast: one browser context and one login per
persona; each page is loaded once and looked at in both widths by resizing the window; a flow starts on the form
page the walk has already looked at; pages are taken as loaded (nothing on them waits for the network after
that); axe is read into a page once and run once per width; screenshots are JPEG; a page's links are asked four
at a time. ``BRIGHTLINE_WALK_FLOWS_ONLY=1`` skips the menus and walks only the flows' pages (for working on a
flow; the full walk is what CI runs).
"""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser_helpers import log_in

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = Path(os.environ.get("BRIGHTLINE_SCREENSHOTS") or "/tmp/brightline-walk")
FLOWS_ONLY = os.environ.get("BRIGHTLINE_WALK_FLOWS_ONLY") == "1"
WIDTHS = {1366: 900, 390: 844}
PERSONAS = ("erin", "mo", "pat", "lee", "pia", "ada")
# Each persona's main flows beyond the menus: the forms they fill in and the pages they act on. A page with a
# flow (see ACTIONS) is filled in and submitted right after the walk has looked at it.
FLOWS = {
    # The engineer: her goals, a feedback request, an accomplishment, the review in progress and the decided one.
    "erin": ["/goals/new/", "/growth/{erin}/requests/new/", "/growth/accomplishments/new/",
             "/reviews/r/{erin_review}/", "/reviews/r/{decided_review}/", "/people/{erin}/"],
    # The manager: his team at a glance (a coaching prompt marked done in place), a report's record, goals and
    # growth page, a checkpoint, a support plan, commentary, and the assessment form of the review in progress
    # (filled in and submitted at the end).
    "mo": ["/team/", "/people/{erin}/", "/goals/people/{erin}/", "/growth/{erin}/", "/growth/{erin}/checkpoints/new/",
           "/support/new/{erin}/", "/growth/{erin}/commentary/", "/reviews/r/{erin_review}/"],
    # The peer: his promotion case (nothing for him to do while the panel votes), and the feedback he was
    # asked for (the inbox, from the menu, leads to the answer form).
    "pat": ["/promotions/{case}/", "/growth/{pat}/requests/new/", "/growth/inbox/"],
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
# A page's links are asked for this many at a time (the live server answers each in a thread of its own).
LINK_CHECKERS = 4
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
    paths: list[str] = []
    if not FLOWS_ONLY:
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
        # What a page asks for after it loads (the live checks, scripts, styles) must not fail either; the
        # pages themselves are checked where they are opened.
        page.on("response", lambda response: self.errors.append(f"{response.url} answered {response.status}")
                if response.status >= 400 and response.request.resource_type != "document" else None)

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
            # JPEG: encoded in about half the time of PNG for a full page, and as readable for review.
            page.screenshot(path=str(SHOTS / f"{username}-{name}-{width}.jpg"), full_page=True, type="jpeg",
                            quality=80)
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
            self.errors.clear()

    def links(self, page, username: str, path: str) -> None:
        """Every link on the page that stays in the product answers, and never with 403 (each asked once, with
        the persona's session, a redirect taken as the answer)."""
        hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
        targets = [urlsplit(href) for href in hrefs]
        targets = [target.path for target in targets
                   if not target.netloc and target.path.startswith("/") and not SKIP.search(target.path)]
        unasked = [target for target in dict.fromkeys(targets) if (username, target) not in self.checked]
        if unasked:
            cookie = "; ".join(f"{cookie['name']}={cookie['value']}"
                               for cookie in page.context.cookies(self.live_server.url))
            # SQLite's in-memory test database is one connection shared with the server: ask one at a time there.
            from django.db import connection

            checkers = LINK_CHECKERS if connection.vendor == "postgresql" else 1
            with ThreadPoolExecutor(checkers) as pool:
                statuses = list(pool.map(lambda target: _status(f"{self.live_server.url}{target}", cookie), unasked))
            self.checked.update(((username, target), status) for target, status in zip(unasked, statuses, strict=True))
        for target in targets:
            if self.checked[(username, target)] == 403:
                self.problems.append(f"{username} {path}: links to {target}, which answers 403")


class _AnswerRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # not followed: the redirect is the answer


_LINK_OPENER = urllib.request.build_opener(_AnswerRedirects)


def _status(url: str, cookie: str) -> int:
    """The status a GET of ``url`` answers with the given session cookies, without following a redirect."""
    try:
        with _LINK_OPENER.open(urllib.request.Request(url, headers={"Cookie": cookie}), timeout=120) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


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


def _go(page, link) -> int:
    """Follow a link (or press a button) and return the status of the page reached."""
    with page.expect_navigation(wait_until="load") as navigation:
        link.click()
    return navigation.value.status if navigation.value else 0


def _submit(walk: Walk, page, username: str, button, *saved: str, name: str, status: int | None = None) -> str:
    """Submit a form at the laptop width. The page reached answers below 400 (or ``status``), shows each text of
    ``saved`` (what was just saved, in the words typed), and passes the walk's checks at both widths."""
    page.set_viewport_size({"width": 1366, "height": WIDTHS[1366]})
    answered = _go(page, button)
    path = urlsplit(page.url).path
    if status is None:
        assert 0 < answered < 400, f"{username} {name}: {path} answered {answered}"
    else:
        assert answered == status, f"{username} {name}: {path} answered {answered}, not {status}"
        # Chromium logs the status a refusal is meant to answer as an error; that one is expected.
        walk.errors[:] = [error for error in walk.errors if f"status of {status} " not in error]
    for text in saved:
        expect(page.locator("main")).to_contain_text(text)
    walk.look(page, username, path, name=name)
    return path


def _type(field, text: str) -> None:
    """Fill a field the way typing does for the live checks: they listen for a key being released."""
    field.fill(text)
    field.press("End")


def _pick(page, searchbox, text: str) -> None:
    """Choose the first entry matching ``text`` in a searchable picker with the keyboard alone."""
    searchbox.focus()
    page.keyboard.type(text)
    page.keyboard.press("Tab")
    page.keyboard.press("Space")


def _first_option(page, select_id: str) -> str:
    """The text of the first choice a picker offers, without the date in front of it."""
    return page.locator(f"#{select_id} option").first.text_content().split(" · ", 1)[-1].strip()


LIVE = 15_000  # the live checks answer after a half-second pause in typing; a loaded machine needs longer


def _set_and_update_goal(walk: Walk, page, ids: dict[str, int]) -> None:
    """Erin sets a goal with one key result, then updates its progress and cites the evidence behind it."""
    title = "Make payout retries safe to repeat"
    assert page.get_by_label("Due", exact=True).input_value(), "the due date is not suggested"
    page.get_by_label("Goal", exact=True).fill(title)
    page.get_by_label("What success looks like").fill("A retried payout never pays twice.")
    page.get_by_label("What will be measurably true").first.fill("Every payout retry reuses its idempotency key")
    page.get_by_label("Progress (percent done)").first.fill("20")
    _submit(walk, page, "erin", page.get_by_role("button", name="Save goal"), f"Goal saved: {title}.",
            "20 % done overall", name="goal-saved")
    goal = page.get_by_role("article", name=title)
    assert _go(page, goal.get_by_role("link", name="Update progress or edit")) == 200
    cited = _first_option(page, "kr-0-evidence")
    page.get_by_label("Progress (percent done)").first.fill("60")
    _pick(page, page.get_by_role("searchbox", name="Evidence the progress rests on").first, cited)
    expect(page.locator(".picker-chosen").first).to_contain_text(cited)
    _submit(walk, page, "erin", page.get_by_role("button", name="Save goal"), "60 % done overall", cited,
            name="goal-updated")


FEEDBACK_CONTEXT = "The payout retry design review in October: was the write-up clear enough to decide on?"


def _request_feedback(walk: Walk, page, ids: dict[str, int]) -> None:
    """Erin asks Pat for feedback: her teammates are offered first, so she ticks him with the keyboard alone."""
    page.get_by_label(re.compile("^What should they give feedback on")).fill(FEEDBACK_CONTEXT)
    pat = page.get_by_role("checkbox", name=re.compile("^Pat Nguyen"))
    pat.focus()
    page.keyboard.press("Space")
    expect(pat).to_be_checked()
    _submit(walk, page, "erin", page.get_by_role("button", name="Send requests"),
            "Feedback requested from 1 person.", FEEDBACK_CONTEXT, "Pat Nguyen", name="feedback-requested")


def _add_accomplishment(walk: Walk, page, ids: dict[str, int]) -> None:
    """Erin writes an accomplishment; the live checks flag vague praise as she types and clear when she is
    specific."""
    title = "Stopped duplicate payouts on retry"
    assert page.get_by_label(re.compile("^Period")).input_value(), "the period is not suggested"
    page.get_by_label(re.compile("^Title")).fill(title)
    cited = _first_option(page, "id_evidence")
    _pick(page, page.get_by_role("searchbox", name=re.compile("^Evidence")), cited)
    page.locator("#id_situation").fill("Retried payouts were sometimes paid twice after a timeout.")
    page.locator("#id_action").fill("I changed the retry path to reuse the payout's idempotency key.")
    result, flags = page.locator("#id_result"), page.locator("#flags-result")
    _type(result, "Huge impact on the business")
    expect(flags).to_contain_text("Vague", timeout=LIVE)
    _type(result, "Duplicate payouts fell from 14 a week to none in the four weeks after the change.")
    expect(flags).not_to_contain_text("Vague", timeout=LIVE)
    page.locator("#id_impact").fill("Finance stopped reconciling duplicate payouts by hand every Monday.")
    page.get_by_label(re.compile("^Teams affected")).fill("2")
    page.get_by_label(re.compile("^People affected")).fill("9")
    _submit(walk, page, "erin", page.get_by_role("button", name="Save accomplishment"), title,
            name="accomplishment-saved")


def _record_checkpoint(walk: Walk, page, ids: dict[str, int]) -> None:
    """Mo records a checkpoint with Erin (dated today unless he changes it)."""
    from django.utils import timezone

    assert page.get_by_label("Date").input_value() == timezone.localdate().isoformat()
    page.get_by_label(re.compile("^Which period or milestone")).fill("Payout retries shipped")
    wins = "Shipped the retry change with a contract test; no duplicate payouts since."
    page.get_by_label(re.compile("^Wins")).fill(wins)
    page.get_by_label(re.compile("^Next steps")).fill("Write the runbook entry for retried payouts by Friday.")
    _submit(walk, page, "mo", page.get_by_role("button", name="Save checkpoint"), "Checkpoint recorded.", wins,
            name="checkpoint-saved")


def _mark_coaching_prompt_done(walk: Walk, page, ids: dict[str, int]) -> None:
    """Mo marks his first coaching prompt done: the card is swapped in place (htmx, no page load), the prompt
    leaves the list and a status line says which one was marked."""
    prompts = page.locator("#coaching form.prompt-actions")
    before = prompts.count()
    assert before, "the demo manager has coaching prompts"
    done = prompts.first.get_by_role("button", name="Done")
    text = page.locator("#" + str(done.get_attribute("aria-describedby"))).inner_text()
    page.evaluate("window.stayedOnThePage = true")
    done.click()
    marked = re.compile(r"Marked done for [^:]+: " + re.escape(text[:40]))
    expect(page.locator("#coaching [role=status]")).to_contain_text(marked)
    expect(prompts).to_have_count(before - 1)
    assert page.evaluate("window.stayedOnThePage === true"), "marking a prompt reloaded the page"
    walk.look(page, "mo", "/team/", name="team-prompt-done")


def _propose_support_plan(walk: Walk, page, ids: dict[str, int]) -> None:
    """Mo proposes a support plan: the dates are filled in for him (six weeks from today) and no diagnosis is
    chosen for him."""
    import datetime as dt

    from django.utils import timezone

    from brightline.support.services import MIN_PLAN_DAYS

    today = timezone.localdate()
    assert page.get_by_label("Starts").input_value() == today.isoformat()
    ends = today + dt.timedelta(days=MIN_PLAN_DAYS)
    assert page.get_by_label(re.compile("^Ends")).input_value() == ends.isoformat()
    assert page.get_by_label("Diagnosis").input_value() == "", "a diagnosis is chosen before the manager decides"
    page.get_by_label("Diagnosis").select_option(label="Temporary overload")
    page.get_by_label(re.compile("^What was observed")).fill(
        "Erin carried the on-call rota alone for three weeks while two teammates were away; she said so.")
    for box in page.locator("input[name='evidence']").all()[:2]:
        box.check()
    page.get_by_label("What the organisation will do").fill("A second on-call engineer from the platform team.")
    goal = "Hand over half of the on-call rota by the end of the month"
    page.get_by_label("Goal", exact=True).fill(goal)
    page.get_by_label("Success criteria").fill("Erin is on call at most one week in three.")
    page.get_by_label("Examples of acceptable improvement").fill("One week in two during the handover.")
    _submit(walk, page, "mo", page.get_by_role("button", name="Propose plan"), "Plan proposed.", goal,
            name="support-plan-proposed")


def _write_commentary(walk: Walk, page, ids: dict[str, int]) -> None:
    """Mo writes his commentary on Erin's half year (what she owned)."""
    from django.utils import timezone

    today = timezone.localdate()
    page.get_by_label(re.compile("^Period")).fill(f"{today.year}-H{1 if today.month <= 6 else 2}")
    owned = "Owned the payout retry redesign from the incident review to the rollout on three services."
    page.get_by_label(re.compile("^What they owned")).fill(owned)
    _submit(walk, page, "mo", page.get_by_role("button", name="Save commentary"), "Commentary saved.", owned,
            name="commentary-saved")


def _answer_feedback(walk: Walk, page, ids: dict[str, int]) -> None:
    """Pat opens Erin's request from his inbox and answers it. A hostile first draft is flagged as he types and
    again when he sends it (naming the field by its label, keeping his words); he rewrites it and sends."""
    from brightline.feedback.models import FeedbackInvitation

    invitation = FeedbackInvitation.objects.get(respondent__user__username="pat", request__context=FEEDBACK_CONTEXT)
    path = f"/growth/invitations/{invitation.pk}/"
    assert _go(page, page.locator(f"main a[href='{path}']")) == 200
    walk.look(page, "pat", path, name="answer-form")
    did = page.locator("#id_what_they_did")
    hostile = "This is fucking garbage code, what the hell were you thinking"
    _type(did, hostile)
    live = page.locator("#flags-what_they_did")
    expect(live).to_contain_text("Tone:", timeout=LIVE)
    expect(live).to_contain_text("does not read as an attack")  # as the check on sending says, below
    page.locator("#id_impact").fill("The refunds team could decide on the retry design in one meeting.")
    page.locator("#id_one_thing_to_grow").fill("Share the draft with the consuming teams a week earlier.")
    _submit(walk, page, "pat", page.get_by_role("button", name="Send feedback"), "Tone check:",
            "What did they do?", name="answer-tone-flagged")
    expect(page.get_by_role("alert")).not_to_contain_text("what_they_did")
    expect(did).to_have_value(hostile)  # nothing is changed or lost: the words wait to be revised
    kind = ("Erin's write-up laid out three retry designs with their failure cases, so the refunds team could "
            "compare them before choosing one.")
    did.fill(kind)
    _submit(walk, page, "pat", page.get_by_role("button", name="Send feedback"),
            "Thank you. Your feedback was sent.", kind, name="answer-sent")


def _open_cycle_and_confirm_early_advance(walk: Walk, page, ids: dict[str, int]) -> None:
    """Pia opens a cycle for one team from the suggested dates. A schedule out of order is refused with the
    phases named as she reads them and everything she typed kept; the corrected form opens the cycle. Ending its
    first phase early asks for a confirmation first: cancelling leaves the phase running, confirming moves it."""
    import datetime as dt

    from django.db.models import Count
    from django.utils import timezone

    from brightline.people.models import Team
    from brightline.reviews.models import Phase, ReviewCycle

    today = timezone.localdate()
    suggested = {phase: page.get_by_label(f"{Phase(phase).label} ends").input_value()
                 for phase in (Phase.EVIDENCE, Phase.DECISION_MEMO, Phase.RELEASE, Phase.ACKNOWLEDGEMENT)}
    assert suggested[Phase.EVIDENCE] > today.isoformat() and all(suggested.values()), suggested
    team = (Team.objects.exclude(slug="payments").annotate(size=Count("members")).filter(size__gt=0)
            .order_by("size", "name").first())
    name = "Next half review"
    page.get_by_label("Name").fill(name)
    page.get_by_label(team.name, exact=True).check()
    too_early = (dt.date.fromisoformat(suggested[Phase.DECISION_MEMO]) - dt.timedelta(days=3)).isoformat()
    page.get_by_label("Release ends").fill(too_early)
    _submit(walk, page, "pia", page.get_by_role("button", name="Open cycle"),
            f"Release would end on {dt.date.fromisoformat(too_early):%-d %b %Y}, before Decision memo ends",
            name="cycle-refused", status=400)
    expect(page.get_by_role("alert")).not_to_contain_text("decision_memo")
    expect(page.get_by_label("Name")).to_have_value(name)
    expect(page.get_by_label(team.name, exact=True)).to_be_checked()
    expect(page.get_by_label("Release ends")).to_have_value(too_early)
    expect(page.get_by_label("Acknowledgement and appeal window ends")).to_have_value(
        suggested[Phase.ACKNOWLEDGEMENT])
    page.get_by_label("Release ends").fill(suggested[Phase.RELEASE])
    _submit(walk, page, "pia", page.get_by_role("button", name="Open cycle"), f"Opened '{name}' for",
            "Phase: Evidence", name="cycle-opened")
    cycle = ReviewCycle.objects.get(name=name)
    assert set(cycle.reviews.values_list("team__slug", flat=True)) == {team.slug}
    advance = page.get_by_role("button", name="Advance to Self review and annotation")
    _submit(walk, page, "pia", advance, "End evidence early?", "cannot be undone", name="cycle-confirm-early")
    cycle.refresh_from_db()
    assert cycle.phase == Phase.EVIDENCE, "the phase moved before it was confirmed"
    assert _go(page, page.get_by_role("link", name="Cancel: keep evidence running")) == 200
    expect(page.get_by_role("heading", name="Phase: Evidence")).to_be_visible()
    cycle.refresh_from_db()
    assert cycle.phase == Phase.EVIDENCE, "cancelling the confirmation moved the phase"
    assert _go(page, advance) == 200
    _submit(walk, page, "pia", page.get_by_role("button", name="Advance to Self review and annotation now"),
            "The cycle moved to its next phase.", "Phase: Self review and annotation", name="cycle-advanced")
    cycle.refresh_from_db()
    assert cycle.phase == Phase.SELF_REVIEW


# The flows, by the page (of FLOWS) they start on.
ACTIONS = {
    ("erin", "/goals/new/"): _set_and_update_goal,
    ("erin", "/growth/{erin}/requests/new/"): _request_feedback,
    ("erin", "/growth/accomplishments/new/"): _add_accomplishment,
    ("mo", "/team/"): _mark_coaching_prompt_done,
    ("mo", "/growth/{erin}/checkpoints/new/"): _record_checkpoint,
    ("mo", "/support/new/{erin}/"): _propose_support_plan,
    ("mo", "/growth/{erin}/commentary/"): _write_commentary,
    ("pat", "/growth/inbox/"): _answer_feedback,
    ("pia", "/reviews/cycles/new/"): _open_cycle_and_confirm_early_advance,
}


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
        actions = {flow.format(**ids): action for (who, flow), action in ACTIONS.items() if who == username}
        for path in _paths(page, username, ids):
            shown = walk.visit(page, username, path)
            walked += shown
            if shown and path in actions:
                started = time.monotonic()
                actions[path](walk, page, ids)
                walk.timed("flows", started)
        if username == "mo":
            started = time.monotonic()
            _assess(walk, page, ids)
            walk.timed("flows", started)
        page.context.close()
    summary = ", ".join(f"{what} {seconds:.1f} s" for what, seconds in sorted(timings.items()))
    (SHOTS / "walk-timings.txt").write_text(
        f"{walked} pages at {len(WIDTHS)} widths in {time.monotonic() - began:.1f} s: {summary}\n")
    assert not problems, "\n".join(problems)
