"""The people partner's home: cycle progress per team, overdue actions, audit flags and failed imports, each
with a link the people partner may open; nobody else sees it."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
from django.utils import timezone

from brightline.jobs.models import JobRun
from brightline.reviews.models import Appeal, Phase
from tests.reviews_helpers import advance_to, open_payments_cycle


def test_the_partner_home_shows_progress_overdue_steps_audit_and_import_errors(personas, client_for):
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    review = cycle.reviews.get(person=personas.erin)
    appeal = Appeal.objects.create(review=review, context="The packet misses my incident work.",
                                   due_on=timezone.localdate() - dt.timedelta(days=3))
    failed = JobRun.objects.create(name="evidence.ingest_git", status=JobRun.Status.FAILED,
                                   error="The repository could not be read.", finished_at=timezone.now())
    pia = client_for(personas.pia)
    page = pia.get("/").content.decode()
    assert "Review cycles across teams" in page and "2026 H2" in page
    row = re.search(r"<th scope=\"row\">Payments</th>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r">(\d+)<", row) == [str(cycle.reviews.count()), "0", "0", "0"]
    assert f"{cycle.reviews.count()} self reviews not submitted" in page
    assert f"The appeal of {personas.erin.name} is waiting for a decision" in page
    assert "The audit trail verifies" in page and "The repository could not be read." in page
    links = set(re.findall(r'href="(/[^"]*)"', page))
    assert {f"/reviews/cycles/{cycle.pk}/", f"/reviews/appeals/{appeal.pk}/", f"/evidence/jobs/{failed.pk}/"} <= links
    for link in {link for link in links if not link.startswith("/static/")} - {"/accounts/logout/"}:
        assert pia.get(link).status_code == 200, link


def test_other_personas_do_not_see_the_partner_home(personas, client_for):
    JobRun.objects.create(name="evidence.ingest_git", status=JobRun.Status.FAILED, error="Could not read.")
    for persona in (personas.erin, personas.mo, personas.lee):
        page = client_for(persona).get("/").content.decode()
        assert "Import errors" not in page and "Review cycles across teams" not in page


def test_the_audit_flags_show_the_hourly_walk_of_both_chains_not_one_per_page_load(personas, client_for, settings):
    from django.db import connection

    from brightline.audit.models import AuditEntry
    from brightline.jobs.services import enqueue

    settings.BRIGHTLINE_JOBS = "inline"
    pia = client_for(personas.pia)
    page = pia.get("/").content.decode()
    assert re.search(r"The audit trail verifies: no entry was changed or removed\. \(checked \d+ \w+ \d{4}", page)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor_label = %s WHERE seq = %s",
                       ["someone else", AuditEntry.objects.order_by("seq").values_list("seq", flat=True).first()])
    assert "The audit trail verifies" in pia.get("/").content.decode()  # the page does not walk the chain
    assert "The audit trail is broken at entry" in pia.get("/audit/").content.decode()  # the trail's own page walks it
    enqueue("rollups.refresh", everything=True, kinds=["audit-verification"])  # what the hourly schedule runs
    assert "The audit trail does not verify: an entry was changed or removed." in pia.get("/").content.decode()


@pytest.mark.parametrize("phase", [Phase.SELF_REVIEW, Phase.MANAGER_ASSESSMENT, Phase.ACKNOWLEDGEMENT])
def test_the_home_lists_the_teams_furthest_behind_on_the_current_step_first_and_says_how_many_more(organisation,
                                                                                                 phase):
    """The database counts and orders the teams; the result equals sorting every team's counts in Python."""
    from brightline.dashboards.partner import HOME_TEAMS, open_cycle_overviews, step_done
    from brightline.people.models import Person, Team
    from brightline.reviews.models import Review, ReviewCycle

    now = timezone.now()
    cycle = ReviewCycle.objects.create(name="2027 H1", phase=phase)
    ReviewCycle.objects.create(name="Closed", phase=Phase.CLOSED)
    expected: dict[str, list[int]] = {}
    # Names that a database collation and Python order differently ("b" < "B" in some collations, not in Python).
    names = [f"{prefix} {n}" for n in range(6) for prefix in ("team", "Team", "Équipe")] + [None]
    for index, name in enumerate(names):
        team = Team.objects.create(organisation=organisation, slug=f"t{index}", name=name) if name else None
        people = 1 + index % 4
        for number in range(people):
            person = Person.objects.create(organisation=organisation, employee_id=f"E{index}-{number}",
                                           name=f"P{index}-{number}", email=f"p{index}-{number}@example.org",
                                           team=team)
            done = [number < index % 3, number < index % 5 - 1, number < index % 2]
            Review.objects.create(cycle=cycle, person=person, team=team,
                                  self_review_submitted_at=now if done[0] else None,
                                  assessment_submitted_at=now if done[1] else None,
                                  acknowledged_at=now if done[2] else None)
            counts = expected.setdefault(name or "No team", [0, 0, 0, 0])
            counts[0] += 1
            counts[1:] = [count + int(flag) for count, flag in zip(counts[1:], done, strict=True)]
    (overview,) = open_cycle_overviews()
    column = 1 + ["self_reviews", "assessments", "acknowledged"].index(step_done(phase))
    ordered = sorted(expected.items(), key=lambda item: (item[1][column] / item[1][0], item[0]))
    assert [(row.team, row.people, row.self_reviews, row.assessments, row.acknowledged)
            for row in overview.behind_first()] == [(team, *counts) for team, counts in ordered[:HOME_TEAMS]]
    assert overview.team_count == len(names) and overview.more_teams == len(names) - HOME_TEAMS
    totals = [sum(counts[at] for counts in expected.values()) for at in range(4)]
    assert [overview.total.people, overview.total.self_reviews, overview.total.assessments,
            overview.total.acknowledged] == totals
    if phase == Phase.MANAGER_ASSESSMENT:
        assert overview.progress() == f"{totals[2]} of {totals[0]} assessments in"
        assert overview.missed() == [f"{totals[0] - totals[1]} of {totals[0]} self reviews were not submitted "
                                     "before the self-review step closed."]


