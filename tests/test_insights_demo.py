"""The demo organisation shows the signals layer at work: Erin's recurring themes and monthly tone chart, the
Payments team's theme summary, and the checks of her draft packet."""

from __future__ import annotations

from html import unescape

import pytest

from brightline.insights.models import Signal
from brightline.people.models import Person


@pytest.fixture
def demo(db):
    from brightline.demo import load_demo

    return load_demo(seed=7)


def test_the_demo_growth_page_and_team_page_show_explained_signals(demo, client):
    erin = Person.objects.get(user__username="erin")
    drift = Signal.objects.get(person=erin, kind="sentiment_drift", is_current=True)
    plotted = [month["month"] for month in drift.detail["months"] if month["shares"] is not None]
    assert len(plotted) >= 2 and drift.enough_data
    summary = Signal.objects.get(person=erin, kind="theme_summary", is_current=True)
    assert summary.statement.startswith("Recurring themes in")
    assert Signal.objects.filter(person=erin, kind="theme", is_current=True).exists()
    team = Signal.objects.get(team=erin.team, kind="theme_summary", is_current=True)
    assert team.enough_data and team.statement.startswith("Recurring themes in")

    client.force_login(erin.user)
    page = unescape(client.get("/insights/me/").content.decode())
    assert "Tone of feedback per month" in page and "the self review cites no evidence" in page
    assert "the manager's assessment of leadership" not in page
    client.force_login(Person.objects.get(user__username="mo").user)
    team_page = unescape(client.get(f"/insights/team/{erin.team.slug}/").content.decode())
    assert "Members it is about" in team_page and team.statement.split(":")[0] in team_page
    # H4: no demo signal waits without an owner, and each owner may review it.
    from brightline import access

    pending = Signal.objects.filter(is_current=True, status=Signal.Status.PENDING).select_related("owner")
    assert pending.exists() and not pending.filter(owner__isnull=True).exists()
    assert all(access.can_review_signal(signal.owner, signal) for signal in pending)
    # The owners find them in "Needs you now" on their home page.
    from brightline.dashboards.inbox import inbox_for

    mo = Person.objects.get(user__username="mo")
    owned = [item for item in inbox_for(mo) if item.kind == "signals"]
    assert owned, "Mo owns the pending signals about his reports"
    client.force_login(mo.user)
    home = unescape(client.get("/").content.decode())
    assert "Needs you now" in home and owned[0].title in home
