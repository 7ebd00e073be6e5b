"""A page that needs slow figures nobody has computed yet (years of history imported, no ``rollups refresh --all``)
answers at once with a sentence saying they are coming, and the organisation gets one background computation
however many requests ask; once it has run, the page shows the figures."""

from __future__ import annotations

import pytest

from tests.demo_helpers import demo_from, demo_transaction, reset_sequences

MESSAGE = "These figures are being computed"


@pytest.fixture(scope="module")
def demo_org(django_db_setup, django_db_blocker, demo_snapshot):
    with demo_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            reset_sequences()
            demo_from(demo_snapshot)
        yield


@pytest.fixture
def large(settings):
    """The 30-person demo counted as a large organisation: a slow rollup is never computed inside a request."""
    from brightline.rollups.models import Rollup

    settings.BRIGHTLINE_ROLLUPS_IN_REQUEST_PEOPLE = 5
    Rollup.objects.all().delete()


def _leader():
    from brightline.people.models import Person

    return Person.objects.select_related("user").get(user__username="lee")


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

