"""Delivery, quality and health figures for a service or team, computed by the pure core.

Principle 5: everything here is per service or per team. The only per-person result is the
restricted health detail, which callers must filter with ``access.can_view_health_detail``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final

from django.db import connection, models, transaction
from django.db.models import Count

from brightline.core.delivery import (
    DORA_LEVELS_SOURCE,
    DORA_TEAMS_NOT_INDIVIDUALS,
    DoraMetrics,
    Period,
    PersonHealth,
    TeamHealth,
    WorkEvent,
    WorkSchedule,
    attribute_incidents,
    compute_dora_metrics,
    compute_dora_metrics_by_period,
    compute_quality_metrics,
    summarise_person_health,
    summarise_team_health,
)
from brightline.core.delivery.health import MONDAY_TO_FRIDAY, person_health_from_tallies, team_health_from_tallies
from brightline.evidence.models import CommitRecord, Deployment, Incident, Page, Service, SupportTicket
from brightline.evidence.tables import build_attribution_data, build_delivery_data
from brightline.people.models import Person, Team

DEFAULT_WINDOW_DAYS: Final = 182
# What each chart is compared with, said on the chart and the page in plain words ("normalisation" in docs).
NORMALISATION_SAME_SERVICE: Final = "Compared with the same service in earlier months, not with other services."
NORMALISATION_SAME_TEAM: Final = "Compared with the same team in earlier months, not with other teams."
NORMALISATION_PEERS: Final = (
    "Compared only with services of the same kind of work ({workload}) and criticality ({criticality})."
)
ERR_NO_SERVICES: Final = "Team {team!r} owns no services in the catalogue yet."
ERR_NO_DEPLOYMENTS: Final = "No production deployment of {name} is recorded yet, so there are no delivery figures."
ERR_BAD_WINDOW: Final = "The window is empty: since ({start}) must be before until ({end})."
ERR_BAD_DATE: Final = "{name} must be an ISO date such as 2026-01-31 (or a date and time); got {value!r}."
# Metrics windows must lie within these dates; outside them there is no delivery data worth asking about,
# and arithmetic near year 1 or 9999 overflows.
EARLIEST_DATE: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_DATE: Final = datetime(2100, 1, 1, tzinfo=UTC)
ERR_OUT_OF_RANGE: Final = "{name} must be between 1970-01-01 and 2100-01-01; got {value}."
# At most this many periods in one answer: five years of weeks, ten years of months or quarters.
MAX_PERIODS: Final[dict[str, int]] = {"week": 260, "month": 120, "quarter": 40}
ERR_TOO_MANY_PERIODS: Final = ("The window from {start} to {end} has {count} {period}s; at most {limit} {period}s "
                               "can be shown at once. Choose a shorter window or a longer period.")


class MetricsError(ValueError):
    """A metrics request that cannot be answered; the message says why."""


def default_window(now: datetime, *, days: int = DEFAULT_WINDOW_DAYS) -> tuple[datetime, datetime]:
    """The last ``days`` whole UTC days up to the end of today."""
    end = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(0), tzinfo=UTC)
    return end - timedelta(days=days), end


def count_periods(start: datetime, end: datetime, period: Period) -> int:
    """How many UTC calendar periods (weeks from Monday, months, quarters) ``[start, end)`` touches."""
    first, last = start.astimezone(UTC), (end - timedelta(microseconds=1)).astimezone(UTC)
    if period == "week":
        first_monday = first.date() - timedelta(days=first.weekday())
        last_monday = last.date() - timedelta(days=last.weekday())
        return (last_monday - first_monday).days // 7 + 1
    months = (last.year - first.year) * 12 + last.month - first.month
    if period == "month":
        return months + 1
    return (last.year * 4 + (last.month - 1) // 3) - (first.year * 4 + (first.month - 1) // 3) + 1


def check_window(start: datetime, end: datetime, period: Period | None = None) -> None:
    """Refuse (``MetricsError``) windows that are empty, outside 1970–2100, or have too many periods."""
    for name, moment in (("since", start), ("until", end)):
        if not EARLIEST_DATE <= moment <= LATEST_DATE:
            raise MetricsError(ERR_OUT_OF_RANGE.format(name=name, value=moment.date().isoformat()))
    if start >= end:
        raise MetricsError(ERR_BAD_WINDOW.format(start=start.isoformat(), end=end.isoformat()))
    if period is not None:
        count, limit = count_periods(start, end, period), MAX_PERIODS[period]
        if count > limit:
            raise MetricsError(ERR_TOO_MANY_PERIODS.format(start=start.date().isoformat(),
                                                           end=end.date().isoformat(), count=count,
                                                           period=period, limit=limit))


def parse_window(since: str | None, until: str | None, *, now: datetime,
                 period: Period | None = None) -> tuple[datetime, datetime]:
    """``--since``/``--until`` as ISO dates or datetimes (UTC when no offset is given), checked by
    :func:`check_window`; a bad value raises ``MetricsError`` with a message fit to show."""
    start, end = default_window(now)

    def parse(name: str, value: str) -> datetime:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise MetricsError(ERR_BAD_DATE.format(name=name, value=value[:40])) from None
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        if not EARLIEST_DATE <= moment <= LATEST_DATE:
            raise MetricsError(ERR_OUT_OF_RANGE.format(name=name, value=moment.date().isoformat()))
        return moment

    if until:
        end = parse("until", until)
    if since:
        start = parse("since", since)
    elif until:
        start = end - timedelta(days=DEFAULT_WINDOW_DAYS)
    check_window(start, end, period)
    return start, end


def _services_of(team: Team) -> list[Service]:
    services = list(Service.objects.filter(team=team).select_related("team"))
    if not services:
        raise MetricsError(ERR_NO_SERVICES.format(team=team.slug))
    return services


def _only(results: dict[str, Any], key: str, name: str) -> Any:
    if key not in results:
        raise MetricsError(ERR_NO_DEPLOYMENTS.format(name=name))
    return results[key]


def service_dora(service: Service, *, start: datetime, end: datetime) -> DoraMetrics:
    data = build_delivery_data(Service.objects.filter(pk=service.pk).select_related("team"), window=(start, end))
    return _only(compute_dora_metrics(data, start=start, end=end), service.name, service.name)


def service_dora_by_period(service: Service, *, start: datetime, end: datetime, period: Period) -> list[DoraMetrics]:
    check_window(start, end, period)
    data = build_delivery_data(Service.objects.filter(pk=service.pk).select_related("team"), window=(start, end))
    return _only(compute_dora_metrics_by_period(data, start=start, end=end, period=period), service.name,
                 service.name)


def team_dora(team: Team, *, start: datetime, end: datetime) -> DoraMetrics:
    data = build_delivery_data(_services_of(team), window=(start, end))
    return _only(compute_dora_metrics(data, start=start, end=end, group_by="team"), team.slug, team.name)


def team_dora_by_period(team: Team, *, start: datetime, end: datetime, period: Period) -> list[DoraMetrics]:
    check_window(start, end, period)
    data = build_delivery_data(_services_of(team), window=(start, end))
    return _only(compute_dora_metrics_by_period(data, start=start, end=end, period=period, group_by="team"),
                 team.slug, team.name)


def peer_services(service: Service) -> list[Service]:
    """Services a fair comparison may use: same workload class and criticality, in name order."""
    return list(Service.objects.filter(workload_class=service.workload_class, criticality=service.criticality)
                .select_related("team").order_by("name"))


def peer_dora(service: Service, *, start: datetime, end: datetime) -> dict[str, DoraMetrics]:
    """DORA for the like-with-like peers of ``service`` (itself included), keyed by name in name order."""
    return compute_dora_metrics(build_delivery_data(peer_services(service), window=(start, end)), start=start, end=end)


@dataclass(frozen=True)
class Reliability:
    """Reliability and support burden of a service or team (A2, A3)."""

    quality: dict[str, Any]
    pages: int
    support_tickets: int

    def to_json(self) -> dict[str, Any]:
        return {**self.quality, "pages": self.pages, "support_tickets": self.support_tickets}


def reliability(services: Iterable[Service], *, group: str, group_by: str, start: datetime,
                end: datetime) -> Reliability:
    services = list(services)
    data = build_delivery_data(services, window=(start, end))
    quality = compute_quality_metrics(data, start=start, end=end, group_by=group_by)  # type: ignore[arg-type]
    pages = Page.objects.filter(service__in=services, paged_at__gte=start, paged_at__lt=end).count()
    tickets = SupportTicket.objects.filter(service__in=services, opened_at__gte=start, opened_at__lt=end).count()
    found = quality.get(group)
    return Reliability(quality=found.to_json() if found else {}, pages=pages, support_tickets=tickets)


# A deployment as attribution sees it: (id, service id, deployed at, sha).
DeploymentState = tuple[int, int, datetime, str]


def update_incident_attribution(services: Iterable[Service], *, window: timedelta = timedelta(hours=24),
                                deployments: Iterable[DeploymentState] | None = None,
                                incidents: Iterable[int] | None = None) -> int:
    """Store on each incident which deployment it is attributed to, the label and the rule.

    Reads the changes incidents name as their root cause, not the services' whole history of changes, and
    writes only the incidents whose attribution changed (in one bulk update). Returns how many changed.

    Given what an import touched (``deployments``: each added or changed deployment before and after the
    change; ``incidents``: the ids of the added or changed incidents), only the incidents whose attribution
    those can move are recomputed, from only the deployments that can decide it (see
    :func:`_affected_incidents` and :func:`_deciding_deployments`)."""
    services = list(services)
    if not services:
        return 0
    narrowed = deployments is not None or incidents is not None
    deployment_states = list(deployments or [])
    incident_ids = set(incidents or [])
    incident_filter: models.Q | None = None
    deployment_filter: models.Q | None = None
    if narrowed:
        if not deployment_states and not incident_ids:
            return 0
        # a deployment moved to another service leaves the incidents of the one it left to look at as well
        named = {service.pk for service in services}
        services += Service.objects.filter(pk__in={state[1] for state in deployment_states} - named)
        incident_filter = _affected_incidents(services, deployment_states, incident_ids, window)
        affected = list(Incident.objects.filter(incident_filter, service__in=services).values_list(
            "id", "service_id", "opened_at", "linked_deployment_id", "root_cause_sha"))
        if not affected:
            return 0
        incident_filter = models.Q(pk__in=[row[0] for row in affected])
        deployment_filter = _deciding_deployments(affected, window)
    table = attribute_incidents(build_attribution_data(services, deployments=deployment_filter,
                                                       incidents=incident_filter), window=window).to_pylist()
    stored = {pk: (deployment, attribution, rule) for pk, deployment, attribution, rule in Incident.objects.filter(
        incident_filter or models.Q(), service__in=services).values_list(
        "id", "attributed_deployment_id", "attribution", "attribution_rule")}
    changed: list[Incident] = []
    for row in table:
        pk = int(row["incident_id"])
        found = (int(row["deployment_id"]) if row["deployment_id"] else None, row["attribution"], row["rule"][:300])
        if pk in stored and stored[pk] != found:
            changed.append(Incident(pk=pk, attributed_deployment_id=found[0], attribution=found[1],
                                    attribution_rule=found[2]))
    if changed:
        with transaction.atomic():
            Incident.objects.bulk_update(changed, ["attributed_deployment_id", "attribution", "attribution_rule"],
                                         batch_size=1000)
    return len(changed)


def _affected_incidents(services: list[Service], deployments: list[DeploymentState], incident_ids: set[int],
                        window: timedelta) -> models.Q:
    """The incidents whose attribution an added, moved or removed deployment can change, and the added or
    changed incidents themselves. Attribution (``attribute_incidents``) takes, in order:

    - the declared deployment: moves only for incidents linked to a touched deployment;
    - the first production deployment that shipped the root-cause commit: a deployment of the sha, or one at
      the time a change of the sha was first deployed, so only for incidents whose root cause is a touched
      deployment's sha, or the sha of a deployment or commit of the service deployed at a touched time;
    - the latest production deployment of the service at or before the incident opened, if within ``window``:
      a deployment at time t can be or stop being that only for incidents opened in [t, t + window]
      (a later one is as far from t as the window allows, so gets none either way)."""
    matches = models.Q(pk__in=sorted(incident_ids))
    if not deployments:
        return matches
    matches |= models.Q(linked_deployment_id__in=sorted({state[0] for state in deployments}))
    by_service: dict[int, list[DeploymentState]] = {}
    for state in deployments:
        by_service.setdefault(state[1], []).append(state)
    for service_id, states in by_service.items():
        times = sorted({state[2] for state in states})
        shipped = (CommitRecord.objects.filter(repository__service_id=service_id, first_release__deployed_at__in=times)
                   .values("sha"))
        deployed = Deployment.objects.filter(service_id=service_id, deployed_at__in=times).exclude(sha="").values("sha")
        matches |= models.Q(service_id=service_id) & (
            models.Q(root_cause_sha__in=sorted({state[3] for state in states if state[3]}))
            | models.Q(root_cause_sha__in=shipped) | models.Q(root_cause_sha__in=deployed))
        for start, end in _merged(times, window):
            matches |= models.Q(service_id=service_id, opened_at__gte=start, opened_at__lte=end + window)
    return matches


def _deciding_deployments(incidents: list[tuple[int, int, datetime, int | None, str]],
                          window: timedelta) -> models.Q:
    """The deployments that can decide these incidents' attribution: the declared ones, those of each
    service's root-cause shas or deployed when a change of one was first deployed, and those in the window
    before each incident opened. Any further real deployment read changes nothing."""
    matches = models.Q(pk__in=sorted({row[3] for row in incidents if row[3] is not None}))
    by_service: dict[int, list[tuple[int, int, datetime, int | None, str]]] = {}
    for row in incidents:
        by_service.setdefault(row[1], []).append(row)
    for service_id, rows in by_service.items():
        shas = sorted({row[4] for row in rows if row[4]})
        if shas:
            first_deployed = CommitRecord.objects.filter(
                repository__service_id=service_id, sha__in=shas, first_release__isnull=False).values(
                "first_release__deployed_at")
            # a pull request's change is deployed when its merge commit first was, else with a deployment of it
            deployed = Deployment.objects.filter(service_id=service_id, sha__in=shas).values("deployed_at")
            matches |= models.Q(service_id=service_id) & (
                models.Q(sha__in=shas) | models.Q(deployed_at__in=first_deployed) | models.Q(deployed_at__in=deployed))
        for start, end in _merged(sorted(row[2] - window for row in rows), window):
            matches |= models.Q(service_id=service_id, deployed_at__gte=start, deployed_at__lte=end + window)
    return matches


def _merged(starts: list[datetime], width: timedelta) -> list[tuple[datetime, datetime]]:
    """Sorted ``starts`` as the fewest (first start, last start) runs whose ``[start, start + width]`` overlap."""
    runs: list[tuple[datetime, datetime]] = []
    for start in starts:
        if runs and start <= runs[-1][1] + width:
            runs[-1] = (runs[-1][0], start)
        else:
            runs.append((start, start))
    return runs


# --- team health ------------------------------------------------------------------------------
@dataclass(frozen=True)
class HealthReport:
    team: TeamHealth | None
    people: dict[int, PersonHealth]
    """Restricted: filter with ``access.can_view_health_detail`` before showing any of it."""


def team_health(team: Team, *, start: datetime, end: datetime) -> HealthReport:
    """After-hours and weekend work (commits) and pages outside hours, in each person's own time zone."""
    members = list(Person.objects.filter(team=team, is_active=True).values_list("id", "timezone"))
    schedules = [WorkSchedule(person_id=str(pk), team=team.slug, time_zone=zone or "UTC") for pk, zone in members]
    teams, people = summarise_health(schedules, start=start, end=end)
    return HealthReport(team=teams.get(team.slug), people={int(pk): detail for pk, detail in people.items()})


