"""The organisation at a glance, for the home page of leaders and people partners: the few figures a leader needs
first (people and teams, where the open review cycle stands, the delivery headline), each with how fresh it is.

Aggregates only, never a person: the delivery figures of a team below the minimum cohort are left out of the
headline, as on the leadership view. A fixed number of queries whatever the organisation's size: one for the team
sizes and the minimum cohort, two for the open cycles' progress, one for the stored delivery rollups (read, never
computed here: until the refresh job has computed them, the card has no delivery line).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from statistics import median

from django.db.models import Count, Q, Subquery
from django.utils import timezone

from brightline.core.fairness import suppress_small_groups
from brightline.dashboards.partner import CycleOverview, open_cycle_overviews
from brightline.people.models import Team
from brightline.policy.models import Policy
from brightline.rollups import delivery as team_delivery
from brightline.rollups.services import oldest, read_all


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


def _team_sizes() -> tuple[dict[tuple[int], int], int]:
    """Active people per team with a member, and the policy's minimum cohort, in one query (the policy row may not
    exist yet: then its default)."""
    policy = Policy.objects.filter(pk=1).values("min_cohort_size")[:1]
    rows = list(Team.objects.annotate(size=Count("members", filter=Q(members__is_active=True)),
                                      min_cohort=Subquery(policy)).filter(size__gt=0)
                .values_list("pk", "size", "min_cohort"))
    default = Policy._meta.get_field("min_cohort_size").get_default()
    min_cohort = next((cohort for _, _, cohort in rows if cohort is not None), default)
    return {(pk,): size for pk, size, _ in rows}, int(min_cohort)


def _people(now: dt.datetime) -> tuple[Figure, set[int]]:
    """Active people and teams (one query); returns the teams large enough to show figures of their own."""
    sizes, min_cohort = _team_sizes()
    withheld = suppress_small_groups(sizes, min_cohort=min_cohort)
    people = sum(sizes.values())
    text = f"{people} {'person' if people == 1 else 'people'} in {len(sizes)} team{'s' if len(sizes) != 1 else ''}"
    if withheld:
        text += f" ({len(withheld)} below the minimum of {min_cohort} people: no team figures of their own)"
    return Figure("People", text, f"counted now ({_when(now)})"), {key[0] for key in sizes if key not in withheld}


def _cycle(overview: CycleOverview, now: dt.datetime) -> Figure:
    """Where the newest open cycle stands, counted over every review in it."""
    line = overview.phase
    if overview.phase_ends_on:
        line += f" until {overview.phase_ends_on:%-d %b %Y}"
    people = sum(row.people for row in overview.teams)
    progress = overview.progress()
    acknowledged = sum(row.acknowledged for row in overview.teams)
    if progress:
        line += f": {progress}"
    elif acknowledged:
        line += f": {acknowledged} of {people} outcomes acknowledged"
    else:
        line += f", {people} {'person' if people == 1 else 'people'} reviewed"
    if progress or acknowledged:  # which part of the organisation the cycle covers: it may not be everyone
        teams = len(overview.teams)
        line += (f"; {people} {'person' if people == 1 else 'people'} in {teams} team{'s' if teams != 1 else ''} "
                 f"take{'s' if people == 1 else ''} part")
    return Figure(overview.cycle.name, line + ".", f"counted now ({_when(now)})")


def _delivery(shown_teams: set[int]) -> Figure | None:
    """The delivery headline from the stored per-team rollups of the teams that may be shown."""
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
    as_of = oldest(fresh)
    stale = any(item.stale for item in fresh)
    freshness = (f"as of {_when(as_of)}" if as_of else "") + (", being refreshed" if stale else "")
    return Figure("Delivery", text + ".", freshness, stale)


def organisation_glance(*, with_cycle: bool = True) -> list[Figure]:
    """The figures of the organisation card, in reading order (``with_cycle=False``: the page shows the cycles
    elsewhere already), with the policy's minimum cohort."""
    now = timezone.now()
    people, shown_teams = _people(now)
    figures = [people]
    if with_cycle:
        overviews = open_cycle_overviews()
        if overviews:
            figures.append(_cycle(overviews[0], now))
    delivery = _delivery(shown_teams)
    if delivery is not None:
        figures.append(delivery)
    return figures
