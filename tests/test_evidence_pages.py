"""Delivery pages, charts, the DORA command, the catalogue and identity tools, and who may see what."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from brightline.audit.models import AccessLog
from brightline.core.delivery import DEFINITIONS, DORA_LEVELS_SOURCE, DORA_TEAMS_NOT_INDIVIDUALS, LEAD_TIME_BASIS
from brightline.evidence import charts
from brightline.evidence.metrics import NORMALISATION_SAME_SERVICE
from brightline.evidence.models import (
    CommitRecord,
    Deployment,
    EvidenceItem,
    Incident,
    Page,
    Repository,
    Service,
    UnmatchedIdentity,
)
from brightline.evidence.services import ERR_NOT_PEOPLE_PARTNER, EvidenceError, map_identity
from brightline.people.models import Identity
from tests.conftest import audit_actions

DORA_KEYS = {"deployments", "deployment_frequency_per_week", "lead_time_hours", "change_fail_rate",
             "failed_deployment_recovery_hours", "rework_rate", "lead_time_basis", "levels", "definitions"}


@pytest.fixture
def delivery(personas):
    """payments-api (Payments team) with a month of weekly releases, changes by Erin and Pat, one incident."""
    service = Service.objects.create(name="payments-api", team=personas.erin.team, criticality="critical",
                                     workload_class="product")
    checkout = Service.objects.create(name="checkout-web", criticality="critical", workload_class="product")
    Deployment.objects.create(service=checkout, version="c1", deployed_at=timezone.now() - timedelta(days=3),
                              source="events", external_id="checkout-1")
    repository = Repository.objects.create(service=service, path="/srv/payments")
    now = timezone.now().replace(microsecond=0)
    deployments = [Deployment.objects.create(service=service, environment="production", version=f"v1.{n}",
                                             sha=f"{n:040x}", deployed_at=now - timedelta(days=7 * (5 - n)),
                                             source="git", external_id=f"payments-api@v1.{n}") for n in range(5)]
    for n, deployment in enumerate(deployments):
        for person in (personas.erin, personas.pat):
            # 22:30 Berlin time on a weekday: after hours
            authored = (deployment.deployed_at - timedelta(days=1)).replace(hour=21, minute=30)
            CommitRecord.objects.create(repository=repository, sha=f"{n:020x}{person.pk:020x}", author_name=person.name,
                                  author_email=person.email, authored_at=authored, committer_name=person.name,
                                  committer_email=person.email, committed_at=authored, subject="Change",
                                  person=person, first_release=deployment, lines_added=10)
    Incident.objects.create(service=service, title="Latency", severity="sev2",
                            opened_at=deployments[3].deployed_at + timedelta(hours=1),
                            resolved_at=deployments[3].deployed_at + timedelta(hours=3), source="events",
                            external_id="inc-1")
    Page.objects.create(service=service, person=personas.erin, responder=personas.erin.email,
                        paged_at=deployments[3].deployed_at + timedelta(hours=1), source="events", external_id="p-1")
    return service


@pytest.mark.django_db
def test_the_dora_command_prints_exactly_the_documented_json(delivery):
    out = StringIO()
    call_command("metrics", "dora", "--service", "payments-api", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert set(result) == DORA_KEYS
    assert set(result["lead_time_hours"]) == {"median", "p75", "p90", "n", "skipped"}
    assert result["deployments"] == 5 and result["lead_time_hours"]["n"] == 10
    assert result["change_fail_rate"] == pytest.approx(0.2)  # one of five deployments had an incident
    assert result["definitions"]["lead_time_hours"].startswith(DEFINITIONS["lead_time_hours"][:40])


@pytest.mark.django_db
def test_the_dora_command_gives_a_list_per_period_for_a_team(delivery):
    out = StringIO()
    call_command("metrics", "dora", "--team", "payments", "--period", "week", "--json", stdout=out)
    periods = json.loads(out.getvalue())
    assert isinstance(periods, list) and len(periods) >= 26
    assert set(periods[0]) >= DORA_KEYS and {"period_start", "period_end"} <= set(periods[0])
    assert sum(period["deployments"] for period in periods) == 5


@pytest.mark.django_db
def test_the_dora_command_on_an_ingested_repository(tmp_path):
    from tests.test_evidence_ingest_git import commit, git

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "a.txt", "a\n", "First", date="2026-01-05T09:00:00Z")
    git(repo, "tag", "-a", "v1.0", "-m", "1.0", date="2026-01-06T09:00:00Z")
    commit(repo, "b.txt", "b\n", "Second", date="2026-01-07T09:00:00Z")
    git(repo, "tag", "-a", "v1.1", "-m", "1.1", date="2026-01-08T09:00:00Z")
    call_command("ingest", "git", str(repo), "--service", "tiny", stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("metrics", "dora", "--service", "tiny", "--since", "2026-01-01", "--until", "2026-02-01", "--json",
                 stdout=out)
    result = json.loads(out.getvalue())
    assert result["deployments"] == 2
    # each change shipped 24 hours after it was written
    assert result["lead_time_hours"] == {"median": 24.0, "p75": 24.0, "p90": 24.0, "n": 2, "skipped": 0}


def test_a_trend_spec_carries_its_data_encodings_title_and_normalisation():
    from brightline.core.delivery import DeliveryData, compute_dora_metrics_by_period
    from brightline.core.delivery.gitlog import ReleaseTag
    from brightline.core.delivery.tables import deployments_from_releases

    tags = [ReleaseTag(name=f"v{n}", commit_sha=f"{n:040x}", created_at=datetime(2026, 1, 5 + 7 * n, tzinfo=UTC),
                       kind="lightweight") for n in range(3)]
    data = DeliveryData(deployments=deployments_from_releases(tags, service="svc"))
    periods = compute_dora_metrics_by_period(data, start=datetime(2026, 1, 1, tzinfo=UTC),
                                             end=datetime(2026, 3, 1, tzinfo=UTC), period="month")["svc"]
    spec = charts.trend_spec(periods, metric="deployment_frequency_per_week", subject="svc",
                             normalisation=NORMALISATION_SAME_SERVICE)
    assert spec["title"] == {"text": "Deployment frequency — svc", "subtitle": NORMALISATION_SAME_SERVICE,
                             "anchor": "start"}
    assert [row["period"] for row in spec["data"]["values"]] == ["2026-01-01", "2026-02-01"]
    assert spec["data"]["values"][0]["deployments"] == 3 and spec["data"]["values"][1]["value"] == 0.0
    assert spec["encoding"]["x"] == {"field": "period", "type": "temporal", "title": "period starting"}
    assert spec["encoding"]["y"]["field"] == "value" and spec["mark"]["type"] == "line"
    assert [chart["title"]["text"].split(" — ")[0] for chart in
            charts.trend_specs(periods, subject="svc", normalisation="n")] == [title for _, title, _, _ in
                                                                               charts.TREND_METRICS]


def test_the_running_and_the_cut_periods_are_drawn_dashed_and_explained_not_as_a_real_drop():
    from brightline.core.delivery import DeliveryData, compute_dora_metrics_by_period
    from brightline.core.delivery.gitlog import ReleaseTag
    from brightline.core.delivery.tables import deployments_from_releases

    tags = [ReleaseTag(name=f"v{n}", commit_sha=f"{n:040x}", kind="lightweight",
                       created_at=datetime(2026, 1, 20, tzinfo=UTC) + timedelta(days=7 * n)) for n in range(8)]
    data = DeliveryData(deployments=deployments_from_releases(tags, service="svc"))
    # The window starts inside January and ends on 10 March, "today": January and March are incomplete.
    periods = compute_dora_metrics_by_period(data, start=datetime(2026, 1, 15, tzinfo=UTC),
                                             end=datetime(2026, 3, 11, tzinfo=UTC), period="month")["svc"]
    spec = charts.trend_spec(periods, metric="deployment_frequency_per_week", subject="svc",
                             normalisation=NORMALISATION_SAME_SERVICE, now=datetime(2026, 3, 10, 12, tzinfo=UTC),
                             window_start=datetime(2026, 1, 15, tzinfo=UTC))
    rows = spec["data"]["values"]
    whole = [row["period"] for row in rows if row["segment"] == "whole"]
    assert whole == ["2026-02-01"]
    segments = {}
    for row in rows:
        if row["segment"] != "whole":
            segments.setdefault(row["segment"], []).append((row["period"], row["status"], row.get("joint", False)))
    # Each incomplete period is its own dashed segment, joined to its whole neighbour.
    assert sorted(segments.values()) == [
        [("2026-01-01", charts.INCOMPLETE, False), ("2026-02-01", charts.INCOMPLETE, True)],
        [("2026-03-01", charts.INCOMPLETE, False), ("2026-02-01", charts.INCOMPLETE, True)]]
    assert spec["encoding"]["strokeDash"]["scale"]["domain"] == [charts.COMPLETE, charts.INCOMPLETE]
    assert spec["encoding"]["strokeDash"]["legend"] is not None and charts.INCOMPLETE_NOTE in spec["title"]["subtitle"]
    # A window of whole months that ended before now marks nothing.
    done = compute_dora_metrics_by_period(data, start=datetime(2026, 1, 1, tzinfo=UTC),
                                          end=datetime(2026, 3, 1, tzinfo=UTC), period="month")["svc"]
    calm = charts.trend_spec(done, metric="change_fail_rate", subject="svc", normalisation="n",
                             now=datetime(2026, 3, 10, tzinfo=UTC))
    assert {row["status"] for row in calm["data"]["values"]} == {charts.COMPLETE}
    assert calm["encoding"]["strokeDash"]["legend"] is None


def test_the_peer_chart_lists_services_by_name_not_by_value():
    from types import SimpleNamespace

    def fake(value: float):
        return SimpleNamespace(to_json=lambda: {"deployment_frequency_per_week": value})

    spec = charts.peer_spec({"zeta": fake(9.0), "alpha": fake(1.0), "mid": fake(5.0)},
                            metric="deployment_frequency_per_week", highlight="mid", normalisation="like")
    assert [row["service"] for row in spec["data"]["values"]] == ["alpha", "mid", "zeta"]
    assert spec["encoding"]["y"]["sort"] is None


@pytest.mark.django_db
def test_the_service_page_shows_trends_levels_and_the_normalisation(delivery, personas, client_for):
    response = client_for(personas.oscar).get("/evidence/services/payments-api/")
    assert response.status_code == 200
    html = response.content.decode()
    assert NORMALISATION_SAME_SERVICE in html
    assert "Compared only with services of the same kind of work" in html  # the peer charts
    assert html.count('class="card vl-chart"') == 7
    assert "vendor/vega-embed.min.js" in html and "/evidence/definitions/" in html
    assert LEAD_TIME_BASIS["commits"] in html  # what a change is, under the lead time figure


@pytest.mark.django_db
def test_team_pages_carry_no_per_person_counts(delivery, personas, client_for):
    response = client_for(personas.mo).get("/evidence/teams/payments/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Compared with the same team in earlier months, not with other teams." in html
    for person in (personas.erin, personas.pat):
        assert person.name not in html and person.email not in html


@pytest.mark.django_db
def test_delivery_pages_explain_escaped_defects_and_rollbacks_beside_their_numbers(delivery, personas, client_for):
    definitions = client_for(personas.mo).get("/evidence/definitions/").content.decode()
    for url in ("/evidence/services/payments-api/", "/evidence/teams/payments/"):
        html = client_for(personas.mo).get(url).content.decode()
        for name, explained, anchor in (("Escaped defects", "Incidents traced back to a production deployment",
                                         "escaped_defects"),
                                        ("Rollbacks", "put back on an earlier version", "rollback_rate")):
            item = re.search(rf"<li>{name}: \d+\. (.*?)</li>", html, re.S)
            assert item, f"{name} has its own line with its number on {url}"
            assert explained in item.group(1) and f'/evidence/definitions/#{anchor}"' in item.group(1)
            assert f'id="{anchor}"' in definitions, "the link lands on a definition"


@pytest.mark.django_db
def test_an_outsider_cannot_open_another_teams_delivery_page(delivery, personas, client_for):
    assert client_for(personas.oscar).get("/evidence/teams/payments/").status_code == 403


@pytest.mark.django_db
def test_the_definitions_page_shows_levels_with_source_and_guidance(personas, client_for):
    html = client_for(personas.erin).get("/evidence/definitions/").content.decode()
    for text in (DORA_LEVELS_SOURCE, DORA_TEAMS_NOT_INDIVIDUALS, "Less than one hour", "2023",
                 *LEAD_TIME_BASIS.values()):
        assert text.replace("'", "&#x27;") in html


@pytest.mark.django_db
def test_health_detail_is_shown_to_the_person_and_their_direct_manager_only(delivery, personas, client_for):
    def rows(person):
        response = client_for(person).get("/evidence/teams/payments/health/")
        if response.status_code != 200:
            return response.status_code
        html = response.content.decode()
        return {name for name in (personas.erin.name, personas.pat.name) if re.search(rf"<td>{name}</td>", html)}

    assert rows(personas.mo) == {personas.erin.name, personas.pat.name}
    assert rows(personas.erin) == {personas.erin.name}
    assert rows(personas.pat) == {personas.pat.name}
    assert rows(personas.lee) == set()  # the skip-level manager sees the team aggregate, not the detail
    assert rows(personas.pia) == set()  # people partners see the team aggregate, not per-person detail
    assert rows(personas.oscar) == 403
    assert AccessLog.objects.filter(viewer=personas.mo, subject=personas.erin, record="evidence.health_detail").exists()


@pytest.mark.django_db
def test_the_team_health_aggregate_counts_after_hours_work_in_local_time(delivery, personas, client_for):
    html = client_for(personas.mo).get("/evidence/teams/payments/health/").content.decode()
    assert "People with any out-of-hours work</th><td>2</td>" in html


@pytest.mark.django_db
def test_people_partners_map_an_unmatched_identity_and_it_is_audited(delivery, personas, client_for):
    unmatched = UnmatchedIdentity.objects.create(kind="email", value="erin.home@example.net", source="git")
    repository = Repository.objects.get()
    CommitRecord.objects.create(repository=repository, sha="f" * 40, author_name="Erin",
                                author_email="Erin.Home@example.net", authored_at=timezone.now(),
                                committer_name="Erin", committer_email="x", committed_at=timezone.now(),
                                subject="From home")
    response = client_for(personas.pia).post(f"/evidence/identities/{unmatched.pk}/map/",
                                             {"person": personas.erin.pk})
    assert response.status_code == 302
    assert Identity.objects.get(kind="email", value="erin.home@example.net").person == personas.erin
    assert CommitRecord.objects.get(sha="f" * 40).person == personas.erin
    assert EvidenceItem.objects.filter(source_ref="f" * 40, person=personas.erin, kind="merged_change").exists()
    assert "evidence.identity.mapped" in audit_actions()


@pytest.mark.django_db
def test_only_people_partners_may_map_identities_or_manage_sources(personas, client_for):
    unmatched = UnmatchedIdentity.objects.create(kind="email", value="x@example.net", source="git")
    with pytest.raises(EvidenceError) as error:
        map_identity(unmatched, person=personas.erin, actor=personas.mo)
    assert str(error.value) == ERR_NOT_PEOPLE_PARTNER
    for path in ("/evidence/identities/", "/evidence/ingest/", "/evidence/services/new/"):
        assert client_for(personas.mo).get(path).status_code == 403
        assert client_for(personas.pia).get(path).status_code == 200
    assert client_for(personas.mo).post(f"/evidence/identities/{unmatched.pk}/map/",
                                        {"person": personas.erin.pk}).status_code == 403


@pytest.mark.django_db
def test_a_people_partner_edits_the_catalogue_with_an_audit_entry(delivery, personas, client_for):
    response = client_for(personas.pia).post("/evidence/services/payments-api/edit/", {
        "name": "payments-api", "team": "payments", "criticality": "high", "workload_class": "product",
        "maturity": "mature", "production_environments": "production, prod-eu", "release_tag_pattern": r"^v\d+"})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.criticality == "high" and delivery.production_environments == ["production", "prod-eu"]
    assert "evidence.service.updated" in audit_actions()


@pytest.mark.django_db
def test_the_ingest_page_starts_a_job_and_shows_its_progress(personas, client_for, tmp_path, settings):
    from tests.test_evidence_ingest_git import commit, git

    settings.BRIGHTLINE_JOBS = "inline"
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "a.txt", "a\nb\n", "First")
    browser = client_for(personas.pia)
    response = browser.post("/evidence/ingest/", {"path": str(repo), "service": "tiny", "team": "payments",
                                                  "branch": "HEAD", "release_tags": ""})
    assert response.status_code == 302 and "/evidence/jobs/" in response.url
    page = browser.get(response.url + "progress/").content.decode()
    assert "Succeeded" in page and "1 commits (1 new), +2/" in page


@pytest.mark.django_db
def test_the_api_lists_evidence_items_only_for_records_the_viewer_may_see(delivery, personas, client_for):
    item = EvidenceItem.objects.create(kind="design_doc", title="Design", occurred_at=timezone.now(),
                                       person=personas.erin, source="manual", source_ref="d-1")
    assert client_for(personas.erin).get("/api/evidence/items").json()[0]["citation"] == f"[E:{item.pk}]"
    assert client_for(personas.mo).get(f"/api/evidence/items?person_id={personas.erin.pk}").status_code == 200
    assert AccessLog.objects.filter(viewer=personas.mo, subject=personas.erin).exists()
    assert client_for(personas.pat).get(f"/api/evidence/items?person_id={personas.erin.pk}").status_code == 403
    assert client_for(personas.pat).get(f"/api/evidence/items/{item.pk}").status_code == 403
    metrics = client_for(personas.pat).get("/api/evidence/services/payments-api/dora").json()
    assert set(metrics) == DORA_KEYS


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["erin", "pat", "mo", "oscar"])
def test_service_pages_link_only_to_team_pages_the_viewer_may_open(delivery, personas, client_for, persona):
    from brightline.people.models import Team
    Service.objects.create(name="ledger-sync", team=Team.objects.get(slug="platform"), criticality="high",
                           workload_class="platform")
    browser = client_for(getattr(personas, persona))
    for path in ("/evidence/services/", "/evidence/services/payments-api/", "/evidence/services/ledger-sync/"):
        html = browser.get(path).content.decode()
        for href in set(re.findall(r'href="(/evidence/teams/[^"]+)"', html)):
            assert browser.get(href).status_code == 200, f"{path} links to {href}, which refuses {persona}"
    listing = browser.get("/evidence/services/").content.decode()
    assert "Payments" in listing and "Platform" in listing  # a team one may not open is named, unlinked


@pytest.mark.django_db
def test_the_set_of_viewable_teams_agrees_with_the_team_page_check(personas):
    from brightline import access
    from brightline.people.models import Person, Team
    teams = list(Team.objects.all())
    for person in Person.objects.all():
        assert access.team_ids_viewable_by(person, teams) == {t.pk for t in teams if access.can_view_team(person, t)}


@pytest.mark.django_db
def test_the_health_detail_lists_people_by_name_never_by_a_figure(delivery, personas, client_for):
    personas.erin.name = "Zoe Employee"  # created before Pat: by id she would come first
    personas.erin.save(update_fields=["name"])
    html = client_for(personas.mo).get("/evidence/teams/payments/health/").content.decode()
    assert re.findall(r"<tr><td>([^<]+)</td><td>\d+</td>", html) == ["Pat Peer", "Zoe Employee"]


@pytest.mark.django_db
def test_the_reading_page_names_each_runs_repository_and_when_every_services_evidence_was_last_read_and_how(
        personas, client_for, tmp_path, settings):
    """An administrator tells which repository a run read, for which service and team, what it read and when, and
    for every service when its evidence was last read and how (this page, the command line), or that no read is on
    record (its history came another way): its latest deployment says how fresh it is. Before, each run was a date
    and a status, and reads from the command line were not on the page at all."""
    from tests.test_evidence_ingest_git import commit, git

    settings.BRIGHTLINE_JOBS = "inline"
    repos = {}
    for name in ("payouts", "ledger.git"):
        repos[name] = tmp_path / name
        repos[name].mkdir()
        git(repos[name], "init", "-q", "-b", "main")
        commit(repos[name], "a.txt", "a\nb\n", "First")
    browser = client_for(personas.pia)
    started = browser.post("/evidence/ingest/", {"path": str(repos["payouts"]), "service": "payouts",
                                                 "team": "payments", "branch": "HEAD", "release_tags": ""})
    failed = browser.post("/evidence/ingest/", {"path": str(tmp_path / "gone"), "service": "gone-service",
                                                "team": "", "branch": "HEAD", "release_tags": ""})
    call_command("ingest", "git", str(repos["ledger.git"]), "--service", "ledger", stdout=StringIO(),
                 stderr=StringIO())
    Service.objects.create(name="imported-only", team=personas.erin.team)
    job = browser.get(started.url).content.decode()
    assert "Back to reading repositories" in job and "ingests" not in job
    assert "payouts, for the service payouts of Payments" in job
    page = unescape(browser.get("/evidence/ingest/").content.decode())
    runs = page[page.index("Repositories read from this page"):page.index("When each service")]
    assert re.search(r">payouts</a></th><td>payouts</td><td>Payments</td><td>[^<]+</td><td>Succeeded</td>"
                     r"<td>1 commits \(1 new\), 0 releases</td>", runs), runs
    assert re.search(r">gone</a></th><td>gone-service</td><td>no team</td><td>[^<]+</td><td>Failed</td>"
                     r"<td>gone is not a git repository", runs), runs
    assert str(tmp_path) not in page  # a repository by its name, never where it is on the server
    reads = {row[0]: row[1:] for row in re.findall(
        r'<th scope="row"><a href="/evidence/services/[^"]+/">([^<]+)</a></th><td>([^<]+)</td>\s*<td>(.*?)</td>'
        r"<td>(.*?)</td>", page[page.index("When each service"):], re.S)}
    assert reads["payouts"][2] == "from this page, by Pia Partner" and "no read" not in reads["payouts"][1]
    assert reads["ledger"][0] == "no team" and reads["ledger"][2] == "from the command line"
    assert "no read on record" in reads["imported-only"][1] and reads["imported-only"][2] == "–"
    assert "gone-service" in reads and "no read on record" in reads["gone-service"][1]
    assert failed.status_code == 302
