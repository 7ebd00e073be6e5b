"""Incident attribution after an events import recomputes only the incidents the import can have moved, from only
the deployments that can decide them, and stores exactly what attributing from every row gives."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brightline.core.delivery import attribute_incidents
from brightline.evidence import metrics
from brightline.evidence.models import CommitRecord, Deployment, Incident, Repository, Service
from brightline.evidence.sources.events import import_events, parse_event_file
from brightline.evidence.tables import build_delivery_data
from brightline.policy.services import get_policy

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
HEADER = ("type,id,service,environment,version,sha,status,deployed_at,opened_at,resolved_at,severity,title,"
          "linked_deployment,root_cause_sha")


def at(hours: float) -> str:
    return (START + dt.timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def deployment(key: str, service: str, hours: float, sha: str = "", status: str = "success",
               environment: str = "production") -> str:
    return f"deployment,{key},{service},{environment},v-{key},{sha},{status},{at(hours)},,,,,,"


def incident(key: str, service: str, hours: float, linked: str = "", root: str = "") -> str:
    return f"incident,{key},{service},,,,,,{at(hours)},{at(hours + 2)},sev2,Outage {key},{linked},{root}"


def run(lines: list[str]):
    source, records = parse_event_file(("\n".join([HEADER, *lines]) + "\n").encode())
    return import_events(records, source=source, actor_label="cli:test")


def history() -> list[str]:
    """Two months of one service: a deployment every 8 hours (one failed, one to staging), incidents at uneven
    times (some declared, some naming a shipped sha as root cause), and a service with incidents and no
    deployment yet."""
    lines = [deployment(f"d{n}", "shop-api", 8 * n, sha=f"s{n:03d}",
                        status="failure" if n == 10 else "success",
                        environment="staging" if n == 20 else "production") for n in range(180)]
    for n in range(60):
        hours = 24 * n + (n % 7) * 3 + 0.5
        linked = f"d{3 * n}" if n % 9 == 4 else ""
        root = f"s{3 * n + 2:03d}" if n % 11 == 5 else ""
        lines.append(incident(f"i{n}", "shop-api", hours, linked=linked, root=root))
    lines += [incident("q1", "search-api", 50), incident("q2", "search-api", 400)]
    return lines


def full_attribution() -> dict[int, tuple[int | None, str]]:
    services = list(Service.objects.select_related("team"))
    return {int(row["incident_id"]): (int(row["deployment_id"]) if row["deployment_id"] else None,
                                      row["attribution"])
            for row in attribute_incidents(build_delivery_data(services)).to_pylist()}


def stored() -> dict[int, tuple[int | None, str]]:
    return {pk: (deployment_id, attribution) for pk, deployment_id, attribution in
            Incident.objects.values_list("id", "attributed_deployment_id", "attribution")}


def by_key(key: str) -> tuple[int | None, str]:
    found = Incident.objects.get(external_id=key)
    return found.attributed_deployment_id, found.attribution


def observe_attribution_reads(monkeypatch) -> list[tuple[int, int]]:
    """From now on, how many deployments and incidents each incident attribution reads, in order."""
    read: list[tuple[int, int]] = []
    build = metrics.build_attribution_data

    def observed(*args, **kwargs):
        data = build(*args, **kwargs)
        read.append((data.deployments.num_rows, data.incidents.num_rows))
        return data

    monkeypatch.setattr(metrics, "build_attribution_data", observed)
    return read


def deployment_id(key: str) -> int:
    return Deployment.objects.get(external_id=key).pk


@pytest.fixture
def services(personas) -> None:
    policy = get_policy()
    policy.allowed_sources = sorted({*policy.allowed_sources, "deployments", "incidents"})
    policy.save()
    for name in ("shop-api", "search-api"):
        Service.objects.create(name=name, team=personas.erin.team)


def test_an_import_into_a_history_stores_the_attribution_computed_from_every_row(services, monkeypatch):
    run(history())
    assert stored() == full_attribution()
    assert {attribution for _, attribution in stored().values()} == {"declared", "root_cause", "inferred", "none"}
    # a commit of the history, first shipped by d50, named as the root cause of an incident with nothing else
    repository = Repository.objects.create(service=Service.objects.get(name="shop-api"), path="/srv/shop")
    CommitRecord.objects.create(
        repository=repository, sha="c0ffee", author_name="A", author_email="a@example.org",
        authored_at=START, committer_name="A", committer_email="a@example.org", committed_at=START,
        subject="Cache prices", first_release=Deployment.objects.get(external_id="d50"))
    run([incident("i-commit", "shop-api", 1000, root="c0ffee")])
    assert by_key("i-commit") == (deployment_id("d50"), "root_cause")
    before = stored()

    read = observe_attribution_reads(monkeypatch)
    i7 = 24 * 7 + 0 * 3 + 0.5  # incident i7 opened 0.5 hours after d21
    result = run([
        # a deployment between an existing one and the incidents after it: i7 moves to it
        deployment("n1", "shop-api", i7 - 0.25, sha="n001"),
        # a deployment at the exact time an incident opened (i15, 6.5 hours after d45): it is the one
        deployment("n2", "shop-api", 24 * 15 + 3 + 0.5, sha="n002"),
        # a new incident at the exact time of an existing deployment (d90)
        incident("i-at", "shop-api", 8 * 90),
        # the first deployment of a service whose incidents had none
        deployment("first", "search-api", 48, sha="f001"),
        # an existing deployment moved past its incidents, one turned failed (d50 shipped the root-cause commit)
        deployment("d63", "shop-api", 8 * 63 + 20, sha="s063"),
        deployment("d50", "shop-api", 8 * 50, sha="s050", status="failure"),
        # an earlier deployment of a sha incidents name as root cause (i5 names s017)
        deployment("n3", "shop-api", 1, sha="s017"),
        # a deployment of a sha an incident named with nothing deployed yet, before the incident
        deployment("n4", "shop-api", 24 * 50, sha="never-shipped"),
        incident("i-root", "shop-api", 24 * 52, root="never-shipped"),
        # an incident moved, one newly declared
        incident("i30", "shop-api", 24 * 30 + 7),
        incident("i31", "shop-api", 24 * 31, linked="d1"),
    ])
    after = stored()
    assert after == full_attribution()
    assert by_key("i7") == (deployment_id("n1"), "inferred")
    assert by_key("i15") == (deployment_id("n2"), "inferred")
    assert by_key("i-at") == (deployment_id("d90"), "inferred")
    assert by_key("q1") == (deployment_id("first"), "inferred")
    assert by_key("i5") == (deployment_id("n3"), "root_cause")
    assert by_key("i-root") == (deployment_id("n4"), "root_cause")
    assert by_key("i31") == (deployment_id("d1"), "declared")
    assert by_key("i-commit") != before[Incident.objects.get(external_id="i-commit").pk]
    moved = {pk for pk in after if before.get(pk) != after[pk]}
    assert len(moved) >= 9
    # only a few of the 189 deployments and 65 incidents were read to get there
    (deployments_read, incidents_read), = read
    assert deployments_read < Deployment.objects.count() / 4 and incidents_read < Incident.objects.count() / 3
    assert {pk for pk in after} - moved and result.touched_incidents

    # a deployment moved to the other service, by a file that names only that one: i41 (2.5 hours after d125)
    # loses it
    assert by_key("i41") == (deployment_id("d125"), "inferred")
    run([deployment("d125", "search-api", 8 * 125, sha="s125")])
    assert stored() == full_attribution()
    assert by_key("i41") == (deployment_id("d124"), "inferred")
    after = stored()

    # the same file again writes nothing and reads nothing for attribution
    read.clear()
    with CaptureQueriesContext(connection) as queries:
        again = run([incident("i31", "shop-api", 24 * 31, linked="d1"),
                     deployment("d63", "shop-api", 8 * 63 + 20, sha="s063"),
                     deployment("d125", "search-api", 8 * 125, sha="s125")])
    assert not again.touched_deployments and not again.touched_incidents and not read
    assert not [query["sql"] for query in queries.captured_queries
                if query["sql"].lstrip().upper().startswith(("UPDATE", "DELETE"))
                and "evidence_" in query["sql"].lower()]
    assert stored() == after


def test_an_import_larger_than_a_batch_of_touches_reads_only_what_it_can_move(services, monkeypatch):
    """More than a thousand deployments touched (the limit past which the whole history of the services was read
    before): a year of history, then a file appending the next half year, changing a few old deployments and
    naming an old sha as a root cause."""
    year = [deployment(f"h{n}", "shop-api" if n % 3 else "search-api", 4 * n, sha=f"h{n:05d}",
                       status="failure" if n % 97 == 0 else "success") for n in range(2200)]
    year += [incident(f"hi{n}", "shop-api" if n % 4 else "search-api", 40 * n + 1.5,
                      linked=f"h{10 * n}" if n % 13 == 0 else "", root=f"h{10 * n - 7:05d}" if n % 17 == 3 else "")
             for n in range(220)]
    year.append(incident("far", "shop-api", 4 * 1000 + 100, linked="h1000"))  # declared, four days after it
    run(year)
    assert stored() == full_attribution()
    read = observe_attribution_reads(monkeypatch)
    later = 4 * 2200
    result = run([
        *[deployment(f"n{n}", "shop-api" if n % 2 else "search-api", later + 3 * n + 1, sha=f"n{n:05d}")
          for n in range(1100)],
        *[incident(f"ni{n}", "shop-api" if n % 2 else "search-api", later + 33 * n + 2.5,
                   linked=f"n{11 * n}" if n % 7 == 0 else "") for n in range(100)],
        # old deployments changed: one moved by a day (hi30 opened 1.5 hours after it), one failed (hi50 opened
        # 1.5 hours after it), one given, earlier, the sha hi54 names as its root cause
        deployment("h300", "shop-api", 4 * 300 + 24, sha="h00300"),
        deployment("h500", "shop-api", 4 * 500, sha="h00500", status="failure"),
        deployment("h100", "shop-api", 4 * 100, sha="h00533"),
        deployment("h1000", "shop-api", 4 * 1000, sha="h01000", status="failure"),
        incident("i-old", "shop-api", 4 * 1500 + 1, root="h01493"),
    ])
    assert result.touched_deployments > 1000 and result.touched_incidents == 101
    assert stored() == full_attribution()
    deployments_read = sum(deployments for deployments, _ in read)
    incidents_read = sum(incidents for _, incidents in read)
    # the new half year and a few days around the changed rows, not the year before
    assert deployments_read < Deployment.objects.count() / 2
    assert incidents_read < Incident.objects.count() / 2
    assert by_key("ni0") == (deployment_id("n0"), "declared")
    assert by_key("i-old") == (deployment_id("h1493"), "root_cause")
    assert by_key("hi30") == (deployment_id("h299"), "inferred")
    assert by_key("hi50") == (deployment_id("h499"), "inferred")
    assert by_key("hi54") == (deployment_id("h100"), "root_cause")
    assert by_key("far") == (deployment_id("h1025"), "inferred")


def test_attribution_in_small_chunks_equals_attribution_from_every_row(services, monkeypatch):
    from brightline.evidence import touched
    from brightline.evidence.sources.events import importer

    monkeypatch.setattr(importer, "BATCH_SIZE", 20)
    monkeypatch.setattr(touched, "TOUCH_BATCH", 13)
    monkeypatch.setattr(metrics, "ATTRIBUTION_CHUNK", 7)
    read = observe_attribution_reads(monkeypatch)
    result = run(history())
    assert result.touched_deployments == 180 and result.touched_incidents == 62
    assert len(read) == 9  # 62 incidents, 7 at a time
    assert stored() == full_attribution()
    assert {attribution for _, attribution in stored().values()} == {"declared", "root_cause", "inferred", "none"}
    # nothing is left behind on the connection
    assert not result.touch_table and not temporary_tables(touched.TOUCH_TABLE_PREFIX)


def temporary_tables(prefix: str) -> list[str]:
    query = ("SELECT name FROM sqlite_temp_master WHERE type = 'table'" if connection.vendor == "sqlite" else
             "SELECT tablename FROM pg_tables WHERE schemaname LIKE 'pg_temp%%'")
    with connection.cursor() as cursor:
        cursor.execute(query)
        return [name for name, in cursor.fetchall() if name.startswith(prefix)]
