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


def teams_with_services() -> list[int]:
    return sorted(set(Team.objects.filter(services__isnull=False).values_list("pk", flat=True)))


def compute(key: str) -> dict[str, Any]:
    team = Team.objects.filter(pk=int(key)).first()
    return {} if team is None else team_delivery(team, timezone.now())
