"""The demo organisation once per test module, and the real objects its pages are about.

A module-scoped fixture puts the demo in the database inside one outer transaction (``demo_transaction``) that
is rolled back when the module ends, so later modules see an empty database again. Each test still runs in its
own savepoint (the ``db`` fixture), so what a test writes (access-log rows, sessions) never reaches the next test.
On PostgreSQL the demo is built once per test database and copied back where a test needs it (``DemoSnapshot``,
``demo_from``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction

DEMO_SEED = 7
PERSONA_USERNAMES = ("erin", "mo", "pat", "lee", "pia", "ada")


def reset_sequences() -> None:
    """Start every id sequence right after the highest stored id, as in a fresh database.

    PostgreSQL sequences ignore rollbacks; SQLite's ``sqlite_sequence`` is rolled back with the data,
    so there is nothing to do there.
    """
    models = apps.get_models(include_auto_created=True)
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


@contextmanager
def demo_transaction(django_db_blocker: Any) -> Iterator[transaction.Atomic]:
    """Open an outer transaction (database unblocked only while opening and rolling it back)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        yield outer
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()  # a demo copied from the snapshot brought its own content type ids


SNAPSHOT_SCHEMA = "demo_snapshot"


class DemoSnapshot:
    """The demo organisation as ``load_demo(seed=DEMO_SEED)`` builds it today, copied table by table into a schema
    of its own on PostgreSQL (``tests/conftest.py``'s ``demo_snapshot``, once per test database).

    ``restore`` empties the product's tables and copies the rows back, ids included, in a second or two, where
    building the demo again takes half a minute or more. The rows are the ones the load wrote, so a test reads
    exactly the organisation a load of its own would have given it; the load itself is tested in test_demo.py
    and test_demo_coherence.py, which still load.
    """

    def __init__(self, result: Any, columns: dict[str, list[str]]):
        self.result, self.columns = result, columns

    @classmethod
    def take(cls) -> DemoSnapshot:
        """Load the demo into the empty test database, copy it aside, and empty the database again as the end of
        a transactional test does (content types and permissions recreated)."""
        from django.core.management import call_command

        from brightline.demo import load_demo

        if connection.vendor != "postgresql" or connection.in_atomic_block:
            raise RuntimeError("the demo snapshot is taken on PostgreSQL, outside any transaction")
        qn = connection.ops.quote_name
        tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        reset_sequences()  # ids as in a fresh database
        try:
            with transaction.atomic():
                result = load_demo(seed=DEMO_SEED)
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE")
                    cursor.execute(f"CREATE SCHEMA {SNAPSHOT_SCHEMA}")
                    columns = {}
                    for table in tables:
                        cursor.execute(f"CREATE TABLE {SNAPSHOT_SCHEMA}.{qn(table)} AS TABLE {qn(table)}")
                        columns[table] = [column.name for column in
                                          connection.introspection.get_table_description(cursor, table)]
        finally:
            call_command("flush", verbosity=0, interactive=False, reset_sequences=False)
        return cls(result, columns)

    def usable(self) -> bool:
        """Built for today (a suite running past midnight loads the demo again)."""
        from django.utils import timezone

        return self.result.today == timezone.localdate()

    def restore(self) -> Any:
        """Replace what the product's tables hold with the demo; returns what ``load_demo`` returned."""
        from django.contrib.contenttypes.models import ContentType

        qn = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(qn(table) for table in self.columns)} CASCADE")
            for table, columns in self.columns.items():
                names = ", ".join(qn(column) for column in columns)
                cursor.execute(f"INSERT INTO {qn(table)} ({names}) SELECT {names} FROM {SNAPSHOT_SCHEMA}.{qn(table)}")
            reset_sequences()
        ContentType.objects.clear_cache()  # their ids are the snapshot's now
        return self.result

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE")


def demo_from(snapshot: DemoSnapshot | None) -> Any:
    """The demo organisation in the test database: copied from the snapshot where there is one (PostgreSQL), else
    loaded; returns what ``load_demo`` returns."""
    from brightline.demo import load_demo

    if snapshot is not None and snapshot.usable():
        return snapshot.restore()
    return load_demo(seed=DEMO_SEED)


@dataclass(frozen=True)
class DemoObjects:
    """Real ids and slugs of the demo organisation, for filling URL parameters."""

    people: dict[str, Any]
    outsider: Any
    team_slug: str
    service_name: str
    cycle_id: int
    review_ids: dict[str, int]
    appeal_id: int
    change_id: int
    plan_id: int
    request_id: int
    invitation_id: int
    accomplishment_id: int
    draft_id: int
    signal_id: int
    evidence_item_id: int
    goal_id: int

    def person_id(self, username: str) -> int:
        return self.people[username].pk


def create_outsider() -> Any:
    """Someone in another team and another reporting line, with no special role."""
    from django.contrib.auth import get_user_model

    from brightline.people.models import Person, Team

    team = Team.objects.get(slug="sre")
    manager = Person.objects.filter(team=team, reports__isnull=False).distinct().order_by("pk").first()
    from brightline.demo import demo_today

    # Joined a year before the demo's "today", so the demo stays free of moments after it.
    joined = datetime.combine(demo_today() - timedelta(days=365), time(9), tzinfo=UTC)
    user = get_user_model().objects.create(username="oscar", date_joined=joined)
    return Person.objects.create(organisation=team.organisation, user=user, employee_id="NW-OUTSIDER",
                                 name="Oscar Outsider", email="oscar@northwind.example", manager=manager, team=team,
                                 level=manager.level, timezone="Europe/Dublin")


