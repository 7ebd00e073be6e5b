"""The figures of a team's delivery page, a service's page and a service's like-with-like peers, over the
window that ends with the day they are computed for (``metrics.default_window``).

They are computed here from the stored rows. The rollups app (a layer above, which this app never imports)
keeps them as rollups and installs a reader at start-up (``use_reader``), so the pages read the stored
figures and say when they were computed; without a reader they are computed on the spot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from django.db.models import Count, Q
from django.utils import timezone

from brightline.core.delivery import (
    DoraMetrics,
    compute_dora_metrics,
    compute_dora_metrics_by_period,
    compute_quality_metrics,
)
from brightline.evidence.metrics import (
    ERR_NO_DEPLOYMENTS,
    ERR_NO_SERVICES,
    MetricsError,
    Reliability,
    check_window,
    default_window,
    incidents_by_severity,
    peer_dora,
    reliability,
    service_dora,
    service_dora_by_period,
    team_dora,
    team_dora_by_period,
)
from brightline.evidence.models import Incident, Page, Service, SupportTicket
from brightline.evidence.tables import build_delivery_data
from brightline.people.models import Team

TEAM_PAGE: Final = "team.delivery-page"
SERVICE_PAGE: Final = "service.delivery-page"
SERVICE_PEERS: Final = "service.peers"


@dataclass(frozen=True)
class _PageFigures:
    """What a delivery page shows: the window's figures, its months, reliability; ``empty`` says why there are
    none."""

    computed_for: datetime
    start: datetime
    end: datetime
    current: DoraMetrics | None = None
    periods: list[DoraMetrics] = field(default_factory=list)
    reliability: Reliability | None = None
    empty: str = ""


@dataclass(frozen=True)
class TeamPageFigures(_PageFigures):
    """A team's delivery page."""


@dataclass(frozen=True)
class ServicePageFigures(_PageFigures):
    """A service's page, with its incidents by severity as well."""

    incidents_by_severity: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PeerFigures:
    """DORA figures of every service of one workload class and criticality, by name."""

    computed_for: datetime
    start: datetime
    end: datetime
    by_name: dict[str, DoraMetrics] = field(default_factory=dict)


def team_pages(teams: list[Team], now: datetime) -> dict[int, TeamPageFigures]:
    """``TeamPageFigures`` of many teams: their services' rows for the window are read once, and each figure
    is computed for every team in one pass (the same figures as one team at a time: a team's figures depend
    on its own services only)."""
    start, end = default_window(now)
    services = list(Service.objects.filter(team__in=teams).select_related("team"))
    owned = {service.team_id for service in services}
    with_services = [team for team in teams if team.pk in owned]
    figures = {team.pk: TeamPageFigures(now, start, end, empty=ERR_NO_SERVICES.format(team=team.slug))
               for team in teams if team.pk not in owned}
    if not with_services:
        return figures
    check_window(start, end, "month")
    data = build_delivery_data(services, window=(start, end))
    periods = compute_dora_metrics_by_period(data, start=start, end=end, period="month", group_by="team")
    current = compute_dora_metrics(data, start=start, end=end, group_by="team")
    quality = compute_quality_metrics(data, start=start, end=end, group_by="team")
    pages = dict(Page.objects.filter(service__in=services, paged_at__gte=start, paged_at__lt=end)
                 .values_list("service__team_id").annotate(n=Count("id")).order_by())
    tickets = dict(SupportTicket.objects.filter(service__in=services, opened_at__gte=start, opened_at__lt=end)
                   .values_list("service__team_id").annotate(n=Count("id")).order_by())
    for team in with_services:
        if team.slug not in current:
            figures[team.pk] = TeamPageFigures(now, start, end, empty=ERR_NO_DEPLOYMENTS.format(name=team.name))
            continue
        found = quality.get(team.slug)
        figures[team.pk] = TeamPageFigures(now, start, end, current[team.slug], periods[team.slug], Reliability(
            quality=found.to_json() if found else {}, pages=pages.get(team.pk, 0),
            support_tickets=tickets.get(team.pk, 0)))
    return figures


def team_page(team: Team, now: datetime) -> TeamPageFigures:
    """The figures of one team's delivery page, as ``team_dora``, ``team_dora_by_period`` and ``reliability``
    compute them for the window ending with ``now``'s day."""
    start, end = default_window(now)
    services = list(Service.objects.filter(team=team).select_related("team"))
    try:
        periods = team_dora_by_period(team, start=start, end=end, period="month")
        current = team_dora(team, start=start, end=end)
    except MetricsError as error:
        return TeamPageFigures(now, start, end, empty=str(error))
    return TeamPageFigures(now, start, end, current, periods,
                           reliability(services, group=team.slug, group_by="team", start=start, end=end))


