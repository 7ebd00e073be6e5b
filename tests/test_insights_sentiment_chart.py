"""The monthly tone chart behind a sentiment drift (C2): shares per month with n, small months withheld."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from brightline.audit.models import AccessLog

TODAY = date(2026, 10, 28)
PRAISE = ("Great work on the release, thank you, it was excellent!",
          "Really helpful and friendly reviews, I love working with her.",
          "Fantastic job, the migration went perfectly.")
COMPLAINTS = ("This was a frustrating mess, the release broke everything again.",
              "Terrible handover, nothing worked and I am annoyed.",
              "The reviews are sloppy and the bugs keep coming back, very disappointing.")


def olga():
    from brightline.people.models import Person

    return Person.objects.get(user__username="olga")


def give_feedback(subject, writers, *, on: date, texts: tuple[str, str, str]):
    """Each writer answers one named request about ``subject``, dated ``on``.

    The date is part of each text: the same text twice from one writer would count once (C11).
    """
    from brightline.feedback import services as feedback_services
    from brightline.feedback.models import FeedbackResponse

    request = feedback_services.request_feedback(actor=subject, subject=subject,
                                                 respondents=[(writer, "peer") for writer in writers])
    for writer in writers:
        feedback_services.submit_feedback_response(
            actor=writer, invitation=request.invitations.get(respondent=writer),
            data=feedback_services.ResponseInput(*(f"{text} ({on:%d %B})" for text in texts)),
            send_despite_tone=True)
    FeedbackResponse.objects.filter(request=request).update(
        submitted_at=datetime.combine(on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10))


@pytest.fixture
def turning_feedback(personas):
    """May: five answers from three people, all praise. July: two answers (too few). October: five
    answers from three people, all complaints."""
    writers = [personas.pat, personas.mo, olga()]
    give_feedback(personas.erin, writers, on=date(2026, 5, 12), texts=PRAISE)
    give_feedback(personas.erin, writers[:2], on=date(2026, 5, 19), texts=PRAISE)
    give_feedback(personas.erin, writers[:2], on=date(2026, 7, 7), texts=PRAISE)
    give_feedback(personas.erin, writers, on=date(2026, 10, 6), texts=COMPLAINTS)
    give_feedback(personas.erin, writers[:2], on=date(2026, 10, 13), texts=COMPLAINTS)
    from brightline.insights.services import run_insights

    run_insights(person=personas.erin, today=TODAY)


def chart_spec(page: str) -> dict:
    scripts = re.findall(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', page, re.S)
    specs = [json.loads(script) for script in scripts]
    return next(spec for spec in specs
                if spec.get("title", {}).get("text", "").startswith("Tone of feedback per month"))


def test_the_growth_page_charts_the_monthly_tone_behind_the_drift(personas, turning_feedback, client_for):
    response = client_for(personas.erin).get("/insights/me/")
    page = response.content.decode()
    assert "Feedback became more negative" in page
    assert "vega-lite.min.js" in page and 'class="card vl-chart"' in page
    spec = chart_spec(page)
    by_month: dict[str, dict[str, float]] = {}
    counts: dict[str, int] = {}
    for row in spec["data"]["values"]:
        by_month.setdefault(row["month"][:7], {})[row["tone"]] = row["share"]
        counts[row["month"][:7]] = row["n"]
    assert list(by_month) == ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    assert counts == {"2026-04": 0, "2026-05": 5, "2026-06": 0, "2026-07": 2, "2026-08": 0, "2026-09": 0,
                      "2026-10": 5}
    assert by_month["2026-05"]["positive"] > 0.6 and by_month["2026-10"]["negative"] > 0.6
    assert sum(by_month["2026-05"].values()) == pytest.approx(1.0, abs=0.01)
    # Two answers in July are shown as "not enough data", never as a share.
    assert by_month["2026-07"] == {"not enough data": 1.0}
    rule = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    assert rule["data"]["values"][0]["label"] == "drift: more negative after this date"
    table = page.split('class="sentiment-months"')[1].split("</table>")[0]
    assert re.search(r"2026-07</th><td>2</td><td>2</td>\s*<td colspan=\"3\" class=\"muted\">not enough data", table)
    assert re.search(r"2026-05</th><td>5</td><td>3</td>", table)
    # The window cuts its first and last months (it ends on the 28th): they are drawn lighter and dashed.
    from brightline.insights.charts import INCOMPLETE_MONTH, WHOLE_MONTH

    periods = {row["month"][:7]: row["period"] for row in spec["data"]["values"]}
    assert periods["2026-10"] == INCOMPLETE_MONTH and periods["2026-07"] == periods["2026-08"] == WHOLE_MONTH
    bars = spec["layer"][0]["encoding"]
    assert bars["opacity"]["scale"]["domain"] == [WHOLE_MONTH, INCOMPLETE_MONTH] and bars["opacity"]["legend"]
    assert "only in part" in spec["title"]["subtitle"]


def test_the_manager_sees_the_chart_and_the_read_is_logged(personas, turning_feedback, client_for):
    page = client_for(personas.mo).get(f"/insights/person/{personas.erin.pk}/").content.decode()
    assert chart_spec(page)["title"]["text"] == "Tone of feedback per month — Erin Employee"
    assert AccessLog.objects.filter(viewer=personas.mo, subject=personas.erin, record="insights.signals").exists()


def test_no_month_is_plotted_when_each_has_too_few_writers(personas, client_for):
    writers = [personas.pat, personas.mo]
    for day in (date(2026, 6, 2), date(2026, 6, 9), date(2026, 6, 16)):
        give_feedback(personas.erin, writers, on=day, texts=PRAISE)
    from brightline.insights.services import run_insights

    run_insights(person=personas.erin, today=TODAY)
    page = client_for(personas.erin).get("/insights/me/").content.decode()
    spec = chart_spec(page)
    june = [row for row in spec["data"]["values"] if row["month"].startswith("2026-06")]
    # Six answers, but from two people: below the three-writer minimum, so no share is shown.
    assert june == [{"month": "2026-06-01", "n": 6, "writers": 2, "period": "whole month",
                     "tone": "not enough data", "share": 1.0, "order": 3}]
    assert {row["tone"] for row in spec["data"]["values"]} == {"not enough data"}
    assert "Not enough feedback yet to see a trend in its tone" in page
    rule = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    assert rule["data"]["values"][0]["label"] == "halves compared"


def test_a_drift_without_enough_feedback_is_a_note_with_nothing_to_accept_or_dismiss(personas, client_for):
    from brightline.dashboards.inbox import inbox_for
    from brightline.insights.models import Signal
    from brightline.insights.services import InsightsError, accept_signal, run_insights

    give_feedback(personas.erin, [personas.pat, personas.mo], on=date(2026, 6, 2), texts=PRAISE)
    give_feedback(personas.erin, [personas.pat, personas.mo], on=date(2026, 9, 15), texts=COMPLAINTS)
    run_insights(person=personas.erin, today=TODAY)
    drift = Signal.objects.get(person=personas.erin, kind="sentiment_drift", is_current=True)
    assert not drift.enough_data and drift.status == Signal.Status.PENDING
    # The note says what each half has and needs, in numbers.
    assert drift.statement.startswith("Not enough feedback yet to see a trend in its tone")
    assert drift.statement.endswith(": 2 of the 5 comments needed, from 2 of the 3 people needed; since then: "
                                    "2 of the 5 comments needed, from 2 of the 3 people needed.")
    for viewer in (personas.erin, personas.mo):
        page = client_for(viewer).get(f"/insights/person/{personas.erin.pk}/" if viewer != personas.erin
                                      else "/insights/me/").content.decode()
        card = page[page.index(f'id="signal-{drift.pk}"'):]
        card = card[:card.index("</article>")]
        assert "note: not enough data yet" in card and "Nothing to accept or dismiss" in card
        assert "<form" not in card and "Not decided yet" not in card
        assert "Why am I seeing this?" in card  # its provenance is still there
    # Nobody is asked to review it, and a review is refused.
    for owner in (personas.erin, personas.mo):
        assert not [item for item in inbox_for(owner) if item.kind == "signals"]
    with pytest.raises(InsightsError, match="nothing to accept or dismiss"):
        accept_signal(actor=personas.erin, signal=drift, reason="seen")
    response = client_for(personas.erin).post(f"/insights/signals/{drift.pk}/review/",
                                              {"decision": "accept", "reason": "seen"})
    drift.refresh_from_db()
    assert drift.status == Signal.Status.PENDING and response.status_code in (200, 302, 400)



def test_a_drift_that_finds_no_change_is_shown_as_information_with_nothing_to_review(personas, turning_feedback,
                                                                                    client_for):
    from brightline.dashboards.inbox import inbox_for
    from brightline.insights.models import Signal
    from brightline.insights.services import InsightsError, dismiss_signal, review_counts, run_insights

    turned = Signal.objects.get(person=personas.erin, kind="sentiment_drift", is_current=True)
    assert turned.is_finding and turned.awaits_review  # a real drift still waits for a person's review
    # The same praise from the same three people in both halves: enough feedback, and no change.
    others = [personas.erin, personas.mo, olga()]
    for day, count in ((date(2026, 5, 12), 3), (date(2026, 5, 19), 2), (date(2026, 10, 6), 3), (date(2026, 10, 13), 2)):
        give_feedback(personas.pat, others[:count], on=day, texts=PRAISE)
    run_insights(person=personas.pat, today=TODAY)
    flat = Signal.objects.get(person=personas.pat, kind="sentiment_drift", is_current=True)
    assert flat.enough_data and flat.detail["trend"] == "flat", flat.statement
    assert not flat.is_finding and flat.is_note and not flat.awaits_review
    assert flat.statement.startswith("No clear change in the tone of feedback")
    page = client_for(personas.mo).get(f"/insights/person/{personas.pat.pk}/").content.decode()
    card = page[page.index(f'id="signal-{flat.pk}"'):]
    card = card[:card.index("</article>")]
    assert "for information: nothing found" in card and "Nothing to accept or dismiss" in card
    assert "<form" not in card and "Not decided yet" not in card and "Why am I seeing this?" in card
    assert "it found nothing to follow up" in card
    findings = Signal.objects.filter(owner=personas.pat, status=Signal.Status.PENDING, is_current=True,
                                     is_finding=True).count()
    asked = [item.title for item in inbox_for(personas.pat) if item.kind == "signals"]
    assert flat.owner_id == personas.pat.pk
    assert asked == ([f"{findings} AI signal{'s' if findings != 1 else ''} about you "
                      f"{'waits' if findings == 1 else 'wait'} for you to accept or dismiss"] if findings else [])
    waiting = review_counts()["sentiment_drift"]["pending"]
    assert waiting == 1, "only Erin's drift waits for a review"
    with pytest.raises(InsightsError, match="nothing to accept or dismiss"):
        dismiss_signal(actor=personas.mo, signal=flat, reason="nothing there")
    flat.refresh_from_db()
    assert flat.status == Signal.Status.PENDING and flat.reviewed_by is None
    # Rows stored before the flag existed are marked by the migration that added it, with the same rules.
    import importlib

    from django.apps import apps

    migration = importlib.import_module("brightline.insights.migrations.0003_signal_is_finding")
    Signal.objects.update(is_finding=True)
    migration.mark_non_findings(apps, None)
    assert not Signal.objects.get(pk=flat.pk).is_finding and Signal.objects.get(pk=turned.pk).is_finding
    assert set(Signal.objects.filter(is_finding=False).values_list("kind", flat=True)) <= {"sentiment_drift",
                                                                                           "theme_summary"}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_tone_chart_draws_in_chromium_without_errors(personas, turning_feedback, live_server):
    from tests.browser_helpers import CHROMIUM, CHROMIUM_ARGS
    from tests.conftest import PASSWORD

    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        # Chromium asks for /favicon.ico on its own (a 404 here); the page's own requests are checked below.
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
                if response.status >= 400 else None)
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill("erin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/insights/me/")
        page.wait_for_selector(".vl-chart .vl-target svg, .vl-chart .vl-target canvas", timeout=15_000)
        browser.close()
    assert errors == []


# Drawn again as SVG in the page's own chart box, to measure where Vega put the plot and the legends.
MEASURE_CHART = """async () => {
  const box = document.querySelector('.vl-chart');
  const spec = JSON.parse(box.querySelector("script[type='application/json']").textContent);
  delete spec.title;
  const target = document.createElement('div');
  target.style.width = box.querySelector('.vl-target').clientWidth + 'px';
  box.appendChild(target);
  await vegaEmbed(target, spec, {actions: false, renderer: 'svg'});
  const edges = (el) => { const b = el.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const plot = [...target.querySelectorAll('g.role-axis, g.mark-rect.role-mark')].map(edges);
  return {legends: [...target.querySelectorAll('g.role-legend')].map(edges),
          plot: [Math.min(...plot.map(b => b[0])), Math.min(...plot.map(b => b[1])),
                 Math.max(...plot.map(b => b[2])), Math.max(...plot.map(b => b[3]))],
          svg: edges(target.querySelector('svg')), box: edges(box)};
}"""


@pytest.mark.parametrize("width", [390, 1366])
def test_the_tone_chart_keeps_its_legend_below_the_plot_at_phone_and_desktop_widths(personas, turning_feedback,
                                                                                   live_server, width):
    """At 390 px a legend beside the plot took a third of the width and the month counts ran into each other."""
    from tests.browser_helpers import CHROMIUM, CHROMIUM_ARGS, log_in
    from tests.conftest import PASSWORD

    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = log_in(browser, live_server, PASSWORD, "erin", viewport={"width": width, "height": 900})
        page.goto(f"{live_server.url}/insights/me/")
        page.wait_for_selector(".vl-chart .vl-target svg, .vl-chart .vl-target canvas", timeout=15_000)
        measured = page.evaluate(MEASURE_CHART)
        browser.close()
    plot_left, _, plot_right, plot_bottom = measured["plot"]
    svg_left, _, svg_right, _ = measured["svg"]
    assert measured["legends"]
    for _, legend_top, _, _ in measured["legends"]:
        assert legend_top >= plot_bottom - 0.5  # below the plot, never over or beside it
    assert plot_right - plot_left >= 0.8 * (svg_right - svg_left)  # the plot takes the chart's width
    assert measured["svg"][2] <= measured["box"][2] + 0.5  # nothing drawn past the card
