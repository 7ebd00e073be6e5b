"""Every team's headcount and which teams the minimum cohort withholds: organisation-wide figures that the
leadership view, the organisation page and the leaders' home card would otherwise count on every request.

One rollup per minimum cohort (a policy change starts a new one). Each page keeps its own withholding rule
exactly as it computed it live: the home card and the leadership view over the teams with someone active in
them (by id and by slug), the organisation page over every team by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.db.models import Count, Q

from brightline.core.fairness import suppress_small_groups
from brightline.people.models import Team
from brightline.people.queries import CohortCount, cohort_counts, people_outside_teams

KIND = "organisation.teams"


@dataclass(frozen=True)
class TeamSize:
    pk: int
    slug: str
    name: str
    size: int  # active members


@dataclass(frozen=True)
class TeamSizes:
    """``teams``: every team with an active member, by name; ``withheld_pks`` and ``withheld_slugs``: the same
    rule keyed as the home card and the leadership view key it; ``headcounts``: the organisation page's table
    (every team, empty ones too, by name); ``labels``: every team's name by its slug (audits name teams by slug)."""

    min_cohort: int
    teams: list[TeamSize]
    people: int
    withheld_pks: set[int]
    withheld_slugs: set[str]
    headcounts: list[CohortCount]
    labels: dict[str, str]
    # Who ``people`` leaves out, so that a page can say it: the active people without a team, those who left.
    without_team: int = 0
    left: int = 0

    @cached_property  # the decoded value is kept by the process, and this with it
    def shown_pks(self) -> set[int]:
        return {team.pk for team in self.teams if team.pk not in self.withheld_pks}


def team_sizes(min_cohort: int) -> TeamSizes:
    """Counted now from the people rows (three queries)."""
    rows = list(Team.objects.annotate(size=Count("members", filter=Q(members__is_active=True))).order_by("name", "pk")
                .values_list("pk", "slug", "name", "size"))
    teams = [TeamSize(pk, slug, name, size) for pk, slug, name, size in rows if size > 0]
    by_pk = suppress_small_groups({(team.pk,): team.size for team in teams}, min_cohort=min_cohort)
    by_slug = suppress_small_groups({(team.slug,): team.size for team in teams}, min_cohort=min_cohort)
    outside = people_outside_teams()
    return TeamSizes(min_cohort, teams, sum(team.size for team in teams), {key[0] for key in by_pk},
                     {key[0] for key in by_slug}, cohort_counts({name: size for _, _, name, size in rows},
                                                                min_cohort=min_cohort),
                     {slug: name for _, slug, name, _ in rows}, outside.without_team, outside.left)


def compute(key: str) -> TeamSizes:
    return team_sizes(int(key))


def keys() -> list[str]:
    from brightline.policy.services import min_cohort_size

    return [str(min_cohort_size())]
