"""Read-side queries for pages and the API. Aggregates respect the policy's minimum cohort."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from brightline.people.models import Person, Team, WorkloadClass


@dataclass(frozen=True)
class CohortCount:
    label: str
    count: int | None  # None when the group is smaller than the minimum cohort

    @property
    def suppressed(self) -> bool:
        return self.count is None


def team_headcounts(*, min_cohort: int) -> list[CohortCount]:
    """Active people per team; teams under the minimum cohort show no number."""
    rows = (Team.objects.annotate(size=Count("members", filter=_active_members())).order_by("name")
            .values_list("name", "size"))
    return [CohortCount(name, size if size >= min_cohort else None) for name, size in rows]


def workload_class_headcounts(*, min_cohort: int) -> list[CohortCount]:
    labels = dict(WorkloadClass.choices)
    rows = (Person.objects.filter(is_active=True, team__isnull=False).values_list("team__workload_class")
            .annotate(size=Count("id")).order_by("team__workload_class"))
    return [CohortCount(labels.get(key, key), size if size >= min_cohort else None) for key, size in rows]


def _active_members():  # type: ignore[no-untyped-def]
    from django.db.models import Q

    return Q(members__is_active=True)


def direct_reports(manager: Person) -> list[Person]:
    return list(manager.reports.filter(is_active=True).select_related("team", "level"))
