"""Rollups: the aggregate pages read precomputed figures that equal the raw computation, are brought up to
date after an ingestion, say how fresh they are, and cost a number of queries that does not grow with the
organisation. Runs on SQLite and again on PostgreSQL (`make test` runs the suite on both)."""

from __future__ import annotations

import dataclasses
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.demo_helpers import demo_from, demo_transaction, reset_sequences
from tests.org_generator import GeneratedOrg


@pytest.fixture(scope="module")
def demo_org(django_db_setup, django_db_blocker, demo_snapshot):
    with demo_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            reset_sequences()
            demo_from(demo_snapshot)
        yield


def _leader():
    from brightline.people.models import Person

    return Person.objects.select_related("user").get(user__username="lee")


def test_rollup_values_equal_the_raw_computation_on_the_demo(demo_org, db, time_machine):
    from brightline.governance import leadership
    from brightline.policy.services import min_cohort_size
    from brightline.rollups import delivery
    from brightline.rollups.models import Rollup
    from brightline.rollups.services import read_all, refresh

    # The clock stands still: a window ending "now" would lose a commit at its edge while a slow refresh runs.
    time_machine.move_to(timezone.now(), tick=False)
    min_cohort = min_cohort_size()
    assert not Rollup.objects.exists()
    first = leadership.build_leadership_view(min_cohort=min_cohort)  # computes and stores what it reads
    raw = leadership.build_leadership_view(min_cohort=min_cohort, now=timezone.now())
    assert raw.as_of is None and first.as_of is not None
    assert first.delivery_available and first.comparisons and first.cycle_name
    assert dataclasses.replace(first, as_of=None) == raw

    report = refresh(everything=True)
    assert report.computed == Rollup.objects.count() > 3
    assert not Rollup.objects.filter(stale=True).exists()
    again = leadership.build_leadership_view(min_cohort=min_cohort)
    assert dataclasses.replace(again, as_of=None) == raw and again.as_of >= first.as_of
    # Every stored key, not only the ones the default page reads, equals its raw computation.
    from brightline.people.models import Team

    now = timezone.now()
    teams = read_all(delivery.KIND)
    assert set(teams) == {str(pk) for pk in delivery.teams_with_services()}
    for key, fresh in teams.items():
        assert fresh.value == delivery.team_delivery(Team.objects.get(pk=int(key)), now)
    cycles = read_all(leadership.CYCLE_ROLLUP)
    assert len(cycles) >= 2
    for key, fresh in cycles.items():
        assert fresh.value == leadership.cycle_figures(key)
    (organisation,) = read_all(leadership.ORGANISATION_ROLLUP).values()
    assert organisation.value == leadership.organisation_figures(str(min_cohort))