def service_pages(services: list[Service], now: datetime) -> dict[int, ServicePageFigures]:
    """``ServicePageFigures`` of many services, their rows for the window read once and each figure computed
    for all of them in one pass (a service's figures depend on its own rows only)."""
    start, end = default_window(now)
    if not services:
        return {}
    check_window(start, end, "month")
    data = build_delivery_data(services, window=(start, end))
    periods = compute_dora_metrics_by_period(data, start=start, end=end, period="month")
    current = compute_dora_metrics(data, start=start, end=end)
    quality = compute_quality_metrics(data, start=start, end=end, group_by="service")
    pages = dict(Page.objects.filter(service__in=services, paged_at__gte=start, paged_at__lt=end)
                 .values_list("service_id").annotate(n=Count("id")).order_by())
    tickets = dict(SupportTicket.objects.filter(service__in=services, opened_at__gte=start, opened_at__lt=end)
                   .values_list("service_id").annotate(n=Count("id")).order_by())
    severities: dict[int, dict[str, int]] = {}
    for service_id, severity, count in (Incident.objects.filter(service__in=services, opened_at__gte=start,
                                                                opened_at__lt=end)
                                        .values_list("service_id", "severity").annotate(n=Count("id"))
                                        .order_by("severity")):
        severities.setdefault(service_id, {})[severity or "unknown"] = count
    figures = {}
    for service in services:
        found = quality.get(service.name)
        checked = Reliability(quality=found.to_json() if found else {}, pages=pages.get(service.pk, 0),
                              support_tickets=tickets.get(service.pk, 0))
        by_severity = severities.get(service.pk, {})
        if service.name not in current:
            figures[service.pk] = ServicePageFigures(now, start, end, reliability=checked,
                                                     incidents_by_severity=by_severity,
                                                     empty=ERR_NO_DEPLOYMENTS.format(name=service.name))
        else:
            figures[service.pk] = ServicePageFigures(now, start, end, current[service.name], periods[service.name],
                                                     checked, incidents_by_severity=by_severity)
    return figures


def service_page(service: Service, now: datetime) -> ServicePageFigures:
    """The figures of one service's page, as ``service_dora``, ``service_dora_by_period``, ``reliability`` and
    ``incidents_by_severity`` compute them for the window ending with ``now``'s day."""
    start, end = default_window(now)
    checked = reliability([service], group=service.name, group_by="service", start=start, end=end)
    by_severity = incidents_by_severity([service], start=start, end=end)
    try:
        periods = service_dora_by_period(service, start=start, end=end, period="month")
        current = service_dora(service, start=start, end=end)
    except MetricsError as error:
        return ServicePageFigures(now, start, end, reliability=checked, incidents_by_severity=by_severity,
                                  empty=str(error))
    return ServicePageFigures(now, start, end, current, periods, checked, incidents_by_severity=by_severity)


def peer_key(service: Service) -> str:
    """The rollup key of a service's like-with-like peers: its workload class and criticality."""
    return f"{service.workload_class}:{service.criticality}"


def peer_keys() -> list[str]:
    return sorted({f"{workload}:{criticality}" for workload, criticality in
                   Service.objects.values_list("workload_class", "criticality").distinct().order_by()})


def peers_many(keys: list[str], now: datetime) -> dict[str, PeerFigures]:
    """``PeerFigures`` of many peer keys, the services of all of them read and computed at once (a service's
    figures depend on its own rows only)."""
    start, end = default_window(now)
    wanted = Q(pk__in=[])
    for key in keys:
        workload, _, criticality = key.partition(":")
        wanted |= Q(workload_class=workload, criticality=criticality)
    services = list(Service.objects.filter(wanted).select_related("team").order_by("name"))
    metrics = compute_dora_metrics(build_delivery_data(services, window=(start, end)), start=start, end=end) \
        if services else {}
    by_key: dict[str, dict[str, DoraMetrics]] = {key: {} for key in keys}
    for service in services:  # name order, as ``peer_dora`` gives them
        if service.name in metrics:
            by_key[peer_key(service)][service.name] = metrics[service.name]
    return {key: PeerFigures(now, start, end, by_key[key]) for key in keys}


def peers(key: str, now: datetime) -> PeerFigures:
    """One peer key's figures as ``peer_dora`` computes them."""
    start, end = default_window(now)
    workload, _, criticality = key.partition(":")
    first = Service.objects.filter(workload_class=workload, criticality=criticality).order_by("name").first()
    if first is None:
        return PeerFigures(now, start, end)
    return PeerFigures(now, start, end, peer_dora(first, start=start, end=end))


def compute_many(kind: str, keys: list[str]) -> dict[str, Any]:
    """The figures of ``kind`` for ``keys`` (team ids, or peer keys), computed from the stored rows now."""
    now = timezone.now()
    if kind == TEAM_PAGE:
        teams = list(Team.objects.filter(pk__in=[int(key) for key in keys]))
        figures = team_pages(teams, now)
        return {key: figures.get(int(key)) for key in keys}
    if kind == SERVICE_PAGE:
        services = list(Service.objects.filter(pk__in=[int(key) for key in keys]).select_related("team"))
        pages = service_pages(services, now)
        return {key: pages.get(int(key)) for key in keys}
    if kind == SERVICE_PEERS:
        return dict(peers_many(list(keys), now))
    raise KeyError(kind)


def compute(kind: str, key: str) -> Any:
    return compute_many(kind, [key])[key]


Reader = Callable[[str, str], tuple[Any, datetime | None, bool]]
_reader: Reader | None = None


def use_reader(reader: Reader | None) -> None:
    """Read the figures through ``reader(kind, key) -> (value, as_of, stale)`` from now on (None: compute)."""
    global _reader
    _reader = reader


def read(kind: str, key: str) -> tuple[Any, datetime | None, bool]:
    """The figures of ``kind`` for ``key``, when they were computed (None: just now, from the rows) and
    whether a change has made them stale since."""
    if _reader is not None:
        return _reader(kind, key)
    return compute(kind, key), None, False
