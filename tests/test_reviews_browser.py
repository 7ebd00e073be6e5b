"""Real Chromium walks one person through a whole review cycle, each step through the real pages.

Cast (the conftest personas): Pia, people partner, runs the cycle; Erin is reviewed; Mo, her
manager, assesses; Oscar and Olga, both outside Erin's management chain, sit on the panel of two;
Lee, Mo's manager, is named finally accountable in the memo.

Setup only creates people and evidence: Erin moves into a one-person team "Ledger" so the cycle
holds exactly her review, and three evidence items are recorded for her. Everything after that
happens in the browser: Erin writes her three accomplishments on the growth pages, Mo passes the
manager readiness training on its page, and every phase change, vote, change and acknowledgement is
a button press on a review page.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from tests.reviews_helpers import SCHEDULE, make_evidence, olga

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHASE_LABELS = {"evidence": "Evidence", "self_review": "Self review and annotation",
                "manager_assessment": "Manager assessment", "calibration": "Calibration",
                "decision_memo": "Decision memo", "release": "Release",
                "acknowledgement": "Acknowledgement and appeal window"}
DIMENSIONS = ("Technical excellence", "Delivery results", "Judgment and communication", "Leadership")
ACCOMPLISHMENTS = (
    ("Payout retries", "Failed payouts were retried by hand every morning.",
     "I designed and shipped automatic retries.", "Failed payouts fell from 2.1% to 0.6%.",
     "Merchants were paid on time; support tickets halved."),
    ("Ledger reconciliation", "Month-end reconciliation took the finance team four days.",
     "I wrote the nightly reconciliation job and its alerts.", "Month-end close now takes one day.",
     "Finance closes the books three days earlier."),
    ("On-call runbooks", "New on-call engineers escalated most payout incidents.",
     "I wrote runbooks for the five most frequent payout alerts.", "Escalations fell from 12 to 3 a month.",
     "Two new engineers joined the rotation in their first month."),
)


@pytest.fixture
def ledger_team(personas, organisation):
    """Erin alone in her own team, so a cycle for that team is exactly her review."""
    from brightline.people.models import Team, WorkloadClass

    team = Team.objects.create(organisation=organisation, slug="ledger", name="Ledger",
                               workload_class=WorkloadClass.PRODUCT)
    personas.erin.team = team
    personas.erin.save(update_fields=["team"])
    return team


def log_in(browser, live_server, username: str):
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def go(control) -> None:
    """Click a link or a form button and wait for the page it leads to (a post redirects to a fresh page)."""
    with control.page.expect_navigation():
        control.click()


def flash(page):
    """The message the last action left (Django messages, rendered as a status list)."""
    return page.locator("ul.messages")


def follow_nav(page, name: str) -> None:
    """Follow a link of the main navigation, opening the menu that holds it first (a menu of one is a plain link;
    in a menu of its own name, the page is "<name> overview")."""
    nav = page.get_by_role("navigation", name="Main")
    link = nav.get_by_role("link", name=re.compile(rf"^{re.escape(name)}( overview)?$")).first
    if not link.is_visible():
        named = page.locator(f'a:text-is("{name}"), a:text-is("{name} overview")')
        nav.locator("details", has=named).locator("summary").first.click()
    go(link)


def open_reviews(page, link: str | None = None):
    follow_nav(page, "Reviews")
    if link is not None:
        go(page.get_by_role("link", name=link, exact=True).first)


def advance(page, to_phase: str):
    # The cycle page offers the button only once nothing blocks the step: read it as it is now.
    page.reload()
    go(page.get_by_role("button", name=f"Advance to {PHASE_LABELS[to_phase]}"))
    # Before the running phase's scheduled end, a confirmation page asks first (the walk tests it in full).
    confirm = page.get_by_role("button", name=f"Advance to {PHASE_LABELS[to_phase]} now")
    if confirm.count():
        go(confirm)
    expect(flash(page)).to_contain_text("The cycle moved to its next phase.")
    expect(page.get_by_role("heading", name=f"Phase: {PHASE_LABELS[to_phase]}")).to_be_visible()


def test_one_person_goes_through_a_whole_review_cycle_in_the_browser(browser, live_server, personas, ledger_team):
    from brightline.audit.models import AuditEntry
    from brightline.audit.services import verify_chain
    from brightline.reviews.models import ReviewCycle

    evidence = make_evidence(personas.erin, 3)
    cite = [item.citation for item in evidence]

    # --- People partner: open the cycle for Ledger, seat a panel of two, start self review.
    pia = log_in(browser, live_server, "pia")
    open_reviews(pia)
    go(pia.get_by_role("link", name="Open a cycle"))
    pia.get_by_label("Name").fill("2026 H2")
    pia.get_by_label("Ledger").check()
    # The same phase lengths as SCHEDULE, moved so that the appeal window is still open today.
    import datetime as dt

    shift = dt.date.today() + dt.timedelta(days=30) - dt.date.fromisoformat(SCHEDULE["acknowledgement"])
    for phase, ends in SCHEDULE.items():
        pia.get_by_label(f"{PHASE_LABELS[phase]} ends").fill((dt.date.fromisoformat(ends) + shift).isoformat())
    go(pia.get_by_role("button", name="Open cycle"))
    expect(flash(pia)).to_contain_text("Opened '2026 H2' for 1 person.")
    people = pia.get_by_role("region", name="People")
    expect(people.get_by_role("link", name="Erin Employee")).to_be_visible()
    expect(people.get_by_role("row")).to_have_count(2)  # header and Erin
    panelists = pia.get_by_role("searchbox", name=re.compile("^Panelists"))  # the searchable picker
    for name in ("Oscar Outsider", "Olga Othermanager"):
        panelists.fill(name)
        pia.get_by_role("checkbox", name=re.compile(f"^{name}")).check()
    go(pia.get_by_role("button", name="Choose these people as the panel"))
    expect(flash(pia)).to_contain_text("Panel seated.")
    panel = pia.get_by_role("region", name="Calibration panel")
    # The seated people are listed, and stay chosen in the chooser below (its own list of who is chosen).
    expect(panel.get_by_role("list", name="Seated now (2):").get_by_role("listitem")).to_have_text(
        ["Olga Othermanager", "Oscar Outsider"])
    expect(panel.get_by_role("button", name="Remove Oscar Outsider")).to_be_visible()
    advance(pia, "self_review")
    cycle = ReviewCycle.objects.get()
    review = cycle.reviews.get()

    # --- Employee: three accomplishments on the growth pages, one annotated item, the self review.
    erin = log_in(browser, live_server, "erin")
    for title, situation, action, result, impact in ACCOMPLISHMENTS:
        follow_nav(erin, "My growth")
        go(erin.get_by_role("link", name="Add an accomplishment"))
        erin.get_by_label("Period").fill("2026-H2")
        erin.get_by_label("Title").fill(title)
        erin.get_by_label("Situation").fill(situation)
        erin.get_by_label("Action").fill(action)
        erin.get_by_label("Result").fill(result)
        erin.get_by_label("Impact:", exact=True).fill(impact)
        erin.get_by_label("Impact level").select_option(label="Business outcome")
        go(erin.get_by_role("button", name="Save accomplishment"))
        expect(erin.get_by_role("heading", name=title)).to_be_visible()
    open_reviews(erin, "2026 H2")
    expect(erin.get_by_role("heading", level=1)).to_have_text("Erin Employee — 2026 H2")
    erin.get_by_label("Evidence item").select_option(label=str(evidence[0]))
    erin.get_by_label("What it shows").fill("The retry job's first release; it carried the whole rollout.")
    go(erin.get_by_role("button", name="Add to my packet"))
    expect(flash(erin)).to_contain_text("Annotation added to your packet.")
    choose = erin.get_by_role("group", name="Choose 3 to 5 accomplishments to show")
    for title, *_ in ACCOMPLISHMENTS:
        choose.get_by_label(f"{title} (2026-H2)").check()
    erin.get_by_label("Context the reviewers should know").fill("I was on parental leave for six weeks in Q3.")
    go(erin.get_by_role("button", name="Submit self review"))
    expect(flash(erin)).to_contain_text("Self review submitted.")
    expect(erin.get_by_role("region", name="Your self review")).to_contain_text("You can change and resubmit it")

    # --- Manager assessment phase: Mo must pass the training before he can submit.
    advance(pia, "manager_assessment")
    mo = log_in(browser, live_server, "mo")
    open_reviews(mo, "Erin Employee")
    expect(mo.get_by_text("This read is logged and visible to Erin Employee.")).to_be_visible()
    expect(mo.get_by_text("Submission opens after you complete the manager readiness training")).to_be_visible()
    for dimension, outcome, rationale in (
        ("Technical excellence", "Meets",
         f"Designed the payout retry job {cite[0]}, which cut failed payouts from 2.1% to 0.6% for 2 teams."),
        ("Delivery results", "Meets",
         f"Shipped nightly reconciliation {cite[1]}; month-end close went from four days to one for finance."),
        ("Judgment and communication", "Meets",
         f"Wrote five on-call runbooks {cite[2]} that cut escalations from 12 to 3 a month."),
        ("Leadership", "Meets",
         f"Onboarded two engineers onto the on-call rotation with the runbooks {cite[2]} within a month."),
    ):
        article = mo.get_by_role("article", name=dimension)
        expect(article.get_by_text("Engineer II expects:")).to_be_visible()
        expect(article.get_by_text("Senior Engineer (next level) expects:")).to_be_visible()
        article.get_by_label("Outcome against what Engineer II expects").select_option(label=outcome)
        box = article.get_by_label(re.compile("^What the evidence shows"))
        if dimension == "Technical excellence":
            # The narrative check runs as the manager types (htmx on input); the learned check reads
            # vague praise that no phrase list holds.
            box.press_sequentially("His contributions were invaluable.")
            expect(article.get_by_role("list", name="Writing suggestions")).to_contain_text(
                "Vague praise or criticism")
        box.fill(rationale)
        go(article.get_by_role("button", name=f"Save {dimension}"))
        expect(flash(mo)).to_contain_text("Assessment saved.")
    narrative = mo.get_by_role("region", name="Your interpretation and promotion readiness")
    narrative.get_by_label("Summary").fill(f"Erin owned the payouts reliability work {cite[0]} end to end.")
    narrative.get_by_label(re.compile(r"^Promotion readiness against ")).select_option(  # the next level's title
        label="Not yet: next-level behaviours not shown consistently")
    narrative.get_by_label("Why (cite at least two items for 'ready')").fill(
        "IC3 scope (leading work across teams) is not yet shown consistently.")
    go(narrative.get_by_role("button", name="Save narrative"))
    expect(flash(mo)).to_contain_text("Narrative saved.")
    go(mo.get_by_role("button", name="Submit assessment"))
    expect(mo.locator("#form-submit [role=alert]")).to_contain_text("has not completed the manager readiness training")
    review.refresh_from_db()
    assert review.assessment_submitted_at is None

    from brightline.feedback import training

    follow_nav(mo, "Manager training")
    for question in training.QUESTIONS:
        correct = dict(question.options)[question.correct]
        mo.get_by_role("group", name=question.text).get_by_label(correct, exact=True).check()
    go(mo.get_by_role("button", name="Submit answers"))
    expect(mo.get_by_text("The module is complete.")).to_be_visible()
    open_reviews(mo, "Erin Employee")
    go(mo.get_by_role("button", name="Submit assessment"))
    expect(flash(mo)).to_contain_text("Assessment submitted.")
    expect(mo.get_by_role("button", name="Submit assessment")).to_have_count(0)

    # --- Calibration: two independent pre-votes; the spread stays hidden until both are in.
    advance(pia, "calibration")
    oscar = log_in(browser, live_server, "oscar")
    open_reviews(oscar, "Erin Employee")
    vote = oscar.get_by_role("region", name="Your pre-vote")
    expect(vote).to_contain_text("0 of 2 eligible panelists have voted")
    for dimension in DIMENSIONS:
        vote.get_by_label(dimension, exact=True).select_option(label="Meets")
    go(vote.get_by_role("button", name="Record my pre-vote"))
    expect(flash(oscar)).to_contain_text("Pre-vote recorded.")
    vote = oscar.get_by_role("region", name="Your pre-vote")
    expect(vote).to_contain_text("1 of 2 eligible panelists have voted")
    expect(oscar.get_by_role("heading", name="Spread of pre-votes")).to_have_count(0)
    expect(oscar.get_by_role("button", name="Change Delivery results")).to_have_count(0)

    olga_page = log_in(browser, live_server, "olga")
    open_reviews(olga_page, "Erin Employee")
    vote = olga_page.get_by_role("region", name="Your pre-vote")
    expect(vote).to_contain_text("1 of 2 eligible panelists have voted")
    for dimension in DIMENSIONS:
        vote.get_by_label(dimension, exact=True).select_option(label="Meets")
    vote.get_by_label("Delivery results", exact=True).select_option(label="Exceeds")
    vote.get_by_label("Note on Delivery results").fill(f"Reconciliation {cite[1]} changed finance's month.")
    go(vote.get_by_role("button", name="Record my pre-vote"))
    expect(olga_page.get_by_role("heading", name="Spread of pre-votes")).to_be_visible()
    spread = olga_page.get_by_role("region", name="Your pre-vote").get_by_role("table")
    # Columns: needs support, meets, exceeds.
    expect(spread.get_by_role("row", name="Delivery results").get_by_role("cell")).to_have_text(["0", "1", "1"])
    expect(spread.get_by_role("row", name="Leadership").get_by_role("cell")).to_have_text(["0", "2", "0"])
    oscar.reload()
    expect(oscar.get_by_role("heading", name="Spread of pre-votes")).to_be_visible()

    # A calibration change away from the manager's proposal, with a reason citing the packet.
    change = olga_page.get_by_role("form", name="Change Delivery results")
    expect(change.get_by_label("Delivery results (now Meets)")).to_have_value("meets")
    change.get_by_label("Delivery results (now Meets)").select_option(label="Exceeds")
    change.get_by_label("Why, citing the packet").fill(
        f"Reconciliation {cite[1]} moved finance's close by three days: IC2 delivery, beyond expectation.")
    go(change.get_by_role("button", name="Change Delivery results"))
    expect(flash(olga_page)).to_contain_text("Change recorded.")
    expect(olga_page.get_by_role("article", name="Delivery results")).to_contain_text(
        "Outcome: Exceeds (manager proposed Meets)")

    erin.reload()  # before release the employee sees her review, but no outcome yet
    expect(erin.get_by_text("Step: Calibration")).to_be_visible()
    expect(erin.get_by_text("Outcome:")).to_have_count(0)
    expect(erin.get_by_role("link", name="Calibration packet")).to_have_count(0)

    # --- Decision memo, release.
    advance(pia, "decision_memo")
    go(pia.get_by_role("button", name="Generate decision memos from the record"))
    expect(flash(pia)).to_contain_text("Decision memos generated from the record.")
    advance(pia, "release")

    # --- Employee: outcome, expectations, memo; acknowledges.
    erin.reload()
    expect(erin.get_by_text("Step: Release")).to_be_visible()
    delivery = erin.get_by_role("article", name="Delivery results")
    expect(delivery).to_contain_text("Outcome: Exceeds (manager proposed Meets)")
    expect(delivery).to_contain_text("Engineer II expects:")
    expect(delivery).to_contain_text("Senior Engineer (next level) expects:")
    expect(delivery).to_contain_text("Olga Othermanager: Meets → Exceeds")
    expect(erin.get_by_role("article", name="Leadership")).to_contain_text("Outcome: Meets")
    memo = erin.get_by_role("region", name="Decision memo")
    expect(memo).to_contain_text("Finally accountable: Lee Leader")
    expect(memo).to_contain_text("Erin owned the payouts reliability work")
    expect(memo).to_contain_text("I was on parental leave")
    expect(memo).to_contain_text("Delivery results: Meets → Exceeds by Olga Othermanager — Reconciliation")
    # Pre-votes reach the employee without the panelists' names: the policy's default after release.
    expect(memo).to_contain_text(re.compile(r"Panelist \d pre-voted Meets on Delivery results \(final: Exceeds\)\."))
    expect(memo).not_to_contain_text("Oscar Outsider pre-voted")
    go(erin.get_by_role("link", name="Calibration packet"))
    expect(erin.get_by_role("heading", name="Role and level expectations")).to_be_visible()
    chosen = erin.locator("section").filter(has=erin.get_by_role("heading", name="Accomplishments", exact=True))
    expect(chosen.get_by_role("listitem")).to_have_count(3)
    for title, *_ in ACCOMPLISHMENTS:
        expect(chosen).to_contain_text(title)
    erin.go_back()
    erin.get_by_label("Comment (optional)").fill("Seen, thank you.")
    go(erin.get_by_role("button", name="Acknowledge"))
    expect(flash(erin)).to_contain_text("Acknowledged. You can still appeal within the window.")
    expect(erin.get_by_role("button", name="Request a second review")).to_be_visible()
    pia.reload()
    # Person, manager, self review, assessment, memo, acknowledged.
    expect(pia.get_by_role("region", name="People").get_by_role("row", name="Erin Employee").get_by_role(
        "cell")).to_have_text(["Erin Employee", "Mo Manager", "submitted", "submitted", "written", "yes"])

    # --- The audit trail holds every step, in order, and the chain verifies.
    review.refresh_from_db()
    assert review.acknowledged_at is not None and review.acknowledgement_comment == "Seen, thank you."
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    for expected, count in {
        "reviews.cycle.opened": 1, "reviews.panel.set": 1, "feedback.accomplishment.created": 3,
        "reviews.packet.item_annotated": 1, "reviews.self_review.accomplishments_selected": 1,
        "reviews.self_review.submitted": 1, "reviews.assessment.saved": 4,
        "reviews.assessment.narrative_saved": 1, "feedback.training.passed": 1, "reviews.assessment.submitted": 1,
        "reviews.packet.item_included": 6, "reviews.prevote.recorded": 8,
        "reviews.calibration.changed": 1, "reviews.memo.generated": 1,
        "reviews.review.acknowledged": 1,
    }.items():
        assert actions.count(expected) == count, expected
    order = ["reviews.cycle.opened", "reviews.self_review.submitted", "feedback.training.passed",
             "reviews.assessment.submitted", "reviews.prevote.recorded", "reviews.calibration.changed",
             "reviews.memo.generated", "reviews.review.acknowledged"]
    assert [actions.index(action) for action in order] == sorted(actions.index(action) for action in order)
    inclusions = [entry.data for entry in AuditEntry.objects.filter(action="reviews.packet.item_included")]
    assert sorted((row["via"], row["reference"].split(":")[0]) for row in inclusions) == [
        ("annotation", "evidence_item"), ("assessment", "evidence_item"), ("assessment", "evidence_item"),
        ("self_review", "accomplishment"), ("self_review", "accomplishment"), ("self_review", "accomplishment")]
    moves = [entry.data for entry in AuditEntry.objects.filter(action="reviews.cycle.advanced").order_by("seq")]
    assert [move["to"] for move in moves] == ["self_review", "manager_assessment", "calibration", "decision_memo",
                                              "release"]
    assert moves[2]["conflicts_declared"] == 0  # neither panelist is in Erin's chain
    change_entry = AuditEntry.objects.get(action="reviews.calibration.changed")
    assert change_entry.actor_id == olga().pk and change_entry.data["outcome"] == {"from": "meets", "to": "exceeds"}
    assert change_entry.data["citations"] == [f"evidence_item:{evidence[1].pk}"]
    assert all("outcome" not in entry.data
               for entry in AuditEntry.objects.filter(action="reviews.prevote.recorded")), "pre-votes leak"
    assert verify_chain().ok