def test_a_teams_delivery_page_and_a_services_peers_read_rollups_equal_to_the_raw_figures(demo_org, db,
                                                                                         client_for):
    from brightline.evidence import charts, page_figures, views
    from brightline.evidence.metrics import (
        NORMALISATION_SAME_TEAM,
        default_window,
        incidents_by_severity,
        peer_dora,
        reliability,
        service_dora,
        team_dora,
        team_dora_by_period,
    )
    from brightline.evidence.models import Service
    from brightline.evidence.page_figures import SERVICE_PEERS, TEAM_PAGE
    from brightline.rollups.models import Rollup
    from brightline.rollups.services import refresh

    refresh(everything=True)
    assert Rollup.objects.filter(kind=TEAM_PAGE).exists() and Rollup.objects.filter(kind=SERVICE_PEERS).exists()
    service = Service.objects.select_related("team").filter(team__isnull=False).order_by("name").first()
    team = service.team
    browser = client_for(_leader())
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(f"/evidence/teams/{team.slug}/")
    assert response.status_code == 200 and "Figures as of" in response.content.decode()
    # The team's history stays in the database: the page reads no change, deployment or incident.
    assert not [query["sql"] for query in queries.captured_queries if any(
        table in query["sql"] for table in ("evidence_commitrecord", "evidence_deployment", "evidence_incident"))]
    start, end = default_window(timezone.now())
    page = response.context
    assert (page["start"], page["end"]) == (start, end)
    assert page["current"] == views._summary(team_dora(team, start=start, end=end))
    assert page["specs"] == charts.trend_specs(
        team_dora_by_period(team, start=start, end=end, period="month"), subject=team.name,
        normalisation=NORMALISATION_SAME_TEAM, now=page_figures.read(TEAM_PAGE, str(team.pk))[0].computed_for,
        window_start=start)
    assert page["reliability"] == reliability(list(Service.objects.filter(team=team).select_related("team")),
                                              group=team.slug, group_by="team", start=start, end=end)

    service = next(each for each in Service.objects.order_by("name") if Service.objects.filter(
        workload_class=each.workload_class, criticality=each.criticality).count() > 1)
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(f"/evidence/services/{service.name}/")
    assert response.status_code == 200 and "Figures as of" in response.content.decode()
    assert not [query["sql"] for query in queries.captured_queries if any(
        table in query["sql"] for table in ("evidence_commitrecord", "evidence_deployment", "evidence_incident"))]
    page = response.context
    assert page["current"] == views._summary(service_dora(service, start=start, end=end))
    assert page["reliability"] == reliability([service], group=service.name, group_by="service", start=start,
                                              end=end)
    assert page["incidents_by_severity"] == incidents_by_severity([service], start=start, end=end)
    raw = peer_dora(service, start=start, end=end)
    assert len(raw) > 1
    assert response.context["peer_specs"] == [
        charts.peer_spec(raw, metric=key, highlight=service.name, normalisation=response.context["peer_normalisation"])
        for key in ("deployment_frequency_per_week", "lead_time_hours")]


def test_the_pages_say_how_fresh_their_figures_are(demo_org, db, client_for):
    from brightline.rollups.models import Rollup

    browser = client_for(_leader())
    for url in ("/governance/leadership/", "/governance/system-health/"):
        response = browser.get(url)
        assert response.status_code == 200
        assert "Figures as of" in response.content.decode()
    api = browser.get("/api/governance/leadership").json()
    newest = Rollup.objects.order_by("computed_at").first().computed_at
    assert api["as_of"] and api["as_of"].startswith(newest.isoformat()[:16])


@pytest.mark.parametrize("min_cohort", [1, 3, 5, 8])
def test_the_stored_headcounts_equal_the_live_counts_and_each_pages_withholding(demo_org, db, min_cohort):
    """The headcounts' rollup holds what the home card, the leadership view and the organisation page counted
    on every request before: the same sizes and, keyed as each page keyed them, the same teams withheld."""
    from django.db.models import Count, Q

    from brightline.core.fairness import suppress_small_groups
    from brightline.people.models import Team
    from brightline.people.queries import team_headcounts
    from brightline.rollups import teams
    from brightline.rollups.registry import kinds_triggered_by
    from brightline.rollups.services import read_one

    stored = read_one(teams.KIND, str(min_cohort)).value
    live = list(Team.objects.annotate(size=Count("members", filter=Q(members__is_active=True))).filter(size__gt=0))
    assert sorted((t.pk, t.slug, t.name, t.size) for t in stored.teams) == sorted(
        (t.pk, t.slug, t.name, t.size) for t in live)
    assert stored.people == sum(t.size for t in live) > 0
    by_pk = suppress_small_groups({(t.pk,): t.size for t in live}, min_cohort=min_cohort)
    by_slug = suppress_small_groups({(t.slug,): t.size for t in live}, min_cohort=min_cohort)
    assert stored.withheld_pks == {key[0] for key in by_pk} and stored.withheld_slugs == {key[0] for key in by_slug}
    assert stored.shown_pks == {t.pk for t in live} - stored.withheld_pks
    if min_cohort in (1, 8):  # nobody withheld; the team of seven withheld
        assert bool(stored.withheld_pks) == (min_cohort == 8)
    assert stored.headcounts == team_headcounts(min_cohort=min_cohort)
    assert stored.labels == dict(Team.objects.values_list("slug", "name"))
    # A change to people or teams makes it stale, so the refresh job counts again.
    assert teams.KIND in kinds_triggered_by({"people.person.left"}) & kinds_triggered_by({"people.team.created"})


