"""Periodic work: due once per slot, once after downtime, never twice at once; the same registry for beat."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from brightline.jobs.models import JobRun, ScheduleState
from brightline.jobs.scheduler import GIVEN_UP, run_due_schedules, schedule_statuses
from brightline.jobs.schedules import get_schedules, register_schedule, unregister_schedule
from brightline.jobs.services import Progress, job

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


@job("tests.reenter_scheduler")
def reenter_scheduler(progress: Progress, *, schedule: str) -> dict[str, int]:
    """While this run holds its schedule, ask the scheduler again, an hour (a slot) later, to start it again."""
    later = datetime.now(UTC) + timedelta(hours=1)
    return {"started_inside": len(run_due_schedules(now=later, names=[schedule]))}


@pytest.fixture
def ping_daily():
    register_schedule("test-ping", job="jobs.ping", cadence="daily at 03:30", description="ping", steps=2)
    yield "test-ping"
    unregister_schedule("test-ping")


def runs_of(name: str) -> list[JobRun]:
    return list(JobRun.objects.filter(name=name).order_by("pk"))


def test_the_product_schedules_are_declared_by_job_name():
    schedules = get_schedules()
    assert {name: (schedule.job, str(schedule.cadence)) for name, schedule in schedules.items()} == {
        "evidence-sync": ("evidence.sync_sources", "hourly at :15"),
        "audit-checkpoint": ("audit.checkpoint", "hourly at :45"),
        "audit-verify": ("rollups.refresh", "hourly at :40"),
        "insights-nightly": ("insights.run", "daily at 02:00"),
        "retention-purge": ("policy.purge_expired_data", "daily at 03:30"),
        "narrative-drafts": ("feedback.draft_impact_statements", "fortnightly on monday at 05:00"),
        "notifications-immediate": ("notifications.send", "hourly at :05"),
        "promotions-escalate": ("promotions.escalate", "daily at 07:00"),
        "rollups-refresh": ("rollups.refresh", "daily at 01:30"),
        "rollups-stale": ("rollups.refresh", "hourly at :25"),
    }


@pytest.mark.django_db
def test_a_schedule_first_seen_waits_for_its_next_slot_then_runs_once(ping_daily, time_machine, settings):
    settings.BRIGHTLINE_JOBS = "inline"
    time_machine.move_to(T0)
    assert run_due_schedules(names=[ping_daily]) == []  # 08:00: today's 03:30 passed before we knew it
    time_machine.move_to(T0.replace(hour=20))
    assert run_due_schedules(names=[ping_daily]) == []
    time_machine.move_to(datetime(2026, 3, 3, 3, 30, tzinfo=UTC))
    [run] = run_due_schedules(names=[ping_daily])
    run.refresh_from_db()
    assert (run.status, run.result) == (JobRun.Status.SUCCEEDED, {"steps": 2})
    assert run_due_schedules(names=[ping_daily]) == []  # same slot: not again
    state = ScheduleState.objects.get(name=ping_daily)
    assert (state.last_slot, state.busy_until, state.run_id) == (datetime(2026, 3, 3, 3, 30, tzinfo=UTC), None, run.pk)


@pytest.mark.django_db
def test_after_five_days_of_downtime_a_daily_schedule_runs_once_not_five_times(ping_daily, time_machine, settings):
    settings.BRIGHTLINE_JOBS = "inline"
    time_machine.move_to(T0)
    run_due_schedules(names=[ping_daily])
    time_machine.move_to(T0 + timedelta(days=5, hours=2))
    assert len(run_due_schedules(names=[ping_daily])) == 1
    for hours in (0, 1, 12):
        time_machine.move_to(T0 + timedelta(days=5, hours=2 + hours))
        assert run_due_schedules(names=[ping_daily]) == []
    assert len(runs_of("jobs.ping")) == 1
    assert ScheduleState.objects.get(name=ping_daily).last_slot == datetime(2026, 3, 7, 3, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_a_schedule_never_runs_twice_at_once(time_machine):
    register_schedule("test-reenter", job="tests.reenter_scheduler", cadence="hourly at :00", description="re-enter",
                      schedule="test-reenter")
    try:
        time_machine.move_to(T0)
        run_due_schedules(names=["test-reenter"])
        time_machine.move_to(T0 + timedelta(hours=1))
        [run] = run_due_schedules(names=["test-reenter"])
        run.refresh_from_db()
        # Inside the run, a slot later, the schedule was due but held: nothing started.
        assert run.status == JobRun.Status.SUCCEEDED and run.result == {"started_inside": 0}
        assert len(runs_of("tests.reenter_scheduler")) == 1
        # Once the run has ended the schedule is free again.
        assert ScheduleState.objects.get(name="test-reenter").busy_until is None
    finally:
        unregister_schedule("test-reenter")


@pytest.mark.django_db
def test_a_run_whose_process_died_is_given_up_after_the_timeout_and_started_again(ping_daily, time_machine):
    time_machine.move_to(T0)
    run_due_schedules(names=[ping_daily])
    held: list[JobRun] = []
    # Queued but never executed: what a scheduler process killed right after starting a job leaves.
    time_machine.move_to(datetime(2026, 3, 3, 3, 30, tzinfo=UTC))
    run_due_schedules(names=[ping_daily], dispatch=held.append)
    [lost] = held
    time_machine.move_to(datetime(2026, 3, 3, 9, 29, tzinfo=UTC))
    assert run_due_schedules(names=[ping_daily]) == []
    assert ScheduleState.objects.get(name=ping_daily).busy_until == datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    time_machine.move_to(datetime(2026, 3, 4, 3, 30, tzinfo=UTC))
    [again] = run_due_schedules(names=[ping_daily])
    lost.refresh_from_db()
    again.refresh_from_db()
    assert lost.status == JobRun.Status.FAILED and lost.error == GIVEN_UP.format(timeout=timedelta(hours=6))
    assert again.status == JobRun.Status.SUCCEEDED


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_frees_its_schedule_and_the_others_still_run(time_machine, settings):
    settings.BRIGHTLINE_JOBS = "inline"
    register_schedule("test-fail", job="jobs.ping", cadence="hourly at :00", description="fails", fail=True)
    register_schedule("test-ok", job="jobs.ping", cadence="hourly at :00", description="works", steps=1)
    try:
        time_machine.move_to(T0)
        run_due_schedules(names=["test-fail", "test-ok"])
        time_machine.move_to(T0 + timedelta(hours=1))
        failed, succeeded = run_due_schedules(names=["test-fail", "test-ok"])
        failed.refresh_from_db()
        succeeded.refresh_from_db()
        # The run shows a plain sentence; the exception itself stays in the server log.
        assert failed.status == JobRun.Status.FAILED and "unexpected error" in failed.error
        assert "asked to fail" not in failed.error
        assert succeeded.status == JobRun.Status.SUCCEEDED
        assert not ScheduleState.objects.filter(busy_until__isnull=False).exists()
        status = {item.name: item.to_json() for item in schedule_statuses()}
        assert status["test-fail"]["last_run"]["failed"] is True
    finally:
        unregister_schedule("test-fail")
        unregister_schedule("test-ok")


@pytest.mark.django_db
def test_a_schedule_switched_off_in_the_environment_does_not_run(ping_daily, time_machine, settings):
    settings.BRIGHTLINE_SCHEDULES_OFF = frozenset({ping_daily})
    time_machine.move_to(T0)
    run_due_schedules(names=[ping_daily])
    time_machine.move_to(T0 + timedelta(days=3))
    assert run_due_schedules(names=[ping_daily]) == []
    [status] = [item for item in schedule_statuses() if item.name == ping_daily]
    assert (status.enabled, status.next_run, status.due) == (False, None, False)


@pytest.mark.django_db
def test_status_lists_every_schedule_with_its_last_and_next_run(ping_daily, time_machine, settings):
    settings.BRIGHTLINE_JOBS = "inline"
    time_machine.move_to(T0)
    call_command("scheduler", "run", "--once", stdout=StringIO())
    time_machine.move_to(datetime(2026, 3, 3, 3, 31, tzinfo=UTC))
    out = StringIO()
    call_command("scheduler", "run", "--once", stdout=out)
    # Due since 08:00 yesterday: audit-checkpoint, audit-verify and evidence-sync (hourly), insights-nightly
    # (02:00),
    # notifications-immediate and rollups-stale (hourly), rollups-refresh (01:30), retention-purge and test-ping
    # (03:30); narrative-drafts is fortnightly and its last slot was a week before.
    lines = out.getvalue().splitlines()
    assert [line[20:] for line in lines] == [f"{name}: succeeded" for name in
                                             ("audit-checkpoint", "audit-verify", "evidence-sync",
                                              "insights-nightly",
                                              "notifications-immediate", "retention-purge", "rollups-refresh",
                                              "rollups-stale", "test-ping")]
    assert all(line.startswith("2026-03-03 03:31:") for line in lines)
    out = StringIO()
    call_command("scheduler", "status", "--json", stdout=out)
    schedules = {item["name"]: item for item in json.loads(out.getvalue())["schedules"]}
    assert set(schedules) == {"audit-checkpoint", "audit-verify", "evidence-sync", "insights-nightly",
                              "narrative-drafts",
                              "notifications-immediate",
                              "promotions-escalate", "retention-purge", "rollups-refresh", "rollups-stale",
                              "test-ping"}
    ping = schedules["test-ping"]
    assert ping["last_run"]["status"] == "succeeded" and ping["last_slot"] == "2026-03-03T03:30:00+00:00"
    assert ping["next_run"] == "2026-03-04T03:30:00+00:00" and not ping["due"] and not ping["running"]
    assert schedules["narrative-drafts"]["last_run"] is None
    assert schedules["narrative-drafts"]["next_run"] == "2026-03-09T05:00:00+00:00"
    text = StringIO()
    call_command("scheduler", "status", stdout=text)
    [drafts] = [line for line in text.getvalue().splitlines() if line.startswith("narrative-drafts")]
    assert drafts.split()[-4:] == ["waiting", "never", "2026-03-09", "05:00"]


def test_celery_beat_schedule_is_built_from_the_registry():
    from celery.schedules import crontab

    from brightline.celery import CATCH_UP_SECONDS, beat_schedule

    entries = beat_schedule()
    assert entries["brightline.catch-up"] == {"task": "brightline.run_schedules", "schedule": CATCH_UP_SECONDS}
    assert entries["retention-purge"]["args"] == (["retention-purge"],)
    assert entries["retention-purge"]["schedule"] == crontab(minute="30", hour="3", day_of_week="*")
    assert entries["narrative-drafts"]["schedule"] == crontab(minute="0", hour="5", day_of_week="1")
    assert set(entries) == {"brightline.catch-up", *get_schedules()}


def _git(repo: Path, *args: str) -> None:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Ada",
           "GIT_AUTHOR_EMAIL": "ada@example.org", "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.org",
           "GIT_AUTHOR_DATE": "2026-03-01T10:00:00Z", "GIT_COMMITTER_DATE": "2026-03-01T10:00:00Z",
           "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.mark.django_db
def test_the_sync_job_brings_registered_repositories_up_to_date_and_names_the_one_that_failed(tmp_path, settings):
    from brightline.evidence.models import CommitRecord, Repository
    from brightline.evidence.services import ensure_service, register_repository
    from brightline.jobs.services import enqueue

    settings.BRIGHTLINE_JOBS = "inline"
    repo = tmp_path / "api"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    for number in range(3):
        (repo / "file.txt").write_text(f"{number}\n")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", f"change {number}")
    service = ensure_service(name="api", team_slug=None, release_tags=None, actor=None, actor_label="test")
    register_repository(service, path=str(repo), branch="HEAD", actor=None, actor_label="test")
    run = enqueue("evidence.sync_sources")
    assert run.result == {"sources": 1, "skipped": [],
                          "synced": [{"source": "git", "service": "api", "new_commits": 3}]}
    (repo / "file.txt").write_text("3\n")
    _git(repo, "commit", "-q", "-am", "change 3")
    broken = ensure_service(name="gone", team_slug=None, release_tags=None, actor=None, actor_label="test")
    Repository.objects.create(service=broken, path=str(tmp_path / "removed"))
    with pytest.raises(Exception, match=r"1 of 2 sources could not be synced: gone \(git\)"):
        enqueue("evidence.sync_sources")
    assert CommitRecord.objects.filter(repository__service=service).count() == 4  # the healthy one was still synced


@pytest.mark.django_db
def test_the_sync_job_passes_over_the_demo_repositories_instead_of_failing(settings):
    """`make run`'s demo registers repositories whose history it wrote itself: the hourly sync says it skipped
    them, and does not fail (the administrator's home would report a failed import on a fresh demo)."""
    from brightline.evidence.models import Repository
    from brightline.evidence.services import ensure_service
    from brightline.jobs.services import enqueue

    settings.BRIGHTLINE_JOBS = "inline"
    service = ensure_service(name="payments-api", team_slug=None, release_tags=None, actor=None, actor_label="test")
    Repository.objects.create(service=service, path="demo://payments-api", branch="main")
    run = enqueue("evidence.sync_sources")
    assert run.status == "succeeded" and run.result["synced"] == []
    assert run.result["skipped"] == ["payments-api (git): a demo repository, whose history the demo wrote; "
                                     "nothing to read"]


@pytest.mark.django_db
def test_the_sync_job_resyncs_github_and_gitlab_feeds_from_their_stored_address(personas, settings):
    from brightline.evidence.models import PullRequest, Service
    from brightline.evidence.sources.github import sync_github
    from brightline.evidence.sources.gitlab import sync_gitlab
    from brightline.jobs.services import enqueue
    from tests.test_evidence_platforms import FIXTURES, Replay

    settings.BRIGHTLINE_JOBS = "inline"
    payments = Service.objects.create(name="payments-api", team=personas.erin.team)
    checkout = Service.objects.create(name="checkout-web")
    with Replay(FIXTURES / "github" / "payments-api.json") as github, \
            Replay(FIXTURES / "gitlab" / "checkout-web.json") as gitlab:
        sync_github(payments, repo="acme/payments-api", api_url=github.url, token="")
        sync_gitlab(checkout, project="acme/checkout-web", api_url=f"{gitlab.url}/api/v4", token="")
        stored = PullRequest.objects.count()
        github.seen.clear()
        gitlab.seen.clear()
        # The recording has no page for GitLab's incremental query: that feed fails, is named, and the
        # GitHub feed is synced all the same.
        with pytest.raises(Exception, match=r"1 of 2 sources could not be synced: checkout-web \(gitlab\)"):
            enqueue("evidence.sync_sources")
        assert github.seen[0].startswith("/repos/acme/payments-api/pulls")  # the feed's own address, again
        assert gitlab.seen[0].startswith("/api/v4/projects/acme%2Fcheckout-web/merge_requests")
        assert "updated_after=" in gitlab.seen[0]  # from its cursor, not from the start
    assert PullRequest.objects.count() == stored  # incremental: nothing new, nothing doubled


@pytest.mark.django_db
def test_the_hourly_audit_checkpoint_signs_both_chains(personas):
    from brightline.audit.models import AuditCheckpoint
    from brightline.audit.services import record_access
    from brightline.jobs.services import enqueue

    record_access(personas.mo, personas.erin, "people.profile", via="web")
    before = AuditCheckpoint.objects.count()
    run = enqueue("audit.checkpoint")
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED
    assert {row["chain"] for row in run.result["checkpoints"]} == {"audit", "access"}
    assert AuditCheckpoint.objects.count() == before + 2
