"""Delivery and team-health figures per team for the window that ends on a given day (a period rollup)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from brightline.people.models import Team

DELIVERY_WINDOW_DAYS = 91
KIND = "team.delivery"


def team_delivery(team: Team, now: dt.datetime) -> dict[str, Any]:
    """Deployments per week and change fail rate in the window ending at ``now`` against the window before,
    with the team's after-hours share and pages outside hours ({} when the team has no delivery data)."""
    from brightline.evidence.metrics import MetricsError, team_dora, team_health

    end = now
    start = end - dt.timedelta(days=DELIVERY_WINDOW_DAYS)
    try:
        current = team_dora(team, start=start, end=end)
        previous = team_dora(team, start=start - dt.timedelta(days=DELIVERY_WINDOW_DAYS), end=start)
        team_result = team_health(team, start=start, end=end).team
    except (KeyError, MetricsError):
        return {}
    trend = ""
    if previous.deployments and current.deployment_frequency_per_week != previous.deployment_frequency_per_week:
        trend = "up" if current.deployment_frequency_per_week > previous.deployment_frequency_per_week else "down"
    return {"deployments_per_week": current.deployment_frequency_per_week, "deployments_trend": trend,
            "change_fail_rate": current.change_fail_rate,
            "outside_hours_share": team_result.outside_hours_share if team_result else None,
            "pages_outside_hours": team_result.pages_outside_working_hours if team_result else None}


def _figures(current: Any, previous: Any, team_result: Any) -> dict[str, Any]:
    trend = ""
    if previous is not None and previous.deployments and \
            current.deployment_frequency_per_week != previous.deployment_frequency_per_week:
        trend = "up" if current.deployment_frequency_per_week > previous.deployment_frequency_per_week else "down"
    return {"deployments_per_week": current.deployment_frequency_per_week, "deployments_trend": trend,
            "change_fail_rate": current.change_fail_rate,
            "outside_hours_share": team_result.outside_hours_share if team_result else None,
            "pages_outside_hours": team_result.pages_outside_working_hours if team_result else None}


def teams_delivery(teams: list[Team], now: dt.datetime) -> dict[int, dict[str, Any]]:
    """``team_delivery`` of many teams at once: their services' rows are read and grouped in one pass."""
    from brightline.core.delivery.dora import compute_dora_metrics
    from brightline.core.delivery.health import WorkSchedule
    from brightline.evidence.metrics import summarise_health
    from brightline.evidence.models import Service
    from brightline.evidence.tables import build_delivery_data
    from brightline.people.models import Person

    by_pk = {team.pk: team for team in teams}
    services = list(Service.objects.filter(team_id__in=list(by_pk)).select_related("team"))
    end = now
    start = end - dt.timedelta(days=DELIVERY_WINDOW_DAYS)
    # The changes and deployments of the two windows only (with the few earlier deployments their figures can
    # depend on): three years of each team's history stay in the database.
    first = start - dt.timedelta(days=DELIVERY_WINDOW_DAYS)
    data = build_delivery_data(services, window=(first, end), deployments_from=first)
    current = compute_dora_metrics(data, start=start, end=end, group_by="team")
    previous = compute_dora_metrics(data, start=start - dt.timedelta(days=DELIVERY_WINDOW_DAYS), end=start,
                                    group_by="team")
    members = list(Person.objects.filter(team_id__in=list(by_pk), is_active=True)
                   .values_list("id", "timezone", "team_id"))
    schedules = [WorkSchedule(person_id=str(pk), team=by_pk[team_id].slug, time_zone=zone or "UTC")
                 for pk, zone, team_id in members]
    health, _ = summarise_health(schedules, start=start, end=end)
    with_services = {service.team.pk for service in services if service.team is not None}
    return {pk: (_figures(current[team.slug], previous.get(team.slug), health.get(team.slug))
                 if pk in with_services and team.slug in current else {})
            for pk, team in by_pk.items()}


def compute_many(keys: list[str]) -> dict[str, dict[str, Any]]:
    teams = list(Team.objects.filter(pk__in=[int(key) for key in keys]))
    figures = teams_delivery(teams, timezone.now())
    return {key: figures.get(int(key), {}) for key in keys}


def teams_with_services() -> list[int]:
    return sorted(set(Team.objects.filter(services__isnull=False).values_list("pk", flat=True)))


def compute(key: str) -> dict[str, Any]:
    team = Team.objects.filter(pk=int(key)).first()
    return {} if team is None else team_delivery(team, timezone.now())
