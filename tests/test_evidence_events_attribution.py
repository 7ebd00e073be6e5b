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


def test_an_import_past_the_limit_attributes_from_every_row(services, monkeypatch):
    from brightline.evidence.sources.events import importer

    monkeypatch.setattr(importer, "BATCH_SIZE", 20)
    result = run(history())
    assert result.touched_too_many and not result.touched_deployments
    assert stored() == full_attribution()
