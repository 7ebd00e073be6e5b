"""The demo is one coherent organisation anchored at the day it is built for: the same seed builds the same records
with the same timestamps, nothing in it happens after its "today", its audit trail verifies, and every
persona can log in and open the pages their role is for.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, time, timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models, transaction

from brightline.demo import DEMO_PASSWORD, demo_today, load_demo
from tests.demo_helpers import (
    DEMO_SEED,
    PERSONA_USERNAMES,
    demo_cycle_name,
    demo_objects,
    demo_transaction,
    reset_sequences,
    should_see,
)

# The apps whose tables hold the demo's history (people: the organisation itself).
HISTORY_APPS = ("people", "evidence", "feedback", "reviews", "support", "insights")
# The fairness history the demo builds (demographics, HRIS movements, survey answers): also the same for a seed.
FAIRNESS_HISTORY = ("fairness.DemographicRecord", "governance.HrisEvent", "governance.SurveyResponse")
# Fields that may hold a moment after the demo's "today", and why.
NOT_DEMO_HISTORY = {
    "audit.AuditEntry.created_at": "audit entries record when the demo was really loaded",
    "audit.AccessLog.at": "access-log rows record real reads",
    "auth.User.last_login": "logins are real events",
    "sessions.Session.expire_date": "a session expires in the future by design",
    "policy.Policy.updated_at": "the policy row is created on first read, a real event, not demo history",
    "support.SupportPlan.ends_on": "the demo's support plan is in progress: it ends after today by design",
    "goals.Goal.due_on": "the demo's goals are in progress: they are due after today by design",
}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every history table, all columns, in id order."""
    rows = {}
    for config in (apps.get_app_config(label) for label in HISTORY_APPS):
        for model in config.get_models(include_auto_created=True):
            names = [field.attname for field in model._meta.concrete_fields]
            rows[model._meta.label] = list(model.objects.order_by("pk").values_list(*names))
    for label in FAIRNESS_HISTORY:
        model = apps.get_model(label)
        names = [field.attname for field in model._meta.concrete_fields]
        rows[label] = list(model.objects.order_by("pk").values_list(*names))
    from brightline.policy.services import get_policy

    rows["policy.allowed_sources"] = [tuple(get_policy().allowed_sources)]
    return rows


@pytest.fixture(scope="module")
def demo_loads(django_db_setup, django_db_blocker):
    """Load the demo twice from the same empty state with the same seed; keep the second for the tests."""
    with django_db_blocker.unblock(), transaction.atomic():
        reset_sequences()
        load_demo(seed=DEMO_SEED)
        first = snapshot()
        transaction.set_rollback(True)
    with demo_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            reset_sequences()
            load_demo(seed=DEMO_SEED)
            second = snapshot()
            objects = demo_objects()
        yield first, second, objects


def test_the_same_seed_builds_the_same_records_with_the_same_timestamps(demo_loads):
    first, second, _objects = demo_loads
    assert first.keys() == second.keys()
    for label in first:
        assert first[label] == second[label], f"{label} differs between two loads with the same seed"
    # Not vacuous: the history tables that had the real clock's stamps are full.
    for label in (*FAIRNESS_HISTORY, "policy.allowed_sources", "feedback.FeedbackRequest", "feedback.Checkpoint",
                  "reviews.Review", "reviews.DecisionMemo", "support.SupportPlan", "insights.Signal",
                  "evidence.EvidenceItem"):
        assert first[label], label


def date_fields():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateField):  # DateTimeField is a DateField too
                yield model, field


def test_nothing_in_the_demo_happens_after_its_today(demo_loads, db):
    latest_date = demo_today()
    latest_moment = datetime.combine(latest_date + timedelta(days=1), time(0), tzinfo=UTC)
    late = []
    for model, field in date_fields():
        key = f"{model._meta.label}.{field.name}"
        if key in NOT_DEMO_HISTORY:
            continue
        bound = latest_moment if isinstance(field, models.DateTimeField) else latest_date
        count = model.objects.filter(**{f"{field.name}__gt": bound}).count()
        if count:
            latest = model.objects.order_by(f"-{field.name}").values_list(field.name, flat=True).first()
            late.append(f"{key}: {count} after {bound} (latest {latest})")
    assert late == []


