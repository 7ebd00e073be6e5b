"""The organisation at a glance, for the home page of leaders and people partners: the few figures a leader needs
first (people and teams, where the open review cycle stands, the delivery headline), each with how fresh it is.

Aggregates only, never a person: the delivery figures of a team below the minimum cohort are left out of the
headline, as on the leadership view. A fixed number of queries whatever the organisation's size, and no work in
Python that grows with it: the team sizes come from their rollup (``rollups.teams``), the open cycle's progress
is counted by the database, and the delivery headline is worked out from the stored per-team rollups once per
process for each version of them (read, never computed here: until the refresh job has computed them, the card
has no delivery line).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from statistics import median

from django.utils import timezone

from brightline.dashboards.partner import CycleOverview, open_cycle_overviews
from brightline.policy.services import min_cohort_size
from brightline.rollups import delivery as team_delivery
from brightline.rollups import teams
from brightline.rollups.services import Fresh, derived, oldest, read_all, read_one, version


@dataclass(frozen=True)
class Figure:
    """One line of the card: what it is, the number in words, and how fresh it is."""

    label: str
    text: str
    freshness: str
    stale: bool = False


def _when(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%-d %b %Y, %H:%M}"


def _freshness(fresh: list[Fresh]) -> str:
    as_of = oldest(fresh)
    return (f"as of {_when(as_of)}" if as_of else "") + (", being refreshed" if any(item.stale for item in fresh)
                                                         else "")


def _people() -> tuple[Figure, Fresh]:
    """Active people and teams, from the stored headcounts (one query once this process has decoded them)."""
    fresh = read_one(teams.KIND, str(min_cohort_size()))
    sizes: teams.TeamSizes = fresh.value
    count = len(sizes.teams)
    text = (f"{sizes.people} {'person' if sizes.people == 1 else 'people'} in {count} "
            f"team{'s' if count != 1 else ''}")
    if sizes.withheld_pks:
        text += (f" ({len(sizes.withheld_pks)} below the minimum of {sizes.min_cohort} people: no team figures of "
                 "their own)")
    text += _outside_teams(sizes)
    return Figure("People", text, _freshness([fresh]), fresh.stale), fresh


def _outside_teams(sizes: teams.TeamSizes) -> str:
    """Who the count of team members leaves out (counted with it, in the same rollup), said so that it never seems
    to contradict the People list, which counts everyone who has not left, in a team or not."""
    parts = []
    if sizes.without_team:
        parts.append(f"{sizes.without_team} more without a team ({sizes.people + sizes.without_team} in the People "
                     "list)")
    if sizes.left:
        parts.append(f"{sizes.left} who {'has' if sizes.left == 1 else 'have'} left, not counted")
    return "; " + "; ".join(parts) if parts else ""


def _cycle(overview: CycleOverview, now: dt.datetime) -> Figure:
    """Where the newest open cycle stands, counted over every review in it."""
    line = overview.phase
    if overview.phase_ends_on:
        line += f" until {overview.phase_ends_on:%-d %b %Y}"
    people = overview.total.people
    progress = overview.progress()
    acknowledged = overview.total.acknowledged
    if progress:
        line += f": {progress}"
    elif acknowledged:
        line += f": {acknowledged} of {people} outcomes acknowledged"
    else:
        line += f", {people} {'person' if people == 1 else 'people'} reviewed"
    if progress or acknowledged:  # which part of the organisation the cycle covers: it may not be everyone
        teams = overview.team_count
        line += (f"; {people} {'person' if people == 1 else 'people'} in {teams} team{'s' if teams != 1 else ''} "
                 f"take{'s' if people == 1 else ''} part")
    return Figure(overview.cycle.name, line + ".", f"counted now ({_when(now)})")


def _delivery(sizes: Fresh) -> Figure | None:
    """The delivery headline from the stored per-team rollups of the teams that may be shown: worked out once per
    process for each version of those rollups and of the headcounts (one query when nothing changed)."""
    marker = ("glance.delivery", sizes.value.min_cohort, sizes.as_of, version(team_delivery.KIND))
    return derived(marker, lambda: _delivery_now(sizes.value.shown_pks))


def _delivery_now(shown_teams: set[int]) -> Figure | None:
    fresh = [item for key, item in read_all(team_delivery.KIND).items() if key.isdigit() and int(key) in shown_teams]
    figures = [item.value for item in fresh if item.value]
    if not figures:
        return None
    per_week = sum(float(each.get("deployments_per_week") or 0) for each in figures)
    up = sum(1 for each in figures if each.get("deployments_trend") == "up")
    down = sum(1 for each in figures if each.get("deployments_trend") == "down")
    rates = [float(each["change_fail_rate"]) for each in figures if each.get("change_fail_rate") is not None]
    weeks = team_delivery.DELIVERY_WINDOW_DAYS // 7
    text = (f"{per_week:.1f} deployments a week across {len(figures)} team{'s' if len(figures) != 1 else ''} "
            f"over the last {weeks} weeks")
    if up or down:
        text += f"; more than in the {weeks} weeks before in {up} team{'s' if up != 1 else ''}, fewer in {down}"
    if rates:
        text += f"; a typical team's changes fail {median(rates) * 100:.0f} % of the time"
    return Figure("Delivery", text + ".", _freshness(fresh), any(item.stale for item in fresh))


def organisation_glance(*, with_cycle: bool = True) -> list[Figure]:
    """The figures of the organisation card, in reading order (``with_cycle=False``: the page shows the cycles
    elsewhere already), with the policy's minimum cohort."""
    now = timezone.now()
    people, sizes = _people()
    figures = [people]
    if with_cycle:
        overviews = open_cycle_overviews(with_teams=False)  # the card shows the totals, not the teams behind
        if overviews:
            figures.append(_cycle(overviews[0], now))
    delivery = _delivery(sizes)
    if delivery is not None:
        figures.append(delivery)
    return figures