def test_a_figure_derived_from_many_rollups_is_worked_out_again_once_one_of_them_changes(demo_org, db):
    from brightline.rollups import delivery
    from brightline.rollups.services import derived, mark_stale, read, refresh, version

    calls: list[int] = []

    def derive() -> int:
        calls.append(1)
        return len(calls)

    read(delivery.KIND, [str(pk) for pk in delivery.teams_with_services()])
    first = version(delivery.KIND)
    assert derived(("test", first), derive) == derived(("test", version(delivery.KIND)), derive) == 1
    mark_stale([delivery.KIND])  # what an ingestion does: the headline now says it is being refreshed
    stale = version(delivery.KIND)
    assert stale != first and derived(("test", stale), derive) == 2
    refresh(kinds=[delivery.KIND])
    assert version(delivery.KIND) not in (first, stale) and derived(("test", version(delivery.KIND)), derive) == 3


def test_the_leaders_home_gives_the_organisations_figures_each_with_its_freshness(demo_org, db, client_for):
    """People and teams, the open cycle's progress and the delivery headline from the rollups, each saying how
    fresh it is, within the page's query budget (no query per team)."""
    import re
    from statistics import median

    from brightline.people.models import Person
    from brightline.rollups import delivery
    from brightline.rollups.services import read_all, refresh

    refresh(everything=True)
    browser = client_for(_leader())
    browser.get("/")
    with CaptureQueriesContext(connection) as queries:
        page = browser.get("/").content.decode()
    assert len(queries) <= 30
    card = re.search(r'<dl class="figures">(.*?)</dl>', page, re.S).group(1)
    figures = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", card, re.S))
    in_teams = Person.objects.filter(is_active=True, team__isnull=False)
    teams = in_teams.values("team").distinct().count()
    assert figures["People"].startswith(f"{in_teams.count()} people in {teams} teams")
    assert "as of " in figures["People"]  # the headcounts' rollup
    cycle = next(value for label, value in figures.items() if "review" in label)
    # The progress, then which part of the organisation the cycle covers.
    assert re.search(r"\d+ of \d+ (self reviews|assessments) in; \d+ (person|people) in \d+ teams? takes? part\.",
                     cycle) and "counted now" in cycle
    stored = [fresh.value for fresh in read_all(delivery.KIND).values() if fresh.value]
    per_week = sum(value["deployments_per_week"] for value in stored)
    typical = median(value["change_fail_rate"] for value in stored) * 100
    assert f"{per_week:.1f} deployments a week across {len(stored)} teams" in figures["Delivery"]
    assert f"changes fail {typical:.0f} % of the time" in figures["Delivery"].replace("&#x27;", "'")
    assert "as of " in figures["Delivery"]


