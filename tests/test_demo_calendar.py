"""The demo follows the calendar: built for any day, it shows the same figures over each page's default window.

The clock is moved with time-machine (never the machine's own); the demo is loaded as ``demo load`` would
load it on that day, inside a transaction rolled back afterwards (today's is copied from the demo the suite
built today, on PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone

from brightline.core.demo_calendar import REFERENCE_TODAY, half_year_name, on_demo_calendar, previous_quarter_days
from tests.demo_helpers import DEMO_SEED, demo_from, reset_sequences

pytestmark = pytest.mark.clock

# Days after the real today on which the demo is loaded: a month on, a year on and a year back.
SHIFTS = (0, 31, 365, -365)


def _page(client: Client, username: str, url: str) -> Any:
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context


def page_figures() -> dict[str, Any]:
    """What the delivery, team-health and fairness pages show over their default windows, without dates."""
    client = Client()
    delivery = _page(client, "erin", "/evidence/teams/payments/")
    health = _page(client, "mo", "/evidence/teams/payments/health/")
    system = _page(client, "lee", "/governance/system-health/")
    from brightline.people.models import Person

    manager = _page(client, "pia", f"/governance/managers/{Person.objects.get(user__username='mo').pk}/")
    team_health, time_off = health["health"], health["time_off"].summary
    return {
        "delivery": delivery["current"]["json"],
        "reliability": repr(delivery["reliability"]),
        # Counts, not the after-hours, weekend or working-day figures: the working-week history is written on
        # whole weeks, but summer time moves a late change or a night page by an hour on the clock, so those
        # may move a little with the season (the shades of a manager's team at a glance do not: see below).
        "health": (team_health.people, team_health.events, team_health.pages),
        "people_in_health": len(health["visible"]),
        "time_off": (time_off.members, time_off.counted, time_off.share_without_time_off, time_off.pages,
                     time_off.pages_during_time_off),
        "attrition": (system["attrition"].transfers, system["attrition"].leavers),
        "promotion_velocity": repr(system["velocity"]),
        "organisation_clarity": [(row.summary.n, row.summary.median) for row in system["clarity"].quarters],
        "manager_clarity": [(row.summary.n, row.summary.median, row.not_enough_responses)
                            for row in manager["quality"].clarity.quarters],
    }


def team_glance() -> dict[str, tuple[int, int, int, bool]]:
    """Mo's team at a glance, per report: the shades of work outside their own hours, of pages outside working
    hours and of their share of the team's pages, and whether a prompt asks about their hours."""
    from brightline.dashboards.team import team_at_a_glance
    from brightline.people.models import Person

    glance = team_at_a_glance(Person.objects.get(user__username="mo"))
    assert not glance.team_prompts, [prompt.text for _team, prompt in glance.team_prompts]
    return {row.person.name: (row.outside_hours.shade, row.pages_outside.shade, row.page_share.shade,
                              any("outside their own working hours" in prompt.text for prompt in row.prompts))
            for row in glance.rows}


@pytest.fixture(scope="module")
def figures_by_shift(django_db_setup, django_db_blocker, demo_snapshot):
    from brightline.demo import load_demo

    now = timezone.now()
    figures = {}
    for shift in SHIFTS:
        with time_machine.travel(now + timedelta(days=shift), tick=True), django_db_blocker.unblock(), \
                transaction.atomic():
            reset_sequences()
            # Today's demo is the one the other tests copy (built today by the same load); the other days load.
            result = demo_from(demo_snapshot) if shift == 0 else load_demo(seed=DEMO_SEED)
            assert result.today == timezone.localdate()
            figures[shift] = (result.today, page_figures(), team_glance())
            transaction.set_rollback(True)
    return figures


def test_the_demo_is_built_for_the_day_it_is_loaded(figures_by_shift, db):
    today = figures_by_shift[0][0]
    for shift, (built_for, _, _) in figures_by_shift.items():
        assert built_for == today + timedelta(days=shift)


def test_every_default_window_shows_the_same_figures_whenever_the_demo_is_loaded(figures_by_shift, db):
    _, today_figures, _ = figures_by_shift[0]
    # The figures are real ones, not empty pages: deliveries, pages and people, three transfers and three leavers.
    assert today_figures["delivery"]["deployments"] > 0
    assert today_figures["health"][1] > 0 and today_figures["people_in_health"] > 0
    assert today_figures["attrition"] == (3, 3)
    assert len(today_figures["manager_clarity"]) == 4
    for shift, (_, figures, _) in figures_by_shift.items():
        assert figures == today_figures, f"a demo loaded {shift} days from today shows other figures"


def test_a_managers_team_at_a_glance_is_calm_with_one_clear_exception_whenever_the_demo_is_loaded(
        figures_by_shift, db):
    """The demo's changes fall in working hours on weekdays; Erin (two on-call weeks in a row) carries more."""
    _, _, today_glance = figures_by_shift[0]
    assert len(today_glance) >= 5
    # Worth a check-in: work outside their hours shaded "more" or darker, a prompt about their hours, or any
    # cell at the darkest shade.
    flagged = {name for name, (outside, pages_outside, share, prompted) in today_glance.items()
               if outside >= 2 or prompted or 3 in (outside, pages_outside, share)}
    assert flagged == {"Erin Okafor"}
    calm = [name for name, (outside, pages_outside, _share, _prompted) in today_glance.items()
            if outside == 0 and pages_outside <= 1]
    assert len(calm) >= len(today_glance) - 1
    for shift, (_, _, glance) in figures_by_shift.items():
        assert glance == today_glance, f"a demo loaded {shift} days from today shades Mo's team differently"


def test_fixed_dates_move_with_the_day_the_demo_is_built_for():
    import datetime as dt

    assert on_demo_calendar(REFERENCE_TODAY, dt.date(2030, 2, 14)) == dt.date(2030, 2, 14)
    assert on_demo_calendar(dt.date(2025, 9, 1), dt.date(2027, 11, 2)) == dt.date(2026, 9, 1)


def test_half_years_and_quarters_follow_the_calendar():
    import datetime as dt

    assert [half_year_name(dt.date(2026, 10, 5), before) for before in (2, 1, 0)] == ["2025 H2", "2026 H1", "2026 H2"]
    assert half_year_name(dt.date(2027, 1, 1)) == "2027 H1" and half_year_name(dt.date(2027, 6, 30), 1) == "2026 H2"
    rounds = previous_quarter_days(dt.date(2026, 11, 2), (19, 11, 11, 12))
    assert rounds == (dt.date(2025, 12, 12), dt.date(2026, 3, 20), dt.date(2026, 6, 19), dt.date(2026, 9, 18))
    # On the first day of a quarter the rounds still fall in the four quarters before it.
    rounds = previous_quarter_days(dt.date(2027, 1, 1), (19, 11, 11, 12))
    assert [(day.year, (day.month - 1) // 3 + 1) for day in rounds] == [(2026, 1), (2026, 2), (2026, 3), (2026, 4)]