def summarise_health(schedules: list[WorkSchedule], *, start: datetime, end: datetime
                     ) -> tuple[dict[str, TeamHealth], dict[str, PersonHealth]]:
    """``summarise_team_health`` and ``summarise_person_health`` of these people's commits and pages in
    ``[start, end)`` (schedules by person id as text, the default working hours). On PostgreSQL the database judges
    each on the person's own clock and returns counts per person (one query); elsewhere each is read and judged in
    Python (two queries). The results are the same."""
    by_person = {schedule.person_id: schedule for schedule in schedules}
    ids = [int(pk) for pk in by_person]
    if connection.vendor == "postgresql":
        tallies = work_time_tallies(ids, start=start, end=end)
        return team_health_from_tallies(tallies, by_person), person_health_from_tallies(tallies, by_person)
    events = [WorkEvent(person_id=str(pk), occurred_at=moment.astimezone(UTC), kind="commit") for pk, moment in
              CommitRecord.objects.filter(person_id__in=ids, authored_at__gte=start, authored_at__lt=end)
              .values_list("person_id", "authored_at")]
    events += [WorkEvent(person_id=str(pk), occurred_at=moment.astimezone(UTC), kind="page") for pk, moment in
               Page.objects.filter(person_id__in=ids, paged_at__gte=start, paged_at__lt=end)
               .values_list("person_id", "paged_at")]
    return summarise_team_health(events, schedules), summarise_person_health(events, schedules)