def test_an_ingestion_refreshes_the_rollups_it_affects_and_the_page_shows_it(demo_org, db, client_for, tmp_path,
                                                                            django_capture_on_commit_callbacks):
    from brightline.evidence.models import Service
    from brightline.jobs.models import JobRun
    from brightline.rollups import delivery
    from brightline.rollups.models import Rollup

    browser = client_for(_leader())
    before = browser.get("/governance/leadership/").context["view"]
    shown = {row.label: row for row in before.teams if row.headcount is not None and row.deployments_per_week}
    service = Service.objects.select_related("team").filter(team__name__in=list(shown)).order_by("name").first()
    assert service is not None
    row_before = shown[service.team.name]
    stored = Rollup.objects.get(kind=delivery.KIND, key=str(service.team_id))
    cycle_rollups_before = dict(Rollup.objects.exclude(kind=delivery.KIND).values_list("pk", "computed_at"))

    # Thirty more production deployments of one of the team's services in the last few days.
    now = timezone.now()
    lines = ["type,id,service,environment,version,status,deployed_at"]
    lines += [f"deployment,rollup-test-{i},{service.name},production,9.{i},success,"
              f"{(now - timezone.timedelta(hours=3 * i + 1)).strftime('%Y-%m-%dT%H:%M:%SZ')}" for i in range(30)]
    events = tmp_path / "events.csv"
    events.write_text("\n".join(lines) + "\n")
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the test's transaction never commits
        call_command("import", "events", str(events), "--json", stdout=out, stderr=StringIO())
    assert json.loads(out.getvalue())

    # The refresh job ran (in-process, the default) and recomputed the stale delivery rollups only.
    assert JobRun.objects.filter(name="rollups.refresh", status=JobRun.Status.SUCCEEDED).exists()
    stored.refresh_from_db()
    assert not stored.stale and stored.computed_at > before.as_of
    assert dict(Rollup.objects.exclude(kind=delivery.KIND).values_list("pk", "computed_at")) == cycle_rollups_before
    after = browser.get("/governance/leadership/").context["view"]
    row_after = next(row for row in after.teams if row.label == service.team.name)
    assert row_after.deployments_per_week > row_before.deployments_per_week
    assert after.as_of >= before.as_of


def test_refresh_command_recomputes_stale_rollups_or_all_of_them(demo_org, db):
    from brightline.rollups.models import Rollup

    out = StringIO()
    call_command("rollups", "refresh", "--no-progress", stdout=out)
    assert "nothing to recompute" in out.getvalue()
    out = StringIO()
    call_command("rollups", "refresh", "--all", "--json", "--no-progress", stdout=out)
    report = json.loads(out.getvalue())
    assert report["computed"] == Rollup.objects.count() > 3
    Rollup.objects.filter(kind="leadership.cycle").update(stale=True)
    stale = Rollup.objects.filter(stale=True).count()
    out = StringIO()
    call_command("rollups", "refresh", "--no-progress", stdout=out)
    assert f"Recomputed {stale} rollups" in out.getvalue()
    assert not Rollup.objects.filter(stale=True).exists()


def test_a_stored_value_never_names_code_outside_the_project():
    from brightline.rollups import codec

    with pytest.raises(ValueError):
        codec.loads('{"@c": "os:system", "f": {}}')
    with pytest.raises(TypeError):
        codec.dumps(object())


@pytest.mark.django_db
def test_a_value_written_by_an_earlier_version_of_the_code_is_computed_again():
    from brightline.governance import leadership
    from brightline.rollups.models import Rollup
    from brightline.rollups.services import read_one

    first = read_one(leadership.ORGANISATION_ROLLUP, "5")
    row = Rollup.objects.get(kind=leadership.ORGANISATION_ROLLUP)
    old = json.loads(row.value)
    del old["f"]["clarity"]  # as stored before the figures had clarity answers
    Rollup.objects.filter(pk=row.pk).update(value=json.dumps(old), computed_at=timezone.now())
    again = read_one(leadership.ORGANISATION_ROLLUP, "5")
    assert again.value == first.value and again.as_of > first.as_of


def _leadership_queries(org: GeneratedOrg) -> int:
    from brightline.evidence.models import Service
    from brightline.rollups.services import refresh

    for team in {person.team for person in [*org.engineers, *org.managers] if person.team is not None}:
        Service.objects.get_or_create(name=f"svc-{team.slug}", defaults={"team": team})
    refresh(everything=True)
    browser = Client()
    browser.force_login(org.leader.user)
    counts = []
    for url in ("/governance/leadership/", "/governance/system-health/"):
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(url).status_code == 200
        counts.append(len(queries))
    return max(counts)


