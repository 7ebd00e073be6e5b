"""A service told about its releases twice — release tags in git and deployment events from ``import events`` —
has one set of deployments: the events. Its tags stay release points (commits still know their first release),
whichever of the two was read first; ``metrics dora`` and the team's delivery page count each release once.

The shape is a first-time tester's move-in: five tagged releases and the same five as deployment events, one of
which caused an incident.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from brightline.evidence.models import CommitRecord, Deployment, Service
from tests.test_evidence_ingest_git import commit, git, ingest

SERVICE = "checkout-api"
VERSIONS = ("v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0", "v1.4.0")
FAILED = "v1.2.0"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _release_days() -> list[datetime]:
    """Five release moments over the last five weeks (inside every default window of the pages)."""
    today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    return [today - timedelta(days=35 - 7 * index) for index in range(len(VERSIONS))]


def build_repository(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A real repository: two commits per release, each release tagged an hour after its last commit."""
    repo = tmp_path / "checkout"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shas: dict[str, str] = {}
    for number, (version, moment) in enumerate(zip(VERSIONS, _release_days(), strict=True)):
        commit(repo, "app.py", f"step = {number}\n", f"Work for {version}",
               date=_stamp(moment - timedelta(hours=5)))
        shas[version] = commit(repo, "notes.md", f"{version}\n", f"Notes for {version}",
                               date=_stamp(moment - timedelta(hours=2)))
        git(repo, "tag", "-a", version, "-m", f"release {version}", date=_stamp(moment - timedelta(hours=1)))
    return repo, shas


def write_events(tmp_path: Path, shas: dict[str, str]) -> Path:
    """The same five releases as deployment events (at the time they went out), and an incident one caused."""
    lines = ["type,id,service,environment,version,sha,status,deployed_at,opened_at,resolved_at,severity,title,"
             "linked_deployment"]
    for version, moment in zip(VERSIONS, _release_days(), strict=True):
        lines.append(f"deployment,deploy-{version},{SERVICE},production,{version},{shas[version][:12]},success,"
                     f"{_stamp(moment)},,,,,")
    failed_at = _release_days()[VERSIONS.index(FAILED)]
    lines.append(f"incident,inc-1,{SERVICE},,,,,,{_stamp(failed_at + timedelta(hours=2))},"
                 f"{_stamp(failed_at + timedelta(hours=4))},sev2,Checkout errors,deploy-{FAILED}")
    path = tmp_path / "events.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def import_events(path: Path) -> dict:
    out = StringIO()
    call_command("import", "events", str(path), "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def dora_figures() -> dict:
    days = _release_days()
    out = StringIO()
    call_command("metrics", "dora", "--service", SERVICE, "--since", f"{days[0] - timedelta(days=1):%Y-%m-%d}",
                 "--until", f"{days[-1] + timedelta(days=1):%Y-%m-%d}", "--json", stdout=out)
    return json.loads(out.getvalue())


def page_figures(browser) -> tuple[int, int]:
    """Deployments and the change-fail percentage as the team's delivery page states them."""
    html = browser.get("/evidence/teams/payments/").content.decode()
    deployments = re.search(r"<td>(\d+) to production", html)
    failed = re.search(r"<td>(\d+) % of deployments failed", html)
    assert deployments and failed, "the page states both figures"
    return int(deployments.group(1)), int(failed.group(1))


def assert_one_set_of_deployments(shas: dict[str, str]) -> None:
    stored = list(Deployment.objects.filter(service__name=SERVICE).values_list("source", "version"))
    assert sorted(stored) == sorted(("events", version) for version in VERSIONS)
    # The tags still place the commits: each commit's first release is the event deployment of its tag.
    first = dict(CommitRecord.objects.filter(sha__in=list(shas.values()))
                 .values_list("sha", "first_release__version"))
    assert first == {sha: version for version, sha in shas.items()}


@pytest.fixture
def checkout(personas) -> Service:
    return Service.objects.create(name=SERVICE, team=personas.mo.team)


@pytest.mark.django_db
def test_events_imported_after_the_tags_replace_the_tag_deployments_and_the_page_follows(
        tmp_path, checkout, personas, client_for, django_capture_on_commit_callbacks):
    repo, shas = build_repository(tmp_path)
    assert ingest(repo, "--service", SERVICE)["releases"] == 5
    assert Deployment.objects.filter(service=checkout, source="git").count() == 5
    browser = client_for(personas.mo)
    assert page_figures(browser) == (5, 0)  # the tags alone: five releases, nothing known to have failed

    with django_capture_on_commit_callbacks(execute=True):  # the refresh of the stored figures runs after commit
        result = import_events(write_events(tmp_path, shas))
    assert result["deployments"] == 5

    assert_one_set_of_deployments(shas)
    figures = dora_figures()
    assert figures["deployments"] == 5 and figures["change_fail_rate"] == pytest.approx(0.2)
    assert page_figures(browser) == (5, 20)

    # A later sync of the same repository keeps the tags out of the deployments and reports them as releases.
    assert ingest(repo, "--service", SERVICE)["releases"] == 5
    assert_one_set_of_deployments(shas)
    assert dora_figures()["deployments"] == 5


@pytest.mark.django_db
def test_tags_read_after_the_events_are_not_saved_as_deployments(tmp_path, checkout, personas, client_for):
    repo, shas = build_repository(tmp_path)
    assert import_events(write_events(tmp_path, shas))["deployments"] == 5
    assert ingest(repo, "--service", SERVICE)["releases"] == 5

    assert_one_set_of_deployments(shas)
    figures = dora_figures()
    assert figures["deployments"] == 5 and figures["change_fail_rate"] == pytest.approx(0.2)
    assert page_figures(client_for(personas.mo)) == (5, 20)


@pytest.mark.django_db
def test_events_of_another_environment_leave_the_tags_as_the_deployments(tmp_path, checkout):
    repo, shas = build_repository(tmp_path)
    ingest(repo, "--service", SERVICE)
    staging = tmp_path / "staging.csv"
    staging.write_text("type,id,service,environment,version,sha,status,deployed_at\n"
                       f"deployment,stage-1,{SERVICE},staging,v1.4.0,{shas['v1.4.0']},success,"
                       f"{_stamp(_release_days()[-1] - timedelta(minutes=30))}\n")
    import_events(staging)
    assert Deployment.objects.filter(service=checkout, source="git").count() == 5
    assert dora_figures()["deployments"] == 5