# Each commit and page of the people, judged on their own wall clock with the default schedule (WorkSchedule's:
# working hours from workday_start to workday_end, Monday to Friday), counted per person. PostgreSQL only.
_TALLY_SQL = """
SELECT person, COUNT(*),
       COUNT(*) FILTER (WHERE NOT weekend AND NOT in_hours),
       COUNT(*) FILTER (WHERE weekend),
       COUNT(*) FILTER (WHERE is_page),
       COUNT(*) FILTER (WHERE is_page AND (weekend OR NOT in_hours))
FROM (
    SELECT event.person, event.is_page,
           EXTRACT(ISODOW FROM event.at AT TIME ZONE zone) > 5 AS weekend,
           (event.at AT TIME ZONE zone)::time >= %(starts)s AND (event.at AT TIME ZONE zone)::time < %(ends)s
               AS in_hours
    FROM (SELECT {commit_person} AS person, {commit_at} AS at, FALSE AS is_page FROM {commits}
          WHERE {commit_person} = ANY(%(ids)s) AND {commit_at} >= %(start)s AND {commit_at} < %(end)s
          UNION ALL
          SELECT {page_person}, {paged_at}, TRUE FROM {pages}
          WHERE {page_person} = ANY(%(ids)s) AND {paged_at} >= %(start)s AND {paged_at} < %(end)s) AS event
    JOIN (SELECT id, COALESCE(NULLIF({zone}, ''), 'UTC') AS zone FROM {people}) AS person
      ON person.id = event.person
) AS judged
GROUP BY person
"""


