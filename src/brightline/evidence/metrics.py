"""Delivery, quality and health figures for a service or team, computed by the pure core.

Principle 5: everything here is per service or per team. The only per-person result is the
restricted health detail, which callers must filter with ``access.can_view_health_detail``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final

from django.db import connection, models, transaction
from django.db.models import Count
from django.db.models.expressions import RawSQL

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
from brightline.evidence.models import CommitRecord, Deployment, Incident, Page, Repository, Service, SupportTicket
from brightline.evidence.tables import build_attribution_data, build_delivery_data
from brightline.evidence.touched import ATTRIBUTION_WINDOW, AttributionTouches, insert_rows
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


def update_incident_attribution(services: Iterable[Service], *, window: timedelta = ATTRIBUTION_WINDOW) -> int:
    """Store on each incident of ``services`` which deployment it is attributed to, the label and the rule,
    computed from every row of those services.

    Reads the changes incidents name as their root cause, not the services' whole history of changes, and
    writes only the incidents whose attribution changed (in one bulk update). Returns how many changed."""
    services = list(services)
    if not services:
        return 0
    return _store_attribution(services, incidents=None, deployments=None, window=window)


ATTRIBUTION_CHUNK: Final = 1000
"""Incidents attributed at a time after an ingestion: what attribution holds in memory stays bounded by it."""


def update_touched_incident_attribution(touches: AttributionTouches) -> int:
    """After an ingestion, store the attribution of only the incidents what it added or changed can move (see
    :func:`_affected_incidents_sql`), each computed from only the deployments that can decide it
    (:func:`_deciding_deployments_sql`), :data:`ATTRIBUTION_CHUNK` incidents at a time, a service after another;
    the result equals attributing from every row. Both sets are found by joins on temporary tables (the
    ingestion's touch table, then each chunk's incidents), not in Python, so an import of any size reads what it
    can move, not the history of its services. Drops the touch table. Returns how many incidents changed."""
    table = touches.flush()
    if table is None:
        return 0
    affected, chunk, deciding = f"{table}_incidents", f"{table}_chunk", f"{table}_deciding"
    moment = connection.data_types["DateTimeField"]
    changed = 0
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {table}")  # no autovacuum for temporary tables: let the planner count
            cursor.execute(f"CREATE TEMPORARY TABLE {affected} (id bigint PRIMARY KEY, service_id bigint NOT NULL)")
            cursor.execute(f"CREATE INDEX {affected}_order ON {affected} (service_id, id)")
            cursor.execute(f"INSERT INTO {affected} (id, service_id) SELECT id, service_id FROM "
                           f"{connection.ops.quote_name(Incident._meta.db_table)} WHERE id IN "
                           f"({_affected_incidents_sql(table)})")
            cursor.execute(f"CREATE TEMPORARY TABLE {chunk} (id bigint PRIMARY KEY, service_id bigint NOT NULL, "
                           f"since {moment} NOT NULL, opened {moment} NOT NULL, linked bigint, "
                           "root varchar(64) NOT NULL)")
            cursor.execute(f"CREATE TEMPORARY TABLE {deciding} (id bigint PRIMARY KEY)")
            position = (0, 0)
            services: dict[int, Service] = {}
            while True:
                cursor.execute(f"SELECT id FROM {affected} WHERE service_id > %s OR (service_id = %s AND id > %s) "
                               f"ORDER BY service_id, id LIMIT {ATTRIBUTION_CHUNK}",
                               [position[0], position[0], position[1]])
                ids = [row[0] for row in cursor.fetchall()]
                if not ids:
                    break
                rows = list(Incident.objects.filter(pk__in=ids).values_list(
                    "id", "service_id", "opened_at", "linked_deployment_id", "root_cause_sha").order_by(
                    "service_id", "id"))
                position = (rows[-1][1], rows[-1][0])
                cursor.execute(f"DELETE FROM {chunk}")
                cursor.execute(f"DELETE FROM {deciding}")
                insert_rows(cursor, chunk, [(pk, service_id, opened - ATTRIBUTION_WINDOW, opened, linked, root or "")
                                            for pk, service_id, opened, linked, root in rows])
                cursor.execute(f"INSERT INTO {deciding} (id) {_deciding_deployments_sql(chunk)}")
                # a declared deployment of another service is read with its service
                cursor.execute(f"SELECT DISTINCT d.{connection.ops.quote_name('service_id')} FROM "
                               f"{connection.ops.quote_name(Deployment._meta.db_table)} d JOIN {chunk} c "
                               "ON d.id = c.linked")
                wanted = {row[1] for row in rows} | {row[0] for row in cursor.fetchall()}
                if wanted - set(services):
                    services.update((service.pk, service) for service in Service.objects.filter(
                        pk__in=sorted(wanted - set(services))).select_related("team"))
                changed += _store_attribution(
                    [services[pk] for pk in sorted(wanted)], incidents=models.Q(pk__in=ids),
                    deployments=models.Q(pk__in=RawSQL(f"SELECT id FROM {deciding}", ())), window=ATTRIBUTION_WINDOW)
            for name in (deciding, chunk, affected):
                cursor.execute(f"DROP TABLE {name}")
    finally:
        touches.release()
    return changed


def _store_attribution(services: list[Service], *, incidents: models.Q | None, deployments: models.Q | None,
                       window: timedelta) -> int:
    """Attribute the incidents of ``services`` (those ``incidents`` keeps) from their deployments (those
    ``deployments`` keeps) and write the ones whose stored attribution differs; how many."""
    table = attribute_incidents(build_attribution_data(services, deployments=deployments, incidents=incidents),
                                window=window).to_pylist()
    stored = {pk: (deployment, attribution, rule) for pk, deployment, attribution, rule in Incident.objects.filter(
        incidents or models.Q(), service__in=services).values_list(
        "id", "attributed_deployment_id", "attribution", "attribution_rule")}
    changed: list[tuple[int, int | None, str, str]] = []
    for row in table:
        pk = int(row["incident_id"])
        found = (int(row["deployment_id"]) if row["deployment_id"] else None, row["attribution"], row["rule"][:300])
        if pk in stored and stored[pk] != found:
            changed.append((pk, *found))
    if changed:
        _write_attributions(changed)
    return len(changed)


def _write_attributions(rows: list[tuple[int, int | None, str, str]]) -> None:
    """Store (incident id, deployment id, attribution, rule) on the incidents: through a temporary table, in one
    statement (a bulk update would build a condition per incident and field)."""
    table = f"brightline_attributed_{uuid.uuid4().hex[:12]}"
    incidents = connection.ops.quote_name(Incident._meta.db_table)
    assignments = ", ".join(
        f"{connection.ops.quote_name(Incident._meta.get_field(name).column)} = (SELECT a.{value} FROM {table} a "
        f"WHERE a.id = {incidents}.id)"
        for name, value in (("attributed_deployment", "deployment"), ("attribution", "attribution"),
                            ("attribution_rule", "rule")))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {table} (id bigint PRIMARY KEY, deployment bigint, "
                       "attribution varchar(20) NOT NULL, rule varchar(300) NOT NULL)")
        insert_rows(cursor, table, rows)
        cursor.execute(f"UPDATE {incidents} SET {assignments} WHERE id IN (SELECT id FROM {table})")
        cursor.execute(f"DROP TABLE {table}")


@dataclass(frozen=True)
class _Names:
    """The quoted table and column names the attribution queries join on."""

    incident: str
    deployment: str
    commit: str
    repository: str
    i_service: str
    opened: str
    linked: str
    root: str
    d_service: str
    deployed: str
    sha: str
    release: str
    commit_sha: str
    in_repository: str
    r_service: str


def _names() -> _Names:
    def table(model: type[models.Model]) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    def column(model: type[models.Model], field_name: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(field_name).column)

    return _Names(incident=table(Incident), deployment=table(Deployment), commit=table(CommitRecord),
                  repository=table(Repository), i_service=column(Incident, "service"),
                  opened=column(Incident, "opened_at"), linked=column(Incident, "linked_deployment"),
                  root=column(Incident, "root_cause_sha"), d_service=column(Deployment, "service"),
                  deployed=column(Deployment, "deployed_at"), sha=column(Deployment, "sha"),
                  release=column(CommitRecord, "first_release"), commit_sha=column(CommitRecord, "sha"),
                  in_repository=column(CommitRecord, "repository"), r_service=column(Repository, "service"))


def _affected_incidents_sql(table: str) -> str:
    """A query of the ids of the incidents whose attribution the rows in the touch ``table`` can change: the added
    or changed incidents themselves, and for each added, moved or removed deployment state (its service, time
    and sha, before and after the change). Attribution (``attribute_incidents``) takes, in order:

    - the declared deployment: moves only for incidents linked to a touched deployment;
    - the first production deployment that shipped the root-cause commit: a deployment of the sha, or one at
      the time a change of the sha was first deployed, so only for incidents whose root cause is a touched
      deployment's sha, or the sha of a deployment or commit of the service deployed at a touched time;
    - the latest production deployment of the service at or before the incident opened, if within the window:
      a deployment at time t can be or stop being that only for incidents opened in [t, t + window] (the touch
      table's ``at`` and ``reach``; a later one is as far from t as the window allows, so gets none either way).

    Each part is a join the indexes answer (an incident's service and time, its declared deployment; a
    deployment's service and time; a commit's first release), so the query reads what the touched rows reach,
    not the services' history."""

    n = _names()
    return f"""
SELECT t.row_id FROM {table} t WHERE t.kind = 'i'
UNION
SELECT i.id FROM {table} t JOIN {n.incident} i ON i.{n.linked} = t.row_id WHERE t.kind = 'd'
UNION
SELECT i.id FROM {table} t JOIN {n.incident} i ON i.{n.i_service} = t.service_id AND i.{n.root} = t.sha
WHERE t.kind = 'd' AND t.sha <> ''
UNION
SELECT i.id FROM {table} t
JOIN {n.deployment} d ON d.{n.d_service} = t.service_id AND d.{n.deployed} = t.at
JOIN {n.incident} i ON i.{n.i_service} = t.service_id AND i.{n.root} = d.{n.sha}
WHERE t.kind = 'd' AND d.{n.sha} <> ''
UNION
SELECT i.id FROM {table} t
JOIN {n.deployment} f ON f.{n.deployed} = t.at
JOIN {n.commit} c ON c.{n.release} = f.id
JOIN {n.repository} r ON r.id = c.{n.in_repository} AND r.{n.r_service} = t.service_id
JOIN {n.incident} i ON i.{n.i_service} = t.service_id AND i.{n.root} = c.{n.commit_sha}
WHERE t.kind = 'd'
UNION
SELECT i.id FROM {table} t
JOIN {n.incident} i ON i.{n.i_service} = t.service_id AND i.{n.opened} >= t.at AND i.{n.opened} <= t.reach
WHERE t.kind = 'd'
"""


def _deciding_deployments_sql(chunk: str) -> str:
    """A query of the ids of the deployments that can decide the attribution of the incidents in the ``chunk``
    table (their service, opened at, the start of the window before it, declared deployment and root-cause sha):
    the declared ones, those of each incident's service deploying its root-cause sha or deployed when a change
    of that sha was first deployed (a pull request's change is deployed when its merge commit first was, else
    with a deployment of it), and those of the service in the window before it opened. Any further real
    deployment read changes nothing."""
    n = _names()
    return f"""
SELECT c.linked FROM {chunk} c WHERE c.linked IS NOT NULL
UNION
SELECT d.id FROM {chunk} c JOIN {n.deployment} d ON d.{n.d_service} = c.service_id AND d.{n.sha} = c.root
WHERE c.root <> ''
UNION
SELECT d.id FROM {chunk} c
JOIN {n.deployment} x ON x.{n.d_service} = c.service_id AND x.{n.sha} = c.root
JOIN {n.deployment} d ON d.{n.d_service} = c.service_id AND d.{n.deployed} = x.{n.deployed}
WHERE c.root <> ''
UNION
SELECT d.id FROM {chunk} c
JOIN {n.repository} r ON r.{n.r_service} = c.service_id
JOIN {n.commit} k ON k.{n.in_repository} = r.id AND k.{n.commit_sha} = c.root
JOIN {n.deployment} f ON f.id = k.{n.release}
JOIN {n.deployment} d ON d.{n.d_service} = c.service_id AND d.{n.deployed} = f.{n.deployed}
WHERE c.root <> ''
UNION
SELECT d.id FROM {chunk} c
JOIN {n.deployment} d ON d.{n.d_service} = c.service_id AND d.{n.deployed} >= c.since
     AND d.{n.deployed} <= c.opened
"""


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