def test_the_history_is_spread_over_the_months_before_today(demo_loads, db):
    from brightline.feedback.models import Accomplishment, Checkpoint, FeedbackRequest
    from brightline.reviews.models import ReviewCycle

    today = demo_today()
    cycles = {c.name: c for c in ReviewCycle.objects.all()}
    older, decided = cycles[demo_cycle_name("older")], cycles[demo_cycle_name("decided")]
    # The first cycle opened 427 days before the demo's "today" (1 September 2025 for 2 November 2026).
    assert older.opened_at.date() == today - timedelta(days=427)
    assert older.closed_at < decided.opened_at
    assert decided.closed_at.date() < today
    for review in decided.reviews.all():
        assert decided.opened_at < review.assessment_submitted_at < decided.closed_at
    for checkpoint in Checkpoint.objects.all():
        assert checkpoint.created_at.date() == checkpoint.held_on
    # Comments about Erin were written on different days over the last months, not all at one moment.
    days = {r.created_at.date() for r in FeedbackRequest.objects.all()}
    days |= {a.created_at.date() for a in Accomplishment.objects.all()}
    assert len(days) >= 4 and min(days) < today - timedelta(days=30)


def test_the_audit_trail_of_the_demo_verifies(demo_loads, db):
    out = io.StringIO()
    call_command("audit", "verify", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["ok"] is True and result["entries"] > 100


@pytest.mark.parametrize("username", PERSONA_USERNAMES)
def test_each_persona_logs_in_and_opens_the_pages_of_their_role(demo_loads, db, client, username):
    _first, _second, objects = demo_loads
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content[:500]
    failures = []
    for url in should_see(objects)[username]:
        status = client.get(url).status_code
        if status != 200:
            failures.append(f"{url}: {status}")
    assert failures == []


def test_each_engineer_with_goals_keeps_goals_of_their_own(demo_loads, db):
    from brightline.goals.demo import LEVEL_GOALS, TEAM_GOALS
    from brightline.goals.models import Goal

    titles: dict[object, set[str]] = {}
    for goal in Goal.objects.select_related("owner__level", "owner__team", "owner__user"):
        titles.setdefault(goal.owner, set()).add(goal.title)
    owners = {owner.user.username if owner.user else owner.pk: owner for owner in titles}
    assert len(titles) >= 6 and all(len(owned) == 2 for owned in titles.values())
    # Pat (IC3) shares no goal with Erin (IC2): his are about the refund events he built and helping a newer
    # engineer onto on-call.
    assert titles[owners["erin"]].isdisjoint(titles[owners["pat"]])
    assert "Help a newer engineer take on on-call" in titles[owners["pat"]]
    # No two engineers keep the same goals; the others keep one about their team's work and one for their level.
    assert len({frozenset(owned) for owned in titles.values()}) == len(titles)
    for owner, owned in titles.items():
        if owner.user and owner.user.username in {"erin", "pat"}:
            continue
        assert owned == {TEAM_GOALS[owner.team.slug][0], LEVEL_GOALS[owner.level.code][0]}


def test_the_people_partner_is_shown_in_her_own_role_not_an_engineering_level(demo_loads, db, client):
    """Pia is the people partner: her home says so, and never gives her an engineering manager's level."""
    from brightline.people.models import Person

    assert Person.objects.get(user__username="pia").level is None
    client.post("/accounts/login/", {"username": "pia", "password": DEMO_PASSWORD})
    body = client.get("/").content.decode()
    assert "People partner" in body
    assert "Engineering Manager" not in body and "Leads one team of engineers" not in body
    assert "Career ladders" in body
