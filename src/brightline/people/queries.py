"""Read-side queries for pages and the API. Aggregates respect the policy's minimum cohort."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from brightline.core.fairness import suppress_small_groups
from brightline.people.models import Person, Team, WorkloadClass


@dataclass(frozen=True)
class CohortCount:
    label: str
    count: int | None  # None when the group is smaller than the minimum cohort

    @property
    def suppressed(self) -> bool:
        return self.count is None


def cohort_counts(sizes: dict[str, int], *, min_cohort: int) -> list[CohortCount]:
    # The core's rule withholds extra groups where needed, so a small group cannot be
    # recovered by subtracting the published ones from a total known elsewhere.
    withheld = suppress_small_groups({(label,): size for label, size in sizes.items()}, min_cohort=min_cohort)
    return [CohortCount(label, None if (label,) in withheld else size) for label, size in sizes.items()]


def team_headcounts(*, min_cohort: int) -> list[CohortCount]:
    """Active people per team; small teams (and any needed to protect them) show no number."""
    rows = (Team.objects.annotate(size=Count("members", filter=Q(members__is_active=True))).order_by("name")
            .values_list("name", "size"))
    return cohort_counts(dict(rows), min_cohort=min_cohort)


def workload_class_headcounts(*, min_cohort: int) -> list[CohortCount]:
    labels = dict(WorkloadClass.choices)
    rows = (Person.objects.filter(is_active=True, team__isnull=False).values_list("team__workload_class")
            .annotate(size=Count("id")).order_by("team__workload_class"))
    return cohort_counts({labels.get(key, key): size for key, size in rows}, min_cohort=min_cohort)


def direct_reports(manager: Person) -> list[Person]:
    return list(manager.reports.filter(is_active=True).select_related("team", "level"))


@dataclass(frozen=True)
class OutsideTeams:
    """The people a count of team members leaves out: those who have not left but are in no team, and those who
    have left (the people directory lists the first, and the second on its own)."""

    without_team: int
    left: int


def people_outside_teams() -> OutsideTeams:
    """One query, whatever the organisation's size."""
    counts = Person.objects.aggregate(without_team=Count("pk", filter=Q(is_active=True, team__isnull=True)),
                                      left=Count("pk", filter=Q(is_active=False)))
    return OutsideTeams(counts["without_team"] or 0, counts["left"] or 0)