def work_time_tallies(ids: list[int], *, start: datetime, end: datetime) -> dict[str, list[int]]:
    """Per person id (as text) with at least one commit or page in ``[start, end)``: ``[events, after hours,
    weekend, pages, pages outside working hours]``, counted by PostgreSQL (one query)."""
    default = WorkSchedule(person_id="", team="", time_zone="UTC")
    if default.workday_start > default.workday_end or default.working_days != MONDAY_TO_FRIDAY:
        raise ValueError("the database counts a daytime Monday-to-Friday schedule only")
    if not ids:
        return {}

    def column(model: type[models.Model], name: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(name).column)

    sql = _TALLY_SQL.format(commits=connection.ops.quote_name(CommitRecord._meta.db_table),
                            pages=connection.ops.quote_name(Page._meta.db_table),
                            people=connection.ops.quote_name(Person._meta.db_table),
                            zone=column(Person, "timezone"), commit_person=column(CommitRecord, "person"),
                            commit_at=column(CommitRecord, "authored_at"), page_person=column(Page, "person"),
                            paged_at=column(Page, "paged_at"))
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": ids, "start": start, "end": end, "starts": default.workday_start,
                             "ends": default.workday_end})
        return {str(pk): list(counts) for pk, *counts in cursor.fetchall()}


def incidents_by_severity(services: Iterable[Service], *, start: datetime, end: datetime) -> dict[str, int]:
    rows = (Incident.objects.filter(service__in=list(services), opened_at__gte=start, opened_at__lt=end)
            .values_list("severity").annotate(n=Count("id")).order_by("severity"))
    return {severity or "unknown": count for severity, count in rows}


GUIDANCE: Final = {"levels_source": DORA_LEVELS_SOURCE, "teams_not_individuals": DORA_TEAMS_NOT_INDIVIDUALS}
