"""GitHub and GitLab ingestion against a local HTTP server replaying recorded API responses.

These services cannot be reached from here; the replay server answers exactly the requests the
recordings hold (real v3/v4 field names, Link and X-Next-Page headers) and 404 for anything else.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from brightline.evidence.models import CodeReview, Deployment, EvidenceItem, Incident, PullRequest, Service, SyncCursor
from brightline.evidence.sources.base import ERR_SOURCE_NOT_ALLOWED, SourceNotAllowed
from brightline.evidence.sources.github import sync_github
from brightline.evidence.sources.gitlab import sync_gitlab
from brightline.evidence.sources.http import RateLimited
from brightline.people.models import Identity
from brightline.policy.services import get_policy
from tests.conftest import audit_actions

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class Replay:
    """Serves recordings; ``interrupt[path] = [(status, headers), …]`` answers those first."""

    def __init__(self, recording: Path):
        self.recordings = json.loads(recording.read_text())["recordings"]
        self.interrupt: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.seen: list[str] = []
        self.headers_seen: list[dict[str, str]] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                replay.seen.append(self.path)
                replay.headers_seen.append(dict(self.headers))
                pending = replay.interrupt.get(self.path)
                if pending:
                    status, headers = pending.pop(0)
                    self._answer(status, headers, b'{"message": "API rate limit exceeded"}')
                    return
                for recording in replay.recordings:
                    if recording["request"] == f"GET {self.path}":
                        headers = {k: v.replace("{base}", replay.url) for k, v in recording["headers"].items()}
                        self._answer(recording["status"], headers, json.dumps(recording["body"]).encode())
                        return
                self._answer(404, {"Content-Type": "application/json"}, b'{"message": "Not Found"}')

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Replay:
        self.thread.start()
        return self

    def __exit__(self, *args: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def github() -> Iterator[Replay]:
    with Replay(FIXTURES / "github" / "payments-api.json") as replay:
        yield replay


@pytest.fixture
def gitlab() -> Iterator[Replay]:
    with Replay(FIXTURES / "gitlab" / "checkout-web.json") as replay:
        yield replay


@pytest.fixture
def payments(personas) -> Service:
    Identity.objects.create(person=personas.erin, kind="github", value="Erin-O")
    Identity.objects.create(person=personas.pat, kind="github", value="pat-n")
    Identity.objects.create(person=personas.erin, kind="gitlab", value="erin.o")
    return Service.objects.create(name="payments-api", team=personas.erin.team)


@pytest.mark.django_db
def test_github_pull_requests_follow_pagination_and_record_review_times(github, payments, personas):
    result = sync_github(payments, repo="acme/payments-api", api_url=github.url, token="ghp_test")
    assert result.complete and result.pull_requests == 3
    assert any("page=2" in path for path in github.seen)
    assert github.headers_seen[0]["Authorization"] == "Bearer ghp_test"
    pr = PullRequest.objects.get(number=42)
    assert pr.person == personas.erin and pr.state == "merged"
    assert pr.first_commit_at.isoformat() == "2026-02-27T16:45:00+00:00"
    assert pr.first_review_at.isoformat() == "2026-03-02T15:00:00+00:00"  # the author's own comment is no review
    assert (pr.approvals, pr.approved_at.isoformat()) == (2, "2026-03-04T09:00:00+00:00")
    assert CodeReview.objects.filter(pull_request=pr).count() == 4
    assert EvidenceItem.objects.filter(kind="merged_change", person=personas.erin, source="github").count() == 1
    assert EvidenceItem.objects.filter(kind="code_review", person=personas.pat).count() == 2


@pytest.mark.django_db
def test_github_releases_deployments_and_incident_issues(github, payments):
    sync_github(payments, repo="acme/payments-api", api_url=github.url, token="")
    assert sorted(Deployment.objects.filter(environment="release").values_list("version", flat=True)) == \
        ["v2.3.1", "v2.4.0"]  # the release candidate is a pre-release
    production = {d.external_id: d for d in Deployment.objects.filter(environment="production")}
    assert production["acme/payments-api/deployments/7003"].status == "success"
    assert production["acme/payments-api/deployments/7003"].deployed_at.isoformat() == "2026-03-04T16:52:00+00:00"
    assert production["acme/payments-api/deployments/7001"].status == "failure"  # inactive only means replaced
    incident = Incident.objects.get()  # the pull request listed by the issues endpoint is skipped
    assert (incident.severity, incident.resolved_at.isoformat()) == ("2", "2026-02-24T14:30:00+00:00")
    # the only earlier production deployment (7001) failed and never went live: nothing to attribute to
    assert incident.attribution == "none" and incident.attribution_rule.startswith("No production deployment")
    assert "evidence.github.synced" in audit_actions()


@pytest.mark.django_db
def test_a_second_github_sync_reads_only_what_changed(github, payments):
    sync_github(payments, repo="acme/payments-api", api_url=github.url, token="")
    github.seen.clear()
    result = sync_github(payments, repo="acme/payments-api", api_url=github.url, token="")
    assert result.pull_requests == 0
    assert not any("/pulls/" in path for path in github.seen)  # no per-PR calls: the first page was old
    assert PullRequest.objects.count() == 3 and CodeReview.objects.count() == 5


@pytest.mark.django_db
def test_a_short_rate_limit_is_waited_out(github, payments):
    first_page = "/repos/acme/payments-api/pulls?state=all&sort=updated&direction=desc&per_page=100"
    github.interrupt[first_page] = [(429, {"Retry-After": "7"})]
    waits: list[float] = []
    result = sync_github(payments, repo="acme/payments-api", api_url=github.url, token="", sleep=waits.append)
    assert waits == [7.0] and result.complete and result.pull_requests == 3


@pytest.mark.django_db
def test_a_long_rate_limit_stops_resumably_and_the_next_run_completes(github, payments):
    second_page = "/repos/acme/payments-api/pulls?state=all&sort=updated&direction=desc&per_page=100&page=2"
    github.interrupt[second_page] = [(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2000003600"})]
    stopped = sync_github(payments, repo="acme/payments-api", api_url=github.url, token="", now=lambda: 2000000000.0,
                          sleep=lambda seconds: pytest.fail("must not sleep an hour"))
    assert not stopped.complete and "run the same command again" in stopped.message
    cursor = SyncCursor.objects.get(source="github")
    assert not cursor.complete and cursor.position["resume"]["url"].endswith("page=2")
    assert PullRequest.objects.count() == 2
    resumed = sync_github(payments, repo="acme/payments-api", api_url=github.url, token="")
    assert resumed.complete and PullRequest.objects.count() == 3
    assert github.seen.count(second_page) == 2
    cursor.refresh_from_db()
    assert cursor.complete and cursor.position["since"]["pull_requests"] == "2026-03-04T16:20:11Z"
    with pytest.raises(RateLimited):
        from brightline.evidence.sources.http import Fetcher, UrllibClient

        github.interrupt[second_page] = [(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2000003600"})]
        Fetcher(UrllibClient(), {}, "GitHub", now=lambda: 2000000000.0).get(github.url + second_page)


@pytest.mark.django_db
def test_gitlab_merge_requests_notes_and_deployments(gitlab, payments, personas):
    checkout = Service.objects.create(name="checkout-web")
    result = sync_gitlab(checkout, project="acme/checkout-web", api_url=f"{gitlab.url}/api/v4", token="glpat-test")
    assert result.complete and result.pull_requests == 2
    assert gitlab.headers_seen[0]["Private-Token"] == "glpat-test"
    assert any("page=2" in path for path in gitlab.seen)
    mr = PullRequest.objects.get(number=7)
    assert (mr.person, mr.state) == (personas.erin, "merged")
    assert mr.first_commit_at.isoformat() == "2026-02-27T15:00:00+00:00"
    assert mr.first_review_at.isoformat() == "2026-03-01T10:00:00+00:00"
    assert (mr.approvals, mr.approved_at.isoformat()) == (2, "2026-03-02T09:00:00+00:00")
    statuses = dict(Deployment.objects.filter(environment="production").values_list("external_id", "status"))
    assert statuses == {"acme/checkout-web/deployments/301": "failure", "acme/checkout-web/deployments/302": "success"}
    incident = Incident.objects.get()
    assert incident.severity == "2" and incident.resolved_at.isoformat() == "2026-03-02T17:10:00+00:00"
    assert Deployment.objects.get(environment="release").version == "v5.1.0"


@pytest.mark.django_db
def test_gitlab_rate_limit_headers_are_understood(gitlab, payments):
    checkout = Service.objects.create(name="checkout-web")
    first = "/api/v4/projects/acme%2Fcheckout-web/merge_requests?state=all&order_by=updated_at&sort=asc&per_page=100"
    gitlab.interrupt[first] = [(429, {"RateLimit-Remaining": "0", "RateLimit-Reset": "2000000005"})]
    waits: list[float] = []
    result = sync_gitlab(checkout, project="acme/checkout-web", api_url=f"{gitlab.url}/api/v4", token="",
                         sleep=waits.append, now=lambda: 2000000000.0)
    assert waits == [6.0] and result.complete


@pytest.mark.django_db
def test_platform_sync_is_refused_when_the_policy_allows_none_of_its_data(github, payments):
    policy = get_policy()
    policy.allowed_sources = ["hris_people"]
    policy.save()
    with pytest.raises(SourceNotAllowed) as error:
        sync_github(payments, repo="acme/payments-api", api_url=github.url, token="")
    assert str(error.value) == ERR_SOURCE_NOT_ALLOWED.format(key="code_review")
    assert github.seen == []


@pytest.mark.django_db
def test_stages_the_policy_does_not_allow_are_skipped_and_said(github, payments):
    policy = get_policy()
    policy.allowed_sources = [key for key in policy.allowed_sources if key != "incidents"]
    policy.save()
    result = sync_github(payments, repo="acme/payments-api", api_url=github.url, token="")
    assert result.skipped == ["incidents (policy does not allow 'incidents')"]
    assert not Incident.objects.exists() and not any("/issues" in path for path in github.seen)


@pytest.mark.django_db
def test_the_token_comes_from_a_file(github, payments, tmp_path, monkeypatch):
    secret = tmp_path / "token"
    secret.write_text("ghp_from_file\n")
    monkeypatch.setenv("GITHUB_TOKEN_FILE", str(secret))
    sync_github(payments, repo="acme/payments-api", api_url=github.url)
    assert github.headers_seen[0]["Authorization"] == "Bearer ghp_from_file"


@pytest.mark.django_db
def test_a_sync_into_a_history_attributes_only_what_it_touched_and_equals_attributing_every_row(
        github, payments, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from brightline.evidence import metrics
    from tests.test_evidence_events_attribution import full_attribution, observe_attribution_reads, stored

    # A month of deployments every six hours (none from 4 to 6 March) and incidents among them, some of which the
    # synced rows move: one after deployment 7003 (16:52 on 4 March), one after the v2.4.0 release, one naming
    # 7003's sha as its root cause, one declared on a deployment of the history.
    start = datetime(2026, 2, 1, tzinfo=UTC)
    gap = (datetime(2026, 3, 4, 10, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC))
    moments = [start + timedelta(hours=6 * n) for n in range(160)]
    history = Deployment.objects.bulk_create(
        Deployment(service=payments, environment="production", version=f"v1.{n}", sha=f"{n:040x}",
                   status="success", deployed_at=moment, source="events", external_id=f"h{n}")
        for n, moment in enumerate(moments) if not gap[0] <= moment < gap[1])
    opened = [start + timedelta(hours=9 * n + 2) for n in range(60)]
    Incident.objects.bulk_create(
        [Incident(service=payments, title=f"Outage {n}", opened_at=moment, source="events", external_id=f"i{n}")
         for n, moment in enumerate(opened)]
        + [Incident(service=payments, title="After 7003", opened_at=datetime(2026, 3, 4, 18, tzinfo=UTC),
                    source="events", external_id="after-7003"),
           Incident(service=payments, title="After the release", opened_at=datetime(2026, 3, 5, 11, tzinfo=UTC),
                    source="events", external_id="after-release"),
           Incident(service=payments, title="Named sha", opened_at=datetime(2026, 3, 7, tzinfo=UTC),
                    root_cause_sha="4242" + "a" * 36, source="events", external_id="named-sha"),
           Incident(service=payments, title="Declared", opened_at=datetime(2026, 3, 5, 12, tzinfo=UTC),
                    linked_deployment=history[3], source="events", external_id="declared")])
    metrics.update_incident_attribution([payments])
    before = stored()
    assert before == full_attribution()

    read = observe_attribution_reads(monkeypatch)
    result = sync_github(payments, repo="acme/payments-api", api_url=github.url, token="")
    after = stored()
    assert after == full_attribution()
    github_7003 = Deployment.objects.get(external_id="acme/payments-api/deployments/7003")
    assert (after[Incident.objects.get(external_id="after-7003").pk] == (github_7003.pk, "inferred")
            and after[Incident.objects.get(external_id="named-sha").pk] == (github_7003.pk, "root_cause"))
    assert after[Incident.objects.get(external_id="declared").pk] == (history[3].pk, "declared")
    assert {pk for pk in after if before.get(pk) != after[pk]} and result.touched_deployments
    # a few of the service's deployments and incidents were read to get there, not its whole history
    (deployments_read, incidents_read), = read
    assert deployments_read < Deployment.objects.count() / 3 and incidents_read < Incident.objects.count() / 3

    # the same answers again change nothing, and attribution reads nothing
    read.clear()
    again = sync_github(payments, repo="acme/payments-api", api_url=github.url, token="")
    assert again.deployments and not again.touched_deployments and not again.touched_incidents and not read
    assert stored() == after