def test_the_partners_organisation_card_counts_people_and_teams_but_leaves_the_cycles_to_the_table(personas,
                                                                                                  client_for):
    open_payments_cycle(personas)
    page = client_for(personas.pia).get("/").content.decode()
    card = re.search(r'<dl class="figures">(.*?)</dl>', page, re.S).group(1)
    labels = re.findall(r"<dt>(.*?)</dt>", card)
    assert labels == ["People"]  # no delivery rollup is stored yet; the open cycle has its own table above
    # Teams of three and two people: both below the minimum cohort of five, so neither has team figures.
    assert "5 people in 2 teams (2 below the minimum of 5 people: no team figures of their own)" in card
    assert "as of " in card  # the headcounts are a rollup, computed on the spot the first time


def test_the_audit_flags_count_refused_logins_refused_reads_and_locked_logins(personas, client_for):
    from django.core.exceptions import PermissionDenied

    from brightline import access
    from brightline.audit.services import log_action
    from brightline.people.models import LoginThrottle

    now = timezone.now()
    for _ in range(2):
        log_action("people.sso.refused", None, personas.erin)
    with contextlib.suppress(PermissionDenied):
        access.open_person_record(personas.oscar, personas.erin, what="people.profile", denied="No.")
    LoginThrottle.objects.create(username="erin", ip="10.0.0.1", failures=9, first_failure_at=now,
                                 locked_until=now + dt.timedelta(minutes=10))
    LoginThrottle.objects.create(username="mo", ip="10.0.0.2", failures=9, first_failure_at=now,
                                 locked_until=now - dt.timedelta(minutes=1))  # the lock has passed
    page = client_for(personas.pia).get("/").content.decode()
    assert "2 single sign-on logins refused in the last 30 days." in page
    assert "1 refused attempt to open a person&#x27;s record in the last 30 days." in page
    assert "1 login is locked after repeated wrong passwords." in page
    LoginThrottle.objects.all().delete()
    assert "No login is locked after wrong passwords." in client_for(personas.pia).get("/").content.decode()


def test_the_home_reads_appeals_and_support_plans_once_for_the_inbox_and_the_overdue_list(personas):
    """The home passes the rows it read for the people partner's overdue list to the inbox: the inbox must list
    the same items as when it reads its own."""
    from brightline.dashboards.inbox import inbox_for, open_reviews
    from brightline.dashboards.partner import open_appeals, open_plans
    from tests.test_support_plans import START, active_plan

    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    reviews = list(cycle.reviews.order_by("pk"))
    past = timezone.localdate() - dt.timedelta(days=2)
    Appeal.objects.create(review=reviews[0], context="a", due_on=past)
    Appeal.objects.create(review=reviews[1], context="b", due_on=past, status=Appeal.Status.IN_REVIEW,
                          reviewer=personas.pia)
    Appeal.objects.create(review=reviews[2], context="c", due_on=past, status=Appeal.Status.ESCALATED,
                          escalated_at=timezone.now(), escalation_due_on=past)
    Appeal.objects.create(review=reviews[0], context="d", due_on=past, status=Appeal.Status.ESCALATED,
                          reviewer=personas.mo, escalated_at=timezone.now(), escalation_reviewer=personas.mo,
                          escalation_due_on=past, escalation_decided_at=timezone.now())  # decided: not open
    active_plan(personas)
    today = START + dt.timedelta(days=15)
    for person in (personas.pia, personas.mo, personas.erin):
        shared = inbox_for(person, today=today, reviews=open_reviews(person), open_appeals=open_appeals(),
                           open_plans=open_plans())
        assert shared == inbox_for(person, today=today), person.name
    kinds = [item.kind for item in inbox_for(personas.pia, today=today, open_appeals=open_appeals())]
    assert kinds.count("appeal_reviewer") == 2 and kinds.count("appeal") == 1
    assert [item.kind for item in inbox_for(personas.mo, today=today, open_plans=open_plans())].count("check_in") == 1
