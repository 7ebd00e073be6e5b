"""Delivery figures read for their window only (the changes deployed in it, those incidents name as their root
cause, and each service's basis) equal the figures computed from every stored row, on a generated
organisation with a year of history and on the edge cases the generator does not make: lead time over pull
requests, root-cause and declared incident links to deployments outside the window, an undeclared rollback
after it, and a service whose changes all lie outside it. Runs on SQLite and again on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from brightline.demo_large import MIN_PEOPLE, load_large_demo
from tests.demo_helpers import demo_transaction, reset_sequences

TODAY = dt.date(2026, 11, 2)
NOW = dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)
LOWER = NOW - dt.timedelta(days=182)  # the start of the previous window of the team delivery rollup


def _edge_cases() -> None:
    from brightline.evidence.models import (
        CommitRecord,
        Deployment,
        Incident,
        PullRequest,
        Remediation,
        Repository,
        Service,
    )

    first, second, *_ = Service.objects.order_by("name")  # before the edge services below
    # The first service's changes are pull requests: merged commits, one shipped only by a deployment of its sha,
    # one never deployed.
    commits = list(CommitRecord.objects.filter(repository__service=first).order_by("authored_at"))
    for number, commit in enumerate(commits[::7], start=1):
        PullRequest.objects.create(
            service=first, source="github", external_id=f"edge/{first.name}#{number}", number=number, title="Edge",
            state="merged", opened_at=commit.authored_at - dt.timedelta(hours=3),
            first_commit_at=commit.authored_at - dt.timedelta(hours=2), merged_at=commit.authored_at,
            merge_sha=commit.sha, updated_at=commit.authored_at)
    deployed = Deployment.objects.filter(service=first, deployed_at__lt=NOW - dt.timedelta(days=20)).first()
    for number, sha in ((9001, deployed.sha), (9002, "f" * 40)):
        PullRequest.objects.create(
            service=first, source="github", external_id=f"edge/{first.name}#{number}", number=number, title="Edge",
            state="merged", opened_at=deployed.deployed_at - dt.timedelta(days=2),
            first_commit_at=deployed.deployed_at - dt.timedelta(days=1), merged_at=deployed.deployed_at,
            merge_sha=sha, updated_at=deployed.deployed_at)
    # The second service: incidents inside the windows that name a root-cause commit or a deployment from long
    # before them, and a rollback after the windows that names no failed deployment.
    old = list(Deployment.objects.filter(service=second, deployed_at__lt=NOW - dt.timedelta(days=200))
               .order_by("deployed_at")[:2])
    old_commit = CommitRecord.objects.filter(first_release=old[0]).first()
    for number, opened in enumerate((NOW - dt.timedelta(days=10), NOW - dt.timedelta(days=120))):
        Incident.objects.create(service=second, title="Root cause long ago", severity="sev2", opened_at=opened,
                                resolved_at=opened + dt.timedelta(hours=2), root_cause_sha=old_commit.sha,
                                source="edge", external_id=f"root-{number}")
        Incident.objects.create(service=second, title="Declared long ago", severity="sev3", opened_at=opened,
                                linked_deployment=old[1], source="edge", external_id=f"declared-{number}")
    Remediation.objects.create(service=second, kind=Remediation.Kind.ROLLBACK, occurred_at=NOW + dt.timedelta(days=3),
                               source="edge", external_id="late-rollback")
    # A service whose only change (a pull request) shipped long before every window, and one with no change.
    quiet = Service.objects.create(name="edge-quiet", team=second.team, workload_class=second.workload_class,
                                   criticality=second.criticality)  # a like-with-like peer of the second
    repository = Repository.objects.create(service=quiet, path="demo://edge-quiet", branch="main")
    release = Deployment.objects.create(service=quiet, sha="e" * 40, deployed_at=NOW - dt.timedelta(days=340),
                                        source="edge", external_id="quiet@1")
    CommitRecord.objects.create(repository=repository, sha="e" * 40, author_name="A", author_email="a@example.org",
                                authored_at=release.deployed_at - dt.timedelta(hours=5), committer_name="A",
                                committer_email="a@example.org", committed_at=release.deployed_at,
                                subject="Quiet", first_release=release)
    PullRequest.objects.create(service=quiet, source="github", external_id="edge/quiet#1", number=1, title="Quiet",
                               state="merged", opened_at=release.deployed_at - dt.timedelta(hours=6),
                               first_commit_at=release.deployed_at - dt.timedelta(hours=5),
                               merged_at=release.deployed_at, merge_sha="e" * 40, updated_at=release.deployed_at)
    Service.objects.create(name="edge-empty", team=first.team)
    _edges_of_the_rollup_window(second)


def _edges_of_the_rollup_window(second) -> None:
    """What the team delivery rollup's narrowed read of deployments (the two windows from ``LOWER`` on, with
    the few earlier rows their figures need) must still get right: deployments at and next to the edges, a
    failure before the read whose recovery lands inside it, links and remediations naming deployments from
    before it, and a team whose only service deployed long before every window."""
    from brightline.evidence.models import Deployment, Incident, Remediation, Service
    from brightline.people.models import Team

    edge = Service.objects.create(name="edge-edges", team=second.team, production_environments=["Production"])
    moments = {"long-ago": LOWER - dt.timedelta(days=150), "failed-before": LOWER - dt.timedelta(hours=2),
               "staging-before": LOWER - dt.timedelta(minutes=30), "before": LOWER - dt.timedelta(seconds=1),
               "good-after": LOWER + dt.timedelta(hours=1), "middle": NOW - dt.timedelta(days=91),
               "failed-inside": NOW - dt.timedelta(days=91, hours=1), "last": NOW - dt.timedelta(seconds=1),
               "end": NOW}
    made = {name: Deployment.objects.create(service=edge, environment="staging" if name.startswith("staging")
                                            else " production ", sha=f"{index:040x}", deployed_at=moment,
                                            source="edge", external_id=f"edges@{name}")
            for index, (name, moment) in enumerate(moments.items(), start=1)}
    Deployment.objects.create(service=edge, sha="1" * 40, deployed_at=LOWER + dt.timedelta(days=3),
                              status=Deployment.Status.FAILURE, source="edge", external_id="edges@failed-run")
    Deployment.objects.create(service=second, sha="2" * 40, deployed_at=LOWER, source="edge", external_id="edges@lower")
    # inferred onto the deployment one second before the read, opened inside it, and onto the last deployment
    # before the end and the one at the end (outside the window)
    for name, opened in (("start", LOWER + dt.timedelta(minutes=30)), ("last", NOW - dt.timedelta(milliseconds=500)),
                         ("end", NOW + dt.timedelta(hours=1))):
        Incident.objects.create(service=edge, title="Inferred", severity="sev2", opened_at=opened,
                                resolved_at=opened + dt.timedelta(hours=1), source="edge",
                                external_id=f"edges-inferred-{name}")
    # a failure before the read, recovered inside it
    Incident.objects.create(service=edge, title="Spans the start", severity="sev2",
                            opened_at=LOWER - dt.timedelta(hours=1), resolved_at=LOWER + dt.timedelta(hours=2),
                            linked_deployment=made["failed-before"], source="edge", external_id="edges-spanning")
    # a failure in the previous window fixed by the deployment that starts the current one; and remediations naming
    # deployments from before the read, one shipped inside it, one with no deployment of its own
    Remediation.objects.create(service=edge, kind=Remediation.Kind.HOTFIX, occurred_at=moments["middle"],
                               failed_deployment=made["failed-inside"], remediation_deployment=made["middle"],
                               source="edge", external_id="edges-hotfix")
    Remediation.objects.create(service=edge, kind=Remediation.Kind.REVERT, occurred_at=LOWER + dt.timedelta(days=5),
                               failed_deployment=made["long-ago"], source="edge", external_id="edges-old-revert")
    Remediation.objects.create(service=edge, kind=Remediation.Kind.ROLLBACK, occurred_at=LOWER + dt.timedelta(days=6),
                               failed_deployment=made["good-after"], remediation_deployment=made["long-ago"],
                               source="edge", external_id="edges-fixed-before")
    Remediation.objects.create(service=edge, kind=Remediation.Kind.ROLLBACK,
                               occurred_at=LOWER + dt.timedelta(minutes=20), source="edge",
                               external_id="edges-undeclared")
    old_team = Team.objects.create(organisation=second.team.organisation, slug="edge-old-team", name="Edge old team")
    old = Service.objects.create(name="edge-old", team=old_team)
    for days in (400, 300):
        Deployment.objects.create(service=old, sha=f"{days:040x}", deployed_at=LOWER - dt.timedelta(days=days),
                                  source="edge", external_id=f"old@{days}")


@pytest.fixture(scope="module")
def generated_org(django_db_setup, django_db_blocker):
    with demo_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            reset_sequences()
            load_large_demo(seed=11, people=3 * MIN_PEOPLE, years=1, today=TODAY)
            _edge_cases()
        yield


WINDOWS = (
    (NOW - dt.timedelta(days=91), NOW),
    (NOW - dt.timedelta(days=182), NOW - dt.timedelta(days=91)),
    (NOW - dt.timedelta(days=300), NOW - dt.timedelta(days=200)),
    (NOW - dt.timedelta(days=182), NOW + dt.timedelta(days=1)),
)


def test_figures_read_for_the_window_equal_those_from_every_row(generated_org, db):
    from brightline.core.delivery import compute_dora_metrics, compute_dora_metrics_by_period, compute_quality_metrics
    from brightline.evidence.models import Service
    from brightline.evidence.tables import build_delivery_data

    services = list(Service.objects.select_related("team"))
    everything = build_delivery_data(services)
    assert everything.changes.num_rows > 1_000
    bases = set(everything.changes.column("basis").to_pylist())
    assert bases == {"commit", "pull_request"}
    for start, end in WINDOWS:
        windowed = build_delivery_data(services, window=(start, end))
        assert windowed.changes.num_rows < 0.6 * everything.changes.num_rows
        for group_by in ("service", "team"):
            expected = compute_dora_metrics(everything, start=start, end=end, group_by=group_by)
            assert any(metrics.lead_time_hours.n for metrics in expected.values())
            assert compute_dora_metrics(windowed, start=start, end=end, group_by=group_by) == expected
            assert compute_quality_metrics(windowed, start=start, end=end, group_by=group_by) == \
                compute_quality_metrics(everything, start=start, end=end, group_by=group_by)
        assert compute_dora_metrics_by_period(windowed, start=start, end=end, period="month", group_by="team") == \
            compute_dora_metrics_by_period(everything, start=start, end=end, period="month", group_by="team")
    # The edge cases count: lead time by pull request, failures found through links outside the window.
    expected = compute_dora_metrics(everything, start=WINDOWS[0][0], end=WINDOWS[0][1])
    first, second = Service.objects.exclude(name__startswith="edge-").order_by("name")[:2]
    assert expected[first.name].lead_time_basis == "pull_requests"
    assert expected["edge-quiet"].deployments == 0 and expected["edge-quiet"].lead_time_basis == "pull_requests"
    assert expected[second.name].failed_deployments > 0


def test_deployments_read_from_a_moment_on_give_the_dora_figures_from_every_row(generated_org, db):
    from brightline.core.delivery import compute_dora_metrics, compute_dora_metrics_by_period
    from brightline.evidence.models import Service
    from brightline.evidence.tables import build_delivery_data

    services = list(Service.objects.select_related("team"))
    everything = build_delivery_data(services)
    read = build_delivery_data(services, window=(LOWER, NOW), deployments_from=LOWER)
    assert read.deployments.num_rows < 0.7 * everything.deployments.num_rows
    windows = ((LOWER, NOW - dt.timedelta(days=91)), (NOW - dt.timedelta(days=91), NOW), (LOWER, NOW),
               (LOWER, NOW + dt.timedelta(days=1)))
    for start, end in windows:
        for group_by in ("service", "team"):
            assert compute_dora_metrics(read, start=start, end=end, group_by=group_by) == \
                compute_dora_metrics(everything, start=start, end=end, group_by=group_by), (start, end, group_by)
        assert compute_dora_metrics_by_period(read, start=start, end=end, period="month", group_by="team") == \
            compute_dora_metrics_by_period(everything, start=start, end=end, period="month", group_by="team")
    for start, end in WINDOWS:  # any window from the moment read on
        narrowed = build_delivery_data(services, window=(start, end), deployments_from=start)
        assert compute_dora_metrics(narrowed, start=start, end=end, group_by="team") == \
            compute_dora_metrics(everything, start=start, end=end, group_by="team"), (start, end)
    # The edge cases count: failures at the edges and one recovered across the start, a team with no deployment.
    previous = compute_dora_metrics(everything, start=LOWER, end=NOW - dt.timedelta(days=91))
    current = compute_dora_metrics(everything, start=NOW - dt.timedelta(days=91), end=NOW)
    assert previous["edge-edges"].deployments == 2 and previous["edge-edges"].failed_deployments == 1
    assert previous["edge-edges"].failed_deployment_recovery_hours.median == 1.0
    assert current["edge-edges"].deployments == 2 and current["edge-edges"].failed_deployments == 1
    assert current["edge-old"].deployments == 0 and "edge-old" in compute_dora_metrics(read, start=LOWER, end=NOW)
    before = {row["deployment_id"] for row in everything.deployments.to_pylist()
              if row["deployed_at"] < LOWER and row["service"] == "edge-edges"}
    assert {row["deployment_id"] for row in read.deployments.to_pylist()} & before < before  # "staging-before"


def test_team_delivery_rollup_equals_the_figures_from_every_row(generated_org, db):
    from brightline.core.delivery import compute_dora_metrics
    from brightline.evidence.models import Service
    from brightline.evidence.tables import build_delivery_data
    from brightline.people.models import Team
    from brightline.rollups import delivery

    teams = list(Team.objects.filter(pk__in=delivery.teams_with_services()))
    stored = delivery.teams_delivery(teams, NOW)
    everything = build_delivery_data(Service.objects.filter(team__in=teams).select_related("team"))
    start = NOW - dt.timedelta(days=delivery.DELIVERY_WINDOW_DAYS)
    current = compute_dora_metrics(everything, start=start, end=NOW, group_by="team")
    previous = compute_dora_metrics(everything, start=start - dt.timedelta(days=delivery.DELIVERY_WINDOW_DAYS),
                                    end=start, group_by="team")
    assert sum(1 for figures in stored.values() if figures.get("change_fail_rate")) >= 2
    for team in teams:
        figures = stored[team.pk]
        assert figures["deployments_per_week"] == current[team.slug].deployment_frequency_per_week
        assert figures["change_fail_rate"] == current[team.slug].change_fail_rate
        was = previous[team.slug].deployment_frequency_per_week
        now = current[team.slug].deployment_frequency_per_week
        assert figures["deployments_trend"] == ("" if not previous[team.slug].deployments or was == now
                                                else "up" if now > was else "down")
        # and the same as one team at a time
        assert figures == delivery.team_delivery(team, NOW)


def test_delivery_page_rollups_equal_the_figures_of_one_team_or_class_at_a_time(generated_org, db):
    from brightline.evidence import page_figures
    from brightline.evidence.models import Service
    from brightline.people.models import Team
    from brightline.rollups import codec

    teams = list(Team.objects.order_by("pk"))
    batched = page_figures.team_pages(teams, NOW)
    assert sum(1 for figures in batched.values() if figures.current) >= 3
    assert any(figures.empty for figures in batched.values())  # teams without services say so
    for team in teams:
        assert batched[team.pk] == page_figures.team_page(team, NOW)
        assert codec.loads(codec.dumps(batched[team.pk])) == batched[team.pk]  # stored as it was computed
    services = list(Service.objects.select_related("team").order_by("pk"))
    pages = page_figures.service_pages(services, NOW)
    assert any(figures.empty for figures in pages.values()) and sum(1 for f in pages.values() if f.current) >= 3
    for service in services:
        assert pages[service.pk] == page_figures.service_page(service, NOW)
        assert codec.loads(codec.dumps(pages[service.pk])) == pages[service.pk]
    keys = page_figures.peer_keys()
    classes = page_figures.peers_many(keys, NOW)
    assert any(len(figures.by_name) > 1 for figures in classes.values())
    for key in keys:
        assert classes[key] == page_figures.peers(key, NOW)
        assert codec.loads(codec.dumps(classes[key])) == classes[key]


def test_system_health_delivery_of_every_team_and_quarter_equals_one_team_and_quarter_at_a_time(
        generated_org, db, monkeypatch):
    from brightline.evidence import tables
    from brightline.evidence.models import Deployment
    from brightline.governance import system_health
    from brightline.people.models import Team

    bounds = system_health._quarter_bounds(TODAY, system_health.QUARTERS_NEXT_TO_DELIVERY)
    teams = list(Team.objects.order_by("pk"))
    read: list[tuple[dt.datetime | None, int]] = []
    build = tables.build_delivery_data

    def observed(*args, **kwargs):
        data = build(*args, **kwargs)
        read.append((kwargs.get("deployments_from"), data.deployments.num_rows))
        return data

    monkeypatch.setattr(tables, "build_delivery_data", observed)
    batched = system_health._teams_delivery(teams, bounds)
    monkeypatch.setattr(tables, "build_delivery_data", build)
    # The deployments are read from the first quarter on (with the few earlier ones its figures depend on).
    (since, deployments_read), = read
    assert since == dt.datetime.combine(bounds[0][1], dt.time(), tzinfo=dt.UTC)
    assert deployments_read < Deployment.objects.count()
    assert sum(1 for cell in batched.values() if cell.get("deployments")) >= 8
    assert sum(1 for cell in batched.values() if cell["outside_hours_share"] is not None) >= 8
    for team in teams:
        for label, start, end in bounds:
            assert batched[(team.pk, label)] == system_health._team_delivery(team, start, end), (team.slug, label)


def test_incident_attribution_reads_only_root_cause_changes_and_equals_the_attribution_from_every_row(
        generated_org, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from brightline.core.delivery import attribute_incidents
    from brightline.evidence.metrics import update_incident_attribution
    from brightline.evidence.models import Incident, Service
    from brightline.evidence.tables import build_attribution_data, build_delivery_data

    services = list(Service.objects.select_related("team"))
    everything = build_delivery_data(services)
    read = build_attribution_data(services)
    root_causes = set(Incident.objects.exclude(root_cause_sha="").values_list("root_cause_sha", flat=True))
    assert root_causes and everything.changes.num_rows > 1_000
    # the changes read: those incidents name as their root cause and one basis row per service, nothing else
    assert {sha for sha in read.changes.column("sha").to_pylist() if sha is not None} <= root_causes
    assert read.changes.num_rows <= len(root_causes) + 2 * len(services)
    expected = attribute_incidents(everything).to_pylist()
    assert {row["attribution"] for row in expected} >= {"declared", "root_cause", "inferred"}
    assert attribute_incidents(read).to_pylist() == expected
    # what is stored equals it, and a second run with nothing new writes nothing
    update_incident_attribution(services)
    stored = {pk: (deployment, attribution) for pk, deployment, attribution in
              Incident.objects.values_list("id", "attributed_deployment_id", "attribution")}
    assert stored == {int(row["incident_id"]): (int(row["deployment_id"]) if row["deployment_id"] else None,
                                                 row["attribution"]) for row in expected}
    with CaptureQueriesContext(connection) as queries:
        assert update_incident_attribution(services) == 0
    assert not [query["sql"] for query in queries.captured_queries if query["sql"].lstrip().upper().startswith(
        ("UPDATE", "INSERT", "DELETE"))]