@pytest.mark.django_db
def test_the_rollup_pages_need_no_more_queries_for_a_larger_organisation(organisation, ladder):
    org = GeneratedOrg(organisation, ladder).grow(30)
    small = _leadership_queries(org)
    large = _leadership_queries(org.grow(300))
    assert large <= small + 1 and large <= 30, (small, large)


# A page that needs slow figures nobody has computed yet (years of history imported, no `rollups refresh --all`)
# answers at once with a sentence saying they are coming, and the organisation gets one background computation
# however many requests ask; once it has run, the page shows the figures.

MESSAGE = "These figures are being computed"


@pytest.fixture
def large(settings):
    """The 30-person demo counted as a large organisation: a slow rollup is never computed inside a request."""
    from brightline.rollups.models import Rollup

    settings.BRIGHTLINE_ROLLUPS_IN_REQUEST_PEOPLE = 5
    Rollup.objects.all().delete()


def _refresh_runs():
    from brightline.jobs.models import JobRun

    return list(JobRun.objects.filter(name="rollups.refresh").order_by("pk"))


def test_missing_figures_answer_at_once_and_queue_one_computation(demo_org, db, large, client_for,
                                                                 django_capture_on_commit_callbacks):
    from brightline.jobs.models import JobRun
    from brightline.jobs.services import execute
    from brightline.rollups.models import Rollup
    from brightline.rollups.registry import sources

    browser = client_for(_leader())
    with django_capture_on_commit_callbacks() as started:
        pages = [browser.get("/governance/leadership/") for _ in range(3)]
        api = browser.get("/api/governance/leadership")
    for page in pages:
        assert page.status_code == 200
        assert MESSAGE in page.content.decode()
        assert "Executive brief" not in page.content.decode()
    assert api.status_code == 503 and api["Retry-After"] and "being computed" in api.json()["detail"]
    runs = _refresh_runs()
    assert len(runs) == 1 and runs[0].status == JobRun.Status.QUEUED and runs[0].arguments["missing"] is True
    # The background start waits for the commit; in this test's transaction nothing commits, so the test runs the
    # queued job itself (the thread would run the same function).
    assert len(started) == 1
    slow = [kind for kind, source in sources().items() if source.slow]
    assert not Rollup.objects.filter(kind__in=slow).exists()  # nothing slow was computed inside a request
    assert execute(runs[0].pk).status == JobRun.Status.SUCCEEDED
    page = browser.get("/governance/leadership/").content.decode()
    assert MESSAGE not in page and "Executive brief" in page and "Figures as of" in page
    assert len(_refresh_runs()) == 1
    # Every declared rollup was computed by that one job, so the other aggregate pages answer with figures too.
    assert MESSAGE not in browser.get("/governance/system-health/").content.decode()


def test_a_small_organisation_computes_a_missing_rollup_on_the_first_read(demo_org, db, client_for):
    from brightline.rollups.models import Rollup

    Rollup.objects.all().delete()
    page = client_for(_leader()).get("/governance/leadership/").content.decode()
    assert "Executive brief" in page and MESSAGE not in page
    assert _refresh_runs() == [] and Rollup.objects.exists()


def test_the_people_partners_home_says_the_chains_are_being_checked(demo_org, db, large, client_for):
    from brightline.people.models import Person

    partner = Person.objects.select_related("user").get(user__username="pia")
    browser = client_for(partner)
    for _ in range(2):
        page = browser.get("/").content.decode()
        assert "have not been checked yet" in page
        assert "The audit trail verifies" not in page
    assert len(_refresh_runs()) == 1


def test_a_failed_computation_is_not_queued_again_on_every_request(demo_org, db, large, client_for):
    from django.utils import timezone

    from brightline.jobs.models import JobRun

    browser = client_for(_leader())
    browser.get("/governance/leadership/")
    (run,) = _refresh_runs()
    JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.FAILED, finished_at=timezone.now())
    assert MESSAGE in browser.get("/governance/leadership/").content.decode()
    assert len(_refresh_runs()) == 1