def demo_cycle_name(which: str) -> str:
    """The loaded demo's cycle names: "older" (two halves ago), "decided" (the last half) or "draft"."""
    from brightline.demo import demo_today
    from brightline.reviews.demo import demo_cycle_names

    older, decided, draft = demo_cycle_names(demo_today())
    return {"older": older, "decided": decided, "draft": draft}[which]


def demo_objects() -> DemoObjects:
    from brightline.evidence.models import EvidenceItem
    from brightline.feedback.models import Accomplishment, FeedbackInvitation, FeedbackRequest, ImpactDraft
    from brightline.goals.models import Goal
    from brightline.insights.models import Signal
    from brightline.people.models import Person
    from brightline.reviews.models import Appeal, CalibrationChange, ReviewCycle
    from brightline.support.models import SupportPlan

    people = {p.user.username: p for p in Person.objects.filter(user__username__in=PERSONA_USERNAMES)
              .select_related("user")}
    cycle = ReviewCycle.objects.get(name=demo_cycle_name("decided"))
    erin = people["erin"]
    request = FeedbackRequest.objects.filter(subject=erin, anonymous=False).get()
    return DemoObjects(
        people=people,
        outsider=create_outsider(),
        team_slug="payments",
        service_name="payments-api",
        cycle_id=cycle.pk,
        review_ids={name: cycle.reviews.get(person=person).pk for name, person in people.items()
                    if cycle.reviews.filter(person=person).exists()},
        appeal_id=Appeal.objects.get(review__cycle=cycle).pk,
        change_id=CalibrationChange.objects.get(assessment__review__cycle=cycle,
                                                assessment__review__person=erin).pk,
        plan_id=SupportPlan.objects.get().pk,
        request_id=request.pk,
        # The stakeholder's invitation is the one still waiting for an answer.
        invitation_id=FeedbackInvitation.objects.filter(request=request).exclude(
            respondent__in=[people["mo"], people["pat"]]).get().pk,
        accomplishment_id=Accomplishment.objects.filter(person=erin).order_by("pk").first().pk,
        draft_id=ImpactDraft.objects.get(person=erin).pk,
        signal_id=Signal.objects.filter(person=erin, is_current=True).order_by("pk").first().pk,
        evidence_item_id=EvidenceItem.objects.filter(person=erin).order_by("pk").first().pk,
        goal_id=Goal.objects.filter(owner=erin).order_by("pk").first().pk,
    )


def should_see(objects: DemoObjects) -> dict[str, list[str]]:
    """Pages each persona should be able to open (status 200), from the rules in ``brightline.access``."""
    erin, mo, pat = (objects.person_id(name) for name in ("erin", "mo", "pat"))
    erin_review, pat_review = objects.review_ids["erin"], objects.review_ids["pat"]
    team = objects.team_slug
    everyone = ["/", "/growth/", "/reviews/", "/insights/me/", "/me/access-log/", "/ladder/", "/data-use/",
                "/growth/inbox/", "/growth/drafts/", "/insights/transparency/", "/evidence/definitions/",
                "/changes/", "/goals/", "/goals/new/"]
    return {
        "erin": [*everyone, f"/growth/{erin}/", f"/people/{erin}/", f"/people/{erin}/access-log/",
                 f"/insights/person/{erin}/", f"/reviews/r/{erin_review}/", f"/reviews/r/{erin_review}/packet/",
                 f"/growth/requests/{objects.request_id}/", f"/growth/drafts/{objects.draft_id}/",
                 f"/growth/accomplishments/{objects.accomplishment_id}/edit/", "/team/", f"/teams/{team}/",
                 f"/evidence/teams/{team}/", f"/evidence/teams/{team}/health/"],
        "mo": [*everyone, f"/growth/{erin}/", f"/growth/{erin}/notes/", f"/people/{erin}/",
               f"/insights/person/{erin}/", f"/insights/team/{team}/", f"/reviews/r/{erin_review}/",
               f"/governance/managers/{mo}/", "/growth/training/", "/team/", f"/teams/{team}/",
               f"/evidence/teams/{team}/health/", f"/growth/requests/{objects.request_id}/", f"/goals/people/{erin}/"],
        "pat": [*everyone, f"/growth/{pat}/", f"/reviews/r/{pat_review}/", f"/reviews/appeals/{objects.appeal_id}/",
                "/team/", f"/teams/{team}/"],
        "lee": [*everyone, f"/growth/{erin}/", f"/people/{erin}/", f"/goals/people/{erin}/",
                f"/reviews/r/{erin_review}/", "/organisation/",
                "/governance/leadership/", f"/insights/team/{team}/", f"/governance/managers/{mo}/", f"/teams/{team}/"],
        "pia": [*everyone, f"/people/{erin}/", f"/people/{erin}/access-log/", f"/reviews/cycles/{objects.cycle_id}/",
                f"/reviews/r/{erin_review}/", f"/reviews/appeals/{objects.appeal_id}/",
                f"/support/{objects.plan_id}/", "/support/", "/fairness/", "/fairness/outcomes/",
                "/governance/leadership/", "/insights/organisation/", f"/insights/team/{team}/", "/audit/",
                "/policy/edit/", "/organisation/", "/evidence/services/", "/people/changes/", "/people/",
                "/people/new/", f"/people/{erin}/account/"],
        "ada": [*everyone, "/audit/", "/policy/edit/", "/people/changes/", f"/people/{erin}/", "/people/",
                "/people/new/", f"/people/{erin}/account/",
                f"/reviews/cycles/{objects.cycle_id}/",
                "/fairness/", "/organisation/"],
    }
