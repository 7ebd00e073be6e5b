"""The large demo organisation: thousands of engineers and years of history, written in bulk.

Built by ``brightline demo load --size large``; a benchmark input and a way to try Brightline at
scale, never part of the test run. Everything is drawn from one seeded generator, so the same seed
and size build the same organisation. Rows are written in large batches: those whose ids are needed
with ``bulk_create`` (or ``insert_objects`` by a unique key), the history with ``insert_objects`` and,
for the changes (the bulk of it), as plain values without a model instance per row, both through
``COPY`` on PostgreSQL; the audit entries with ``log_actions``, and the chain verifies.

The hierarchy: one chief executive, about one vice president per thousand people, one director per
hundred, and managers with 5 to 12 engineers each (one team per manager). People partners and an
administrator sit beside it.
"""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import connections, models, transaction
from django.urls import reverse
from django.utils import timezone

from brightline.audit.services import insert_objects, insert_rows, log_action, log_actions
from brightline.demo import (
    DEMO_EMAIL_DOMAIN,
    DEMO_ORGANISATION_NAME,
    DEMO_ORGANISATION_SLUG,
    DEMO_PASSWORD,
    ERR_OTHER_DATA,
    FIRST_NAMES,
    LAST_NAMES,
    DemoRefused,
    DemoResult,
)
from brightline.demo_large_texts import (
    APPEAL_CHANGED,
    APPEAL_CONTEXTS,
    APPEAL_UPHELD,
    CHANGE_REASONS,
    CHANGE_WHATS,
    CHECKPOINT_IMPACTS,
    CHECKPOINT_MISSES,
    CHECKPOINT_NEXT,
    CHECKPOINT_WINS,
    CONFLICT_NOTES,
    NOTE_CLOSINGS,
    NOTE_MIDDLES,
    NOTE_OPENINGS,
    PRE_VOTE_NOTES,
    RATIONALE_CLOSINGS,
    RATIONALE_OPENINGS,
    SELF_PROUD,
    SELF_REGRET,
    SELF_REVIEWS,
    SUMMARY_CLOSINGS,
    SUMMARY_MIDDLES,
    SUMMARY_OPENINGS,
    WRITTEN_EVIDENCE,
    compose,
)
from brightline.notifications.services import KEEP_DAYS
from brightline.notifications.signals import discard_pending
from brightline.people.models import (
    AccessRole,
    Identity,
    Level,
    Organisation,
    Person,
    Team,
    WorkloadClass,
    WorkModality,
    rebuild_chain_paths,
)
from brightline.people.services import install_default_ladder

DEFAULT_PEOPLE = 10_000
MIN_PEOPLE = 40
DEFAULT_YEARS = 3
BATCH = 5000
SPAN_MIN, SPAN_MAX = 5, 12
# Each service deploys this many times a week (drawn once per service) and ships this many changes in a deploy,
# each with its pull request: at 10,000 people about 5.3 million events in three years (2.4 million changes, as
# many pull requests, 330,000 deployments, incidents and pages), some 90 merged changes an engineer a year.
DEPLOYS_PER_WEEK = (2.0, 10.0)
CHANGES_PER_DEPLOY = (3, 12)
# The share of a service's deployments that fail in production, by its maturity; a failure is mostly rolled back,
# sometimes reverted or fixed by a hotfix, each a deployment of its own; a few pipeline runs fail before going live.
FAIL_RATES = {"new": 0.12, "growing": 0.08, "mature": 0.05, "sunset": 0.18}
REMEDIATION_KINDS = ("rollback", "revert", "hotfix")
ATTEMPT_FAILED = 0.02
# The range of the "before" number of a written-up item's measure (see ``WRITTEN_EVIDENCE``); others 6–90.
METRIC_RANGES = {"p95_ms": (250, 900), "requests_per_second": (400, 2000), "days_to_first_change": (10, 30),
                 "time_to_detect_minutes": (30, 240)}
LARGE_MARKER = f"leader@{DEMO_EMAIL_DOMAIN}"

ZONES = ("Europe/Berlin", "Europe/London", "Europe/Lisbon", "America/New_York", "America/Toronto",
         "America/Sao_Paulo", "America/Chicago", "Asia/Kolkata", "Europe/Warsaw", "Australia/Sydney",
         "Europe/Dublin", "Africa/Lagos", "Europe/Madrid", "Asia/Singapore")
TEAM_WORDS = ("Payments", "Checkout", "Search", "Mobile", "Platform", "Developer tools", "Reliability", "Billing",
              "Identity", "Notifications", "Data pipeline", "Pricing", "Catalogue", "Fraud", "Onboarding",
              "Messaging", "Storage", "Observability", "Growth", "Ledger", "Maps", "Recommendations", "Support tools",
              "Security", "Compliance", "Partner API", "Analytics", "Build", "Edge", "Accounts")
WORKLOADS = ((WorkloadClass.PRODUCT, 6), (WorkloadClass.PLATFORM, 2), (WorkloadClass.SRE, 1),
             (WorkloadClass.DATA, 1), (WorkloadClass.LEGACY, 1))
SERVICE_SUFFIXES = ("api", "worker", "web", "gateway", "scheduler", "store", "sync", "core", "ingest", "console")
COMMIT_SUBJECTS = ("Tidy error handling", "Add metrics", "Fix flaky test", "Speed up query", "Handle timeouts",
                   "Update dependencies", "Improve logging", "Remove dead code", "Add retry with backoff",
                   "Split large module", "Document the API", "Guard against empty input", "Cache lookups")
PR_TITLES = ("Add {x} endpoint", "Migrate {x} to the new client", "Fix race in {x}", "Speed up {x} by batching",
             "Remove the legacy {x} path", "Add alerts for {x}", "Refactor {x} handler", "Harden {x} validation")
THINGS = ("refund", "invoice", "search index", "session", "webhook", "export", "queue consumer", "rate limiter",
          "feature flag", "retry policy", "cache", "schema migration", "login flow", "audit log", "checkout form")
TICKET_TITLES = ("Customer cannot complete the {x}", "Question about the {x}", "The {x} shows the wrong total",
                 "Slow {x} since this morning", "Request to export the {x}", "Error message on the {x}")
INCIDENT_TITLES = ("Error rate above SLO", "Latency spike", "Queue backlog", "Failed payments", "Disk full",
                   "Certificate expired", "Dependency outage", "Memory leak after deploy")

# Feedback in several voices: specific and vague, kind and harsh (the tone and narrative checks need both).
DID_SPECIFIC = ("Led the {x} migration and wrote the rollout plan the whole team followed.",
                "Paired with two new joiners on the {x} and reviewed every one of their changes within a day.",
                "Found the root cause of the {x} outage in forty minutes and wrote a clear debrief.",
                "Cut the {x} build time from 14 to 6 minutes by splitting the test suite.",
                "Drove the design review for the {x} and closed every open question before the deadline.")
DID_VAGUE = ("Did good work this half.", "Was helpful on the {x}.", "Works hard and gets things done.",
             "Is a solid contributor.", "Was involved in the {x} project.", "Always there when needed.")
DID_HARSH = ("Shipped the {x} change late again and left the rest of us to clean up.",
             "Ignored review comments on the {x} and merged anyway.",
             "Honestly the {x} work was sloppy; nobody could follow it.",
             "Talks over people in planning and the {x} decision suffered for it.")
IMPACT_TEXTS = ("Customers saw fewer failed {x} requests; support tickets about it dropped by a third.",
                "The team could deploy the {x} on a Friday without anyone staying late.",
                "Two other teams adopted the approach for their own {x}.",
                "Not much visible impact yet.", "It made things better, I think.",
                "On-call pages for the {x} fell from weekly to once a month.",
                "It cost us a sprint of rework.")
GROW_TEXTS = ("Write down decisions about the {x} so others can find them later.",
              "Ask for help earlier when the {x} work gets stuck.", "Be more proactive.",
              "Delegate more of the {x} so you can think about next quarter.",
              "Keep it up!", "Give reviewers more context in pull request descriptions.",
              "Stop rushing; the {x} deserved a design review.", "Has a bad attitude in meetings, fix it.")
ACCOMPLISHMENTS = ("Shipped the {x} rewrite", "Reduced {x} latency", "Retired the legacy {x}",
                   "Automated the {x} runbook", "Mentored the {x} working group", "Designed the {x} API")
PERSONAS_LARGE = (  # username, role shown in --json, access role, what they are in the hierarchy
    ("leader", "leader", AccessRole.LEADER, "the chief executive"),
    ("vp", "vice_president", AccessRole.LEADER, "a vice president"),
    ("director", "director", AccessRole.LEADER, "a director"),
    ("manager", "manager", AccessRole.EMPLOYEE, "a manager of about ten engineers"),
    ("engineer", "employee", AccessRole.EMPLOYEE, "an engineer in that manager's team"),
    ("peer", "peer", AccessRole.EMPLOYEE, "another engineer in that team"),
    ("partner", "people_partner", AccessRole.PEOPLE_PARTNER, "a people partner"),
    ("admin", "admin", AccessRole.ADMIN, "the administrator"),
)

T = TypeVar("T", bound=models.Model)
Progress = Callable[[str, int], None]


def _quiet(stage: str, done: int) -> None:
    return None


@dataclass
class _Outcomes:
    """One dimension of a review as it went: the manager's proposal, then calibration, then any appeal."""

    proposed: str
    rationale: str
    cited: list[str]
    calibrated: str = ""
    final: str = ""
    change: tuple[Person, str] | None = None  # who changed it in calibration, and why
    changed_at: datetime | None = None
    approver: Person | None = None
    appeal: tuple[Person, str, datetime] | None = None  # the reviewer who raised it, why, when

    def __post_init__(self) -> None:
        self.calibrated = self.calibrated or self.proposed
        self.final = self.final or self.proposed


@dataclass
class _ReviewPlan:
    """A review of a finished cycle while it is drawn, before its rows are written."""

    person: Person
    review: Any = None
    evidence: list[tuple[int, str]] = field(default_factory=list)
    submitted: datetime = datetime.min.replace(tzinfo=UTC)
    assessments: dict[str, _Outcomes] = field(default_factory=dict)
    eligible: list[Person] = field(default_factory=list)
    votes: list[tuple[Person, str, str, str]] = field(default_factory=list)
    discussed: bool = False
    appeal: Person | None = None


@dataclass
class _Row:
    """A person before it is written: the hierarchy is planned first, then written level by level."""

    index: int
    rank: str  # ceo, vp, director, manager, engineer, partner, admin
    manager: int | None
    team: int | None = None
    person: Person | None = None


def plan_hierarchy(rng: random.Random, people: int) -> list[_Row]:
    """Who reports to whom, for ``people`` people in all; managers have 5–12 engineers each."""
    if people < MIN_PEOPLE:
        raise ValueError(f"the large demo needs at least {MIN_PEOPLE} people; {people} were asked for")
    vps = max(1, round(people / 1000))
    directors = max(2, round(people / 100))
    partners = max(1, round(people / 1500))
    rest = people - 1 - vps - directors - partners - 1
    spans: list[int] = []
    while rest - sum(spans) - len(spans) >= SPAN_MIN + 1:
        spans.append(rng.randint(SPAN_MIN, SPAN_MAX))
    # Whatever remains (or overshoots) is spread over managers who still have room.
    leftover = rest - sum(spans) - len(spans)
    while leftover != 0:
        index = rng.randrange(len(spans))
        if leftover > 0 and spans[index] < SPAN_MAX:
            spans[index] += 1
            leftover -= 1
        elif leftover < 0 and spans[index] > SPAN_MIN:
            spans[index] -= 1
            leftover += 1
    rows = [_Row(0, "ceo", None)]
    vp_rows = [_Row(len(rows) + i, "vp", 0) for i in range(vps)]
    rows += vp_rows
    director_rows = [_Row(len(rows) + i, "director", vp_rows[i % vps].index) for i in range(directors)]
    rows += director_rows
    rows += [_Row(len(rows) + i, "partner", 0) for i in range(partners)]
    rows.append(_Row(len(rows), "admin", 0))
    manager_rows = [_Row(len(rows) + i, "manager", director_rows[i % directors].index, team=i)
                    for i in range(len(spans))]
    rows += manager_rows
    for manager, span in zip(manager_rows, spans, strict=True):
        rows += [_Row(len(rows) + i, "engineer", manager.index, team=manager.team) for i in range(span)]
    return rows


def _batches(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), BATCH):
        yield items[start:start + BATCH]


def large_demo_exists() -> bool:
    return Person.objects.filter(email=LARGE_MARKER).exists()


def large_accounts() -> list[dict[str, str]]:
    names = dict(Person.objects.filter(user__username__in=[p[0] for p in PERSONAS_LARGE])
                 .values_list("user__username", "name"))
    return [{"username": username, "role": role, "name": names.get(username, ""), "is": what}
            for username, role, _access, what in PERSONAS_LARGE]


def load_large_demo(*, seed: int = 7, people: int = DEFAULT_PEOPLE, years: int = DEFAULT_YEARS,
                    today: date | None = None, progress: Progress = _quiet) -> DemoResult:
    """Build the large demo organisation once; a second call changes nothing and returns the accounts."""
    if large_demo_exists():
        return DemoResult(False, Person.objects.count(), Team.objects.count(), timezone.localdate(),
                          large_accounts())
    if Person.objects.exists():
        raise DemoRefused(ERR_OTHER_DATA.format(count=Person.objects.count()))
    if years < 1:
        raise ValueError("the large demo needs at least one year of history")
    today = today or timezone.localdate()
    rng = random.Random(f"large:{seed}:{people}:{years}")
    plan = plan_hierarchy(rng, people)
    timings: dict[str, float] = {}
    with transaction.atomic():
        install_default_ladder(actor_label="demo")
        organisation, _ = Organisation.objects.update_or_create(slug=DEMO_ORGANISATION_SLUG,
                                                                defaults={"name": DEMO_ORGANISATION_NAME})
        builder = _LargeBuilder(rng, organisation, today, years, plan, progress, timings)
        with _keys_checked_at_the_end(timings, progress):
            builder.build()
        # The history is generated, not news: nobody is e-mailed about it when it commits.
        discard_pending()
        log_action("demo.loaded", None, organisation,
                   {"seed": seed, "size": "large", "people": len(builder.people), "teams": len(builder.teams),
                    "built_for": today.isoformat()}, actor_label="demo")
        progress("commit", 0)
        started = clock.monotonic()
    timings["commit"] = clock.monotonic() - started
    progress("planner statistics", 0)
    started = clock.monotonic()
    _refresh_planner_statistics()
    timings["planner statistics"] = clock.monotonic() - started
    _compute_rollups(progress, timings)
    return DemoResult(True, len(builder.people), len(builder.teams), today, large_accounts(), timings)


def _refresh_planner_statistics() -> None:
    """``ANALYZE`` on PostgreSQL after the load: without row counts the planner takes the new tables for empty
    and picks nested loops, so the first ``insights run --all`` right after a load spent minutes on one delivery
    query (173 s at 1,000 people; 0.2 s once analysed). Autovacuum would analyse them, but only later."""
    connection = connections[Person.objects.db]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _compute_rollups(progress: Progress, timings: dict[str, float]) -> None:
    """Every dashboard rollup computed once, after the commit. The triggers start no refresh while no rollup of a
    kind is stored (a small organisation's first page computes its own), so without this the first leader to
    open the leadership view of ten thousand people would wait for figures over three years of reviews (minutes:
    longer than a web worker is allowed to take, so the page would never answer)."""
    from brightline.rollups.services import refresh

    started, counted = clock.monotonic(), [0]

    def step(done: int, total: int) -> None:  # the bar counts what each call adds
        progress("rollups", done - counted[0])
        counted[0] = done

    refresh(everything=True, progress=step)
    timings["rollups"] = clock.monotonic() - started


def _postgresql() -> Any:
    connection = connections[Person.objects.db]
    return connection if connection.vendor == "postgresql" else None


# PostgreSQL checks a deferred foreign key once per inserted row, all of them at the commit: millions of checks
# for the large demo (the closing commit kept the server busy for more than three minutes at 10,000 people).
# Added back after the load, each key is checked in one query over its whole table instead.
_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace AND c.conrelid = ANY(%s::regclass[])
ORDER BY 1, 2"""

# Secondary indexes (not the primary key, not one a foreign key elsewhere relies on), unique constraints among them.
_INDEXES = """
SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, pg_get_indexdef(i.indexrelid), own.conname,
       pg_get_constraintdef(own.oid)
FROM pg_index i
LEFT JOIN pg_constraint own ON own.conindid = i.indexrelid AND own.conrelid = i.indrelid
                               AND own.contype IN ('p', 'u', 'x')
WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND (own.oid IS NULL OR own.contype = 'u')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
ORDER BY 2, 1"""


@contextmanager
def _keys_checked_at_the_end(timings: dict[str, float], progress: Progress) -> Iterator[None]:
    """PostgreSQL, inside the load's transaction: the foreign keys of every table the demo writes are dropped
    while its rows go in and added back afterwards under the same names and definitions, so that each is
    validated by one join instead of a deferred check per row at the commit. Same rows, same constraints. The
    tables stay locked until the load commits: another session reading them waits for it (the database holds no
    one else's data, or the load is refused)."""
    connection = _postgresql()
    if connection is None:
        yield
        return
    connection.check_constraints()  # checks deferred so far run now: a table with pending checks cannot change
    tables = [model._meta.db_table for model in _written_models()]
    with connection.cursor() as cursor:
        cursor.execute(_FOREIGN_KEYS, [tables])
        keys = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
    yield
    progress("foreign keys", 0)
    started = clock.monotonic()
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
    timings["foreign keys"] = clock.monotonic() - started


@contextmanager
def _indexed_afterwards(models_: Sequence[type[models.Model]], timings: dict[str, float],
                        progress: Progress) -> Iterator[None]:
    """PostgreSQL: the secondary indexes of ``models_`` (the history's millions of rows) are built once after
    their rows are in, by a sort each, instead of being updated row by row as ``COPY`` writes; the same
    definitions and names. Nothing reads these tables by those indexes while they are away."""
    connection = _postgresql()
    if connection is None:
        yield
        return
    quote = connection.ops.quote_name
    connection.check_constraints()  # as below: a table with checks pending cannot change
    with connection.cursor() as cursor:
        cursor.execute(_INDEXES, [[model._meta.db_table for model in models_]])
        indexes = cursor.fetchall()
        for index, table, _definition, constraint, _constraint_definition in indexes:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(constraint)}" if constraint
                           else f"DROP INDEX {index}")
    yield
    progress("history indexes", 0)
    started = clock.monotonic()
    connection.check_constraints()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _index, table, definition, constraint, constraint_definition in indexes:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(constraint)} {constraint_definition}"
                           if constraint else definition)
    timings["history indexes"] = clock.monotonic() - started


def _written_models() -> list[type[models.Model]]:
    """Every table of the project and of the logins, which the large demo writes into."""
    from django.apps import apps

    return [model for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
            and (model._meta.app_label == "auth" or model.__module__.startswith("brightline."))]


# The columns of a change's commit, pull request and evidence item, in the order ``_delivery`` gives them.
CHANGE_COLUMNS = (
    ("repository_id", "sha", "author_name", "author_email", "authored_at", "committer_name", "committer_email",
     "committed_at", "subject", "lines_added", "lines_deleted", "files_changed", "person_id", "first_release_id"),
    ("service_id", "source", "external_id", "number", "title", "author", "person_id", "state", "opened_at",
     "first_review_at", "approved_at", "approvals", "merged_at", "updated_at"),
    ("kind", "title", "summary", "occurred_at", "person_id", "team_id", "service", "source", "source_ref"),
)


class _ValuesWriter:
    """Rows of ``model`` given as plain values of ``columns`` (attribute names); every other column gets its
    default, computed once (``auto_now`` fields the current time). Written with ``insert_rows`` (``COPY`` on
    PostgreSQL): no model instance per row."""

    def __init__(self, model: type[models.Model], columns: tuple[str, ...]):
        connection = connections[model.objects.db]
        fields = {field.attname: field for field in model._meta.concrete_fields}
        now = timezone.now()
        rest = [field for name, field in fields.items() if name not in columns and not field.primary_key]
        self.model, self.names = model, (*columns, *(field.attname for field in rest))
        self.constants = tuple(field.get_db_prep_save(
            now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else field.get_default(),
            connection) for field in rest)
        adapt = {models.DateTimeField: connection.ops.adapt_datetimefield_value,
                 models.DateField: connection.ops.adapt_datefield_value}
        # PostgreSQL takes dates and times as they are; SQLite stores them as text. JSON goes through its field.
        self.adapters: list[tuple[int, Callable[[Any], Any]]] = [] if connection.vendor == "postgresql" else [
            (position, adapt[type(fields[name])]) for position, name in enumerate(columns)
            if type(fields[name]) in adapt]
        self.adapters += [(position, partial(fields[name].get_db_prep_save, connection=connection))
                          for position, name in enumerate(columns) if isinstance(fields[name], models.JSONField)]

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.adapters:
            rows = [self._adapted(row) for row in rows]
        insert_rows(self.model, self.names, [row + self.constants for row in rows], batch_size=BATCH)

    def _adapted(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for position, adapt in self.adapters:
            if values[position] is not None:
                values[position] = adapt(values[position])
        return tuple(values)


class _LargeBuilder:
    def __init__(self, rng: random.Random, organisation: Organisation, today: date, years: int,
                 plan: list[_Row], progress: Progress, timings: dict[str, float]):
        self.rng = rng
        self.timings = timings
        self.organisation = organisation
        self.today = today
        self.end = datetime.combine(today, time(0), tzinfo=UTC)
        self.start = self.end - timedelta(days=365 * years)
        self.kept_since = self.end - timedelta(days=KEEP_DAYS)  # notices older than this are deleted
        self.years = years
        self.plan = plan
        self.progress = progress
        self.levels = {level.code: level for level in Level.objects.all()}
        self.teams: list[Team] = []
        self.people: list[Person] = []

    # -- helpers ---------------------------------------------------------------------------------------
    def _write(self, model: type[T], rows: Iterable[T], stage: str, *, key: str | None = None) -> list[T]:
        """Rows whose ids are needed: ``bulk_create``, or with ``key`` (a field unique in the demo's rows)
        ``insert_objects``, which reads the ids back by it."""
        written: list[T] = []
        batch: list[T] = []

        def flush() -> None:
            if key is None:
                written.extend(model.objects.bulk_create(batch))  # type: ignore[attr-defined]
            else:
                insert_objects(model, batch, key=key, batch_size=BATCH)  # type: ignore[arg-type]
                written.extend(batch)
            self.progress(stage, len(batch))

        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                flush()
                batch = []
        if batch:
            flush()
        return written

    def _append(self, model: type[models.Model], rows: Iterable[models.Model], stage: str) -> None:
        """Rows nobody needs the ids of (most of the history): written as ``insert_objects`` does, with
        ``COPY`` on PostgreSQL, instead of through ``bulk_create``'s per-value preparation."""
        batch: list[models.Model] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                insert_objects(model, batch, batch_size=BATCH)
                self.progress(stage, len(batch))
                batch = []
        if batch:
            insert_objects(model, batch, batch_size=BATCH)
            self.progress(stage, len(batch))

    def _thing(self) -> str:
        return self.rng.choice(THINGS)

    # -- the organisation ------------------------------------------------------------------------------
    def build(self) -> None:
        """Each part in turn, its wall time kept in ``timings`` under its name."""
        from brightline.evidence.models import CommitRecord, EvidenceItem, PullRequest

        parts: tuple[tuple[str, Callable[[], None]], ...] = (
            ("teams", self._teams), ("people", self._people), ("services", self._services),
            ("delivery", self._delivery), ("incident attribution", self._attribution),
            ("written evidence", self._written_evidence), ("feedback", self._feedback),
            ("accomplishments", self._accomplishments), ("goals", self._goals), ("growth", self._growth),
            ("promotions", self._promotions), ("review cycles", self._review_cycles),
            ("fairness inputs", self._fairness), ("time off", self._time_off), ("support plans", self._support_plans),
            ("notifications", self._notifications))
        for name, part in parts:
            started = clock.monotonic()
            # The history's millions of rows: their indexes are built once they are in (goals and promotions read
            # them by person).
            with (_indexed_afterwards((CommitRecord, PullRequest, EvidenceItem), self.timings, self.progress)
                  if name == "delivery" else nullcontext()):
                part()
                self.timings[name] = clock.monotonic() - started

    def _teams(self) -> None:
        managers = [row for row in self.plan if row.rank == "manager"]
        workloads = [w for w, weight in WORKLOADS for _ in range(weight)]
        teams = []
        for row in managers:
            word = TEAM_WORDS[row.team % len(TEAM_WORDS)]  # type: ignore[operator]
            number = row.team // len(TEAM_WORDS) + 1  # type: ignore[operator]
            teams.append(Team(organisation=self.organisation, slug=f"team-{row.team + 1:04d}",  # type: ignore[operator]
                              name=f"{word} {number}", workload_class=self.rng.choice(workloads),
                              mission=f"Own the {word.lower()} capabilities of area {number}."))
        self.teams = self._write(Team, teams, "teams")

    def _people(self) -> None:
        User = get_user_model()
        password = make_password(DEMO_PASSWORD)  # hashed once: hashing is deliberately slow
        names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
        personas = {"ceo": "leader", "partner": "partner", "admin": "admin"}
        # The persona manager: the first manager with ten or so engineers; the engineer is in their team.
        spans: dict[int, int] = {}
        for row in self.plan:
            if row.manager is not None:
                spans[row.manager] = spans.get(row.manager, 0) + 1
        manager_rows = [row for row in self.plan if row.rank == "manager"]
        persona_manager = min(manager_rows, key=lambda row: (abs(spans[row.index] - 10), row.index))
        persona_director = self.plan[persona_manager.manager]  # type: ignore[index]
        persona_vp = self.plan[persona_director.manager]  # type: ignore[index]
        persona_engineer, persona_peer = [row for row in self.plan if row.manager == persona_manager.index][:2]
        by_index = {persona_manager.index: "manager", persona_director.index: "director", persona_vp.index: "vp",
                    persona_engineer.index: "engineer", persona_peer.index: "peer"}
        first_of: dict[str, int] = {}
        for row in self.plan:
            if row.rank in personas and row.rank not in first_of:
                first_of[row.rank] = row.index
                by_index[row.index] = personas[row.rank]
        access = {"ceo": AccessRole.LEADER, "vp": AccessRole.LEADER, "director": AccessRole.LEADER,
                  "partner": AccessRole.PEOPLE_PARTNER, "admin": AccessRole.ADMIN}
        level_of = {"ceo": lambda: "M4", "vp": lambda: "M4", "director": lambda: "M3", "partner": lambda: "M2",
                    "admin": lambda: "IC4", "manager": lambda: self.rng.choice(("M1", "M1", "M2")),
                    "engineer": lambda: self.rng.choices(("IC1", "IC2", "IC3", "IC4", "IC5"), (2, 5, 6, 3, 1))[0]}
        users: list[Any] = []
        pending: list[tuple[_Row, dict[str, Any]]] = []
        for row in self.plan:
            username = by_index.get(row.index)
            base = names[self.rng.randrange(len(names))]
            name = base if username is None else f"{base.split()[0]} {base.split()[1]}"
            username = username or f"{name.lower().replace(' ', '.')}.{row.index + 1}"
            start = self.today - timedelta(days=self.rng.randint(30, 12 * 365))
            role = access.get(row.rank, AccessRole.EMPLOYEE)
            email = f"{username}@{DEMO_EMAIL_DOMAIN}"
            users.append(User(username=username, first_name=name.split()[0], last_name=name.split()[-1], email=email,
                              password=password, is_staff=role in {AccessRole.PEOPLE_PARTNER, AccessRole.ADMIN},
                              is_superuser=role == AccessRole.ADMIN,
                              date_joined=datetime.combine(start, time(9), tzinfo=UTC)))
            pending.append((row, {"employee_id": f"NL{row.index + 100001}", "name": name, "email": email,
                                  "level": self.levels[level_of[row.rank]()], "timezone": self.rng.choice(ZONES),
                                  "work_modality": self.rng.choice(WorkModality.values[:3]), "start_date": start,
                                  "access_role": role}))
        users = self._write(User, users, "logins")
        # Written top-down, one level at a time, so every manager has an id before their reports.
        for ranks in (("ceo",), ("vp", "partner", "admin"), ("director",), ("manager",), ("engineer",)):
            level_rows = []
            for (row, fields), user in zip(pending, users, strict=True):
                if row.rank not in ranks:
                    continue
                manager = self.plan[row.manager].person if row.manager is not None else None
                team = self.teams[row.team] if row.team is not None else None
                level_rows.append((row, Person(organisation=self.organisation, user=user, manager=manager, team=team,
                                               **fields)))
            written = self._write(Person, [person for _, person in level_rows], "people")
            for (row, _), person in zip(level_rows, written, strict=True):
                row.person = person
        self.people = [row.person for row in self.plan if row.person is not None]
        rebuild_chain_paths()
        self._append(Identity, (identity for person in self.people for identity in (
            Identity(person=person, kind="email", value=person.email),
            Identity(person=person, kind="github", value=person.email.split("@")[0].replace(".", "-")))),
            "identities")
        permissions = list(Permission.objects.filter(content_type__app_label="people"))
        for person in self.people:
            if person.access_role == AccessRole.PEOPLE_PARTNER and person.user is not None:
                person.user.user_permissions.set(permissions)
        log_actions((("person.created", person, {"employee_id": person.employee_id, "source": "demo"})
                     for person in self.people), None, actor_label="demo")
        self.progress("audit", len(self.people))
        self.members: dict[int, list[Person]] = {}
        for person in self.people:
            if person.team_id is not None:
                self.members.setdefault(person.team_id, []).append(person)
        self.managers = [row.person for row in self.plan if row.rank == "manager" and row.person is not None]
        self.engineers = [row.person for row in self.plan if row.rank == "engineer" and row.person is not None]
        self.partner = next(p for p in self.people if p.access_role == AccessRole.PEOPLE_PARTNER)

    # -- delivery history ------------------------------------------------------------------------------
    def _services(self) -> None:
        from brightline.evidence.models import Criticality, Maturity, Repository, Service

        count = max(len(self.teams) // 3, 3)
        services = []
        for index in range(count):
            team = self.teams[index % len(self.teams)] if index < len(self.teams) else self.rng.choice(self.teams)
            word = team.name.split()[0].lower()
            services.append(Service(name=f"{word}-{SERVICE_SUFFIXES[index % len(SERVICE_SUFFIXES)]}-{index + 1}",
                                    team=team, workload_class=team.workload_class,
                                    criticality=self.rng.choice(Criticality.values),
                                    maturity=self.rng.choices(Maturity.values, (1, 2, 5, 1))[0],
                                    description=f"Service owned by {team.name}."))
        self.services = self._write(Service, services, "services")
        self.repositories = {repo.service_id: repo for repo in self._write(
            Repository, (Repository(service=s, path=f"demo://{s.name}", branch="main") for s in self.services),
            "services")}

    def _delivery(self) -> None:
        """Per service, deployments through the years; per deployment the changes that shipped in it,
        a pull request per change, evidence for it, and sometimes an incident and a page; customer tickets."""
        from brightline.evidence.models import CommitRecord, Deployment, EvidenceItem, Incident, Page, PullRequest

        deployments: list[Deployment] = []
        # A deployment that went live and failed (``failed``), what repaired it (``repairs``: the remediation
        # deployment, its kind and the failed one), and a pipeline run that failed before going live (``attempts``).
        failed: set[str] = set()
        repairs: dict[str, tuple[str, Deployment]] = {}
        for number_of_service, service in enumerate(self.services, start=1):
            per_week = self.rng.uniform(*DEPLOYS_PER_WEEK)
            fail_rate = FAIL_RATES[service.maturity]
            moment = self.start
            number = 0
            while True:
                moment += timedelta(hours=self.rng.expovariate(per_week / 168.0))
                if moment >= self.end:
                    break
                number += 1
                moment = moment.replace(hour=self.rng.choice((9, 10, 11, 13, 14, 15, 16)),
                                        minute=self.rng.randrange(60))
                if self.rng.random() < ATTEMPT_FAILED:  # the pipeline failed once; the same version went out later
                    deployments.append(Deployment(
                        service=service, environment="production", version=f"v{number}",
                        sha=f"{number_of_service:06x}{number:034x}", status=Deployment.Status.FAILURE, source="demo",
                        deployed_at=moment - timedelta(minutes=self.rng.randint(20, 90)),
                        external_id=f"{service.name}@{number}-attempt"))
                deployment = Deployment(service=service, environment="production", version=f"v{number}",
                                        sha=f"{number_of_service:06x}{number:034x}", deployed_at=moment,
                                        status=Deployment.Status.SUCCESS, source="demo",
                                        external_id=f"{service.name}@{number}")
                deployments.append(deployment)
                if self.rng.random() >= fail_rate:
                    continue
                failed.add(deployment.external_id)
                if self.rng.random() < 0.2:
                    continue  # fixed forward by the next deployment, or by hand, without a deployment of its own
                kind = self.rng.choices(REMEDIATION_KINDS, (5, 3, 2))[0]
                fix = Deployment(service=service, environment="production",
                                 version=f"v{number - 1}" if kind == "rollback" else f"v{number}.1",
                                 sha=f"f{number_of_service:05x}{number:034x}", status=Deployment.Status.SUCCESS,
                                 deployed_at=moment + timedelta(minutes=self.rng.randint(45, 240)), source="demo",
                                 external_id=f"{service.name}@{number}-{kind}")
                deployments.append(fix)
                repairs[fix.external_id] = (kind, deployment)
        deployments = self._write(Deployment, deployments, "deployments", key="external_id")
        self.progress("remediations", len(repairs))
        by_service: dict[int, list[Deployment]] = {}
        for deployment in deployments:
            by_service.setdefault(deployment.service_id, []).append(deployment)
        # A third as many services as teams: each service is changed by the team that owns it and by the teams that
        # own none and work on it (every third team or so), so that every engineer has delivery history.
        contributors: dict[int, list[Person]] = {}
        for number, team in enumerate(self.teams):
            contributors.setdefault(self.services[number % len(self.services)].pk, []).extend(
                self.members.get(team.pk, []))
        owners = {service.pk: contributors.get(service.pk) or self.engineers for service in self.services}
        self.service_of_team = {team.pk: self.services[number % len(self.services)].name
                                for number, team in enumerate(self.teams)}
        incidents: list[Incident] = []
        pages: list[Page] = []
        from brightline.evidence.models import Remediation

        remediations = [Remediation(service_id=fix.service_id, kind=repairs[fix.external_id][0],
                                    occurred_at=fix.deployed_at, failed_deployment=repairs[fix.external_id][1],
                                    remediation_deployment=fix, source="demo",
                                    external_id=fix.external_id.replace("@", "-"))
                        for fix in deployments if fix.external_id in repairs]
        fixes = {remediation.failed_deployment.pk: remediation.remediation_deployment  # type: ignore[union-attr]
                 for remediation in remediations}
        self._append(Remediation, remediations, "remediations")

        def changes() -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]]:
            """A commit, its pull request and its evidence item per change, as values of ``CHANGE_COLUMNS``:
            hundreds of thousands of rows, too many to build a model instance for each."""
            merged = str(EvidenceItem.Kind.MERGED_CHANGE.value)
            for service in self.services:
                repository = self.repositories[service.pk]
                people = owners[service.pk]
                for index, deployment in enumerate(by_service.get(service.pk, [])):
                    if deployment.status != Deployment.Status.SUCCESS:
                        continue  # never went live: its changes ship with the next run
                    repair = repairs.get(deployment.external_id)
                    # A rollback ships nothing new; a revert or a hotfix is one change of its own.
                    count = (self.rng.randint(*CHANGES_PER_DEPLOY) if repair is None
                             else 0 if repair[0] == "rollback" else 1)
                    for change in range(count):
                        author = self.rng.choice(people)
                        authored = deployment.deployed_at - timedelta(hours=self.rng.lognormvariate(3.4, 0.8))
                        handle = author.email.split("@")[0].replace(".", "-")
                        number = index * 16 + change + 1
                        ref = f"{service.name}#{number}"
                        title = (self.rng.choice(PR_TITLES).format(x=self._thing()) if repair is None else
                                 f"{'Revert' if repair[0] == 'revert' else 'Hotfix'}: {repair[1].version} broke "
                                 f"the {self._thing()}")
                        merged_at = authored + timedelta(hours=31)
                        yield (
                            (repository.pk, f"{deployment.sha[:6]}{index:024x}{change:010x}", author.name,
                             author.email, authored, author.name, author.email, authored,
                             self.rng.choice(COMMIT_SUBJECTS), self.rng.randint(2, 400), self.rng.randint(0, 150),
                             self.rng.randint(1, 9), author.pk, deployment.pk),
                            (service.pk, "demo", ref, number, title, handle, author.pk, "merged",
                             authored - timedelta(hours=2), authored + timedelta(hours=self.rng.uniform(0.5, 20)),
                             authored + timedelta(hours=self.rng.uniform(21, 30)), self.rng.randint(1, 2),
                             merged_at, deployment.deployed_at),
                            (merged, title, f"Merged into {service.name}; shipped in {deployment.version}.",
                             merged_at, author.pk, author.team_id, service.name, "demo", ref))
                    # Most failed deployments opened an incident, declared on the deployment, before the fix
                    # went out; the rest were caught by their author and only rolled back, reverted or fixed.
                    if deployment.external_id in failed and self.rng.random() < 0.75:
                        opened = deployment.deployed_at + timedelta(minutes=self.rng.randint(5, 40))
                        fix = fixes.get(deployment.pk)
                        resolved = ((fix.deployed_at if fix else opened) + timedelta(minutes=self.rng.randint(10, 600)))
                        handler = self.rng.choice(people)
                        incidents.append(Incident(service=service, title=self.rng.choice(INCIDENT_TITLES),
                                                  severity=self.rng.choice(("sev1", "sev2", "sev2", "sev3")),
                                                  opened_at=opened, resolved_at=resolved, linked_deployment=deployment,
                                                  handled_by=handler, source="demo",
                                                  external_id=f"{service.name}-inc-{index}"))
                        for page in range(self.rng.randint(1, 3)):
                            paged = opened + timedelta(minutes=page * 7)
                            pages.append(Page(service=service, person=handler, responder=handler.email,
                                              paged_at=paged, acknowledged_at=paged + timedelta(minutes=4),
                                              urgency="high", source="demo",
                                              external_id=f"{service.name}-page-{index}-{page}"))

        writers = [_ValuesWriter(model, columns) for model, columns in
                   zip((CommitRecord, PullRequest, EvidenceItem), CHANGE_COLUMNS, strict=True)]
        batches: tuple[list[tuple[Any, ...]], ...] = ([], [], [])
        for rows in changes():
            for batch, row in zip(batches, rows, strict=True):
                batch.append(row)
            if len(batches[0]) >= BATCH:
                written = len(batches[0])
                for writer, batch in zip(writers, batches, strict=True):
                    writer.write(batch)
                    batch.clear()
                self.progress("changes", written)
        for writer, batch in zip(writers, batches, strict=True):
            writer.write(batch)
        self.progress("changes", len(batches[0]))
        written = self._write(Incident, incidents, "incidents")
        self._append(EvidenceItem, (EvidenceItem(
            kind=EvidenceItem.Kind.INCIDENT_HANDLED, title=f"Handled: {i.title}",
            summary=f"{i.severity} on {i.service.name}", occurred_at=i.opened_at, person=i.handled_by,
            team_id=i.handled_by.team_id if i.handled_by else None, service=i.service.name, source="demo-incident",
            source_ref=i.external_id) for i in written), "incidents")
        self._append(Page, pages, "pages")

        from brightline.evidence.models import SupportTicket

        def tickets() -> Iterator[SupportTicket]:
            """Customer tickets about each service, one or two a week, most handled by one of its engineers."""
            for service in self.services:
                people = owners[service.pk]
                moment, number = self.start, 0
                while True:
                    moment += timedelta(hours=self.rng.expovariate(self.rng.uniform(0.5, 2.5) / 168.0))
                    if moment >= self.end:
                        break
                    number += 1
                    handler = self.rng.choice(people) if self.rng.random() < 0.7 else None
                    yield SupportTicket(service=service, title=self.rng.choice(TICKET_TITLES).format(x=self._thing()),
                                        priority=self.rng.choices(("low", "normal", "high", "urgent"), (3, 5, 2, 1))[0],
                                        opened_at=moment,
                                        resolved_at=moment + timedelta(hours=self.rng.lognormvariate(2.5, 1.0)),
                                        handled_by=handler, handler=handler.email if handler else "", source="demo",
                                        external_id=f"{service.name}-ticket-{number}")

        self._append(SupportTicket, tickets(), "support tickets")

    def _attribution(self) -> None:
        """Each incident attributed to a deployment as an events import would leave it (the deployment it names,
        the one that shipped its root cause, or the latest one within a day before it opened)."""
        from brightline.evidence.metrics import update_incident_attribution

        self.progress("incident attribution", 0)
        update_incident_attribution(self.services)

    # -- feedback, accomplishments, reviews ------------------------------------------------------------
    @staticmethod
    def _cycle_schedule(last: date) -> dict[str, str]:
        """The last day of each step: self reviews close on the half's last day (for the open cycle, today), the
        manager assessment two weeks later, and so on, as a people partner would plan it."""
        days = {"evidence": -14, "self_review": 0, "manager_assessment": 14, "calibration": 28, "decision_memo": 35,
                "release": 42, "acknowledgement": 56}
        return {phase: (last + timedelta(days=offset)).isoformat() for phase, offset in days.items()}

    def _halves(self) -> list[tuple[str, date, date]]:
        halves = []
        year = self.start.year
        while True:
            for half, (first, last) in enumerate(((date(year, 1, 1), date(year, 6, 30)),
                                                  (date(year, 7, 1), date(year, 12, 31))), start=1):
                if last < self.start.date():
                    continue
                if first > self.today:
                    return halves
                halves.append((f"{year}-H{half}", first, min(last, self.today)))
            year += 1

    def _feedback_text(self, pool: Sequence[str]) -> str:
        return self.rng.choice(pool).format(x=self._thing())

    def _feedback(self) -> None:
        from brightline.feedback.models import FeedbackInvitation, FeedbackRequest, FeedbackResponse, Relationship

        halves = self._halves()
        requests: list[FeedbackRequest] = []
        for person in self.people:
            if person.manager_id is None:
                continue
            for period, first, last in halves:
                if first < person.start_date:  # type: ignore[operator]
                    continue
                moment = datetime.combine(last - timedelta(days=20), time(10), tzinfo=UTC)
                requests.append(FeedbackRequest(subject=person, requested_by_id=person.manager_id,
                                                context=f"Feedback for {period}", anonymous=False,
                                                closed_at=moment + timedelta(days=14)))
        requests = self._write(FeedbackRequest, requests, "feedback")
        peers = self.members
        invitations: list[FeedbackInvitation] = []
        for request in requests:
            team = peers.get(request.subject.team_id or 0, [])  # type: ignore[union-attr]
            candidates = [p for p in team if p.pk != request.subject_id] or self.engineers[:20]
            for respondent in self.rng.sample(candidates, min(3, len(candidates))):
                invitations.append(FeedbackInvitation(request=request, respondent=respondent,
                                                      relationship=Relationship.PEER,
                                                      status=FeedbackInvitation.Status.SUBMITTED))
        invitations = self._write(FeedbackInvitation, invitations, "feedback")
        # What the notification runs of the last year would have told each respondent (see ``_notices``).
        self.asked = [(invitation.respondent_id, invitation.pk, invitation.request.closed_at - timedelta(days=14),
                       invitation.request.subject.name) for invitation in invitations  # type: ignore[union-attr, operator]
                      if invitation.request.closed_at > self.kept_since]  # type: ignore[operator]
        sequence: dict[int, int] = {}

        def responses() -> Iterator[FeedbackResponse]:
            for invitation in invitations:
                tone = self.rng.random()
                pool = DID_HARSH if tone < 0.1 else DID_VAGUE if tone < 0.4 else DID_SPECIFIC
                sequence[invitation.request_id] = sequence.get(invitation.request_id, 0) + 1
                yield FeedbackResponse(request_id=invitation.request_id, invitation=invitation,
                                       relationship=invitation.relationship, sequence=sequence[invitation.request_id],
                                       what_they_did=self._feedback_text(pool),
                                       impact=self._feedback_text(IMPACT_TEXTS),
                                       one_thing_to_grow=self._feedback_text(GROW_TEXTS),
                                       submitted_at=invitation.request.closed_at - timedelta(days=3))  # type: ignore[operator]

        self._append(FeedbackResponse, responses(), "feedback")

    def _accomplishments(self) -> None:
        from brightline.feedback.models import Accomplishment, ImpactLevel

        halves = self._halves()

        def rows() -> Iterator[Accomplishment]:
            for person in self.people:
                if person.manager_id is None:
                    continue
                for period, first, _last in halves:
                    if first < person.start_date or self.rng.random() < 0.3:  # type: ignore[operator]
                        continue
                    thing = self._thing()
                    yield Accomplishment(person=person, period=period,
                                         title=self.rng.choice(ACCOMPLISHMENTS).format(x=thing),
                                         situation=f"The {thing} was slow and paged the team most weeks.",
                                         action=f"Measured where the time went and rebuilt the {thing} step by step.",
                                         result=f"p95 fell from {self.rng.randint(400, 900)} ms to "
                                                f"{self.rng.randint(80, 300)} ms.",
                                         impact="Fewer pages, faster releases for the teams that depend on it.",
                                         impact_level=self.rng.choice(ImpactLevel.values),
                                         teams_affected=self.rng.randint(1, 6))

        self._append(Accomplishment, rows(), "accomplishments")

    def _goals(self) -> None:
        """Half the engineers keep a goal due at the end of the quarter. One who has handled an incident makes the
        service of their latest one dependable, and "Halve its pages" cites that incident; the runbook result,
        which no item shows, cites nothing and reads 0 %, as does the first result of a goal without an incident."""
        from django.db.models import Max

        from brightline.evidence.models import EvidenceItem
        from brightline.goals.models import Goal, KeyResult
        from brightline.goals.services import end_of_quarter

        due = end_of_quarter(self.today)
        owners = [person for person in self.people if person.manager_id is not None and self.rng.random() < 0.5]
        latest = dict(EvidenceItem.objects.filter(person_id__in=[person.pk for person in owners],
                                                  kind=EvidenceItem.Kind.INCIDENT_HANDLED)
                      .values("person_id").annotate(last=Max("pk")).order_by().values_list("person_id", "last"))
        service_of = dict(EvidenceItem.objects.filter(pk__in=list(latest.values()))
                          .exclude(service="").values_list("person_id", "service"))
        latest = {person_id: pk for person_id, pk in latest.items() if person_id in service_of}

        def title(person: Any) -> str:
            thing = self._thing()  # drawn for everyone, so the generator's sequence does not depend on the data
            return f"Make the {service_of[person.pk]} service dependable" if person.pk in service_of else \
                f"Make the {thing} dependable"

        goals = self._write(Goal, (Goal(owner=person, title=title(person),
                                        success="The teams that depend on it stop planning around its failures.",
                                        due_on=due) for person in owners), "goals")
        owner_of = {goal.pk: goal.owner_id for goal in goals}

        def progress(goal: Any, position: int) -> int:
            drawn = self.rng.randint(0, 100)
            return drawn if position == 0 and owner_of[goal.pk] in latest else 0

        results = self._write(KeyResult, (KeyResult(goal=goal, description=text, progress=progress(goal, position),
                                                    position=position)
                                          for goal in goals for position, text in
                                          enumerate(("Halve its pages", "Write and drill its runbook"))), "goals")
        through = KeyResult.evidence.through
        self._append(through, (through(keyresult_id=result.pk, evidenceitem_id=latest[owner_of[result.goal_id]])
                              for result in results if result.position == 0 and owner_of[result.goal_id] in latest),
                    "goals")

    def _review_cycles(self) -> None:
        """Two finished half-year cycles and one open (manager assessment), run as the services would have run them.

        Managers wrote each assessment with a rationale citing the person's evidence of the half (what they wrote
        up, else their merged changes), which entered the review's packet; a summary and a promotion readiness
        that follows the outcomes. Each finished cycle was calibrated by a panel of people partners and five
        directors (it rotates), with conflicts of interest recorded (the management chain, and a few declared).
        The reviews the panel discussed were pre-voted by every eligible panelist first; about one outcome in
        twenty-five was changed with a written reason citing the packet (a change to "needs support" approved by a
        second person). Every review then got its decision memo, naming the person finally accountable. About one
        review in seventy was appealed; about a third of the appeals raised an outcome (recorded as a change from
        the appeal, the assessment moved with it), the rest upheld, some of those taken one step further."""
        from brightline.people.models import Dimension
        from brightline.reviews.models import Phase, Review, ReviewCycle

        halves = self._halves()[-3:]
        population = [p for p in self.people if p.manager_id is not None and p.is_active]
        partners = [p for p in self.people if p.access_role == AccessRole.PEOPLE_PARTNER]
        directors = [p for p in self.people if p.level is not None and p.level.code == "M3"
                     and p.access_role != AccessRole.PEOPLE_PARTNER] or [self.partner]
        next_levels = {code: level.next_level() is not None for code, level in self.levels.items()}
        self.cycles: list[tuple[Any, list[Any], date]] = []  # (cycle, its reviews, the last day of its half)
        self.appeals: list[Any] = []
        for number, (period, first, last) in enumerate(halves):
            is_open = number == len(halves) - 1
            cycle = ReviewCycle.objects.create(
                name=f"Review {period}", phase=Phase.MANAGER_ASSESSMENT if is_open else Phase.CLOSED,
                schedule=self._cycle_schedule(last), opened_by=self.partner,
                phase_changed_at=datetime.combine(last, time(9), tzinfo=UTC),
                closed_at=None if is_open else datetime.combine(last + timedelta(days=60), time(9), tzinfo=UTC))
            ReviewCycle.objects.filter(pk=cycle.pk).update(opened_at=datetime.combine(last - timedelta(days=20),
                                                                                        time(9), tzinfo=UTC))
            cited = {} if is_open else self._cycle_evidence(first, last, [p.pk for p in population])
            plans: list[_ReviewPlan] = []
            reviews = []
            for person in population:
                plan = _ReviewPlan(person)
                self_review = self.rng.random() < 0.7
                fill = {"x": self._thing(), "proud": self.rng.choice(SELF_PROUD),
                        "regret": self.rng.choice(SELF_REGRET)}
                review = Review(cycle=cycle, person=person, manager_id=person.manager_id, team_id=person.team_id,
                                level_id=person.level_id, workload_class="",
                                self_review_context=self.rng.choice(SELF_REVIEWS).format(**fill) if self_review else "",
                                self_review_submitted_at=datetime.combine(last - timedelta(days=self.rng.randint(
                                    5, 12)), time(self.rng.randint(9, 17)), tzinfo=UTC) if self_review else None)
                if not is_open:
                    self._assess(plan, review, cited.get(person.pk, []), last,
                                 next_levels.get(person.level.code if person.level else "", False))
                plans.append(plan)
                reviews.append(review)
            reviews = self._write(Review, reviews, "reviews")
            self.cycles.append((cycle, reviews, last))
            if is_open:
                continue
            for plan, review in zip(plans, reviews, strict=True):
                plan.review = review
            panel = partners[:2] + self.rng.sample(directors, min(5, len(directors)))
            self._calibrate(cycle, plans, panel, partners, last, list(Dimension.values))
            self._memos(plans, last)

    def _cycle_evidence(self, first: date, last: date, people: list[int]) -> dict[int, list[tuple[int, str]]]:
        """What a manager cites for each person in the half: the items they wrote up, then the first and the
        last change they merged (``(id, title)``, newest write-ups first)."""
        from django.db.models import Max, Min

        from brightline.evidence.models import EvidenceItem

        since = datetime.combine(first, time(0), tzinfo=UTC)
        until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
        found: dict[int, list[tuple[int, str]]] = {}
        for person_id, pk, occurred, title in sorted(self.written, key=lambda row: row[2], reverse=True):
            if since <= occurred < until:
                found.setdefault(person_id, []).append((pk, title))
        merged: dict[int, list[int]] = {}
        for person_id, low, high in (EvidenceItem.objects.filter(kind=EvidenceItem.Kind.MERGED_CHANGE,
                                                                 occurred_at__gte=since, occurred_at__lt=until)
                                     .values("person_id").annotate(low=Min("pk"), high=Max("pk")).order_by()
                                     .values_list("person_id", "low", "high")):
            merged[person_id] = sorted({low, high})
        wanted = sorted(pk for ids in merged.values() for pk in ids)
        titles: dict[int, str] = {}
        for start in range(0, len(wanted), 1000):
            titles.update(EvidenceItem.objects.filter(pk__in=wanted[start:start + 1000]).values_list("pk", "title"))
        for person_id, ids in merged.items():
            found.setdefault(person_id, []).extend((pk, titles[pk]) for pk in ids)
        return found

    def _assess(self, plan: _ReviewPlan, review: Any, evidence: list[tuple[int, str]], last: date,
                has_next: bool) -> None:
        """The manager's outcomes (evidence thresholds, never a share), rationales citing ``evidence`` and the
        summary and readiness they follow from; a proposed "needs support" approved by a people partner."""
        from brightline.people.models import Dimension
        from brightline.reviews.models import Outcome

        plan.evidence = evidence
        refs = [f"evidence_item:{pk}" for pk, _ in evidence]
        submitted = datetime.combine(last + timedelta(days=self.rng.randint(15, 30)), time(self.rng.randint(9, 17)),
                                     tzinfo=UTC)
        plan.submitted = submitted
        for position, dimension in enumerate(Dimension.values):
            proposed = self.rng.choices(Outcome.values, (0.15, 7, 2.2))[0] if evidence else Outcome.MEETS
            chosen = refs[position % len(refs):][:1] + refs[(position + 1) % len(refs):][:1] if refs else []
            chosen = list(dict.fromkeys(chosen))
            cites = " ".join(f"[E:{ref.split(':')[1]}]" for ref in chosen)
            text = (self.rng.choice(RATIONALE_OPENINGS[dimension][proposed]).format(x=self._thing(), cites=cites)
                    .replace(" .", ".") + self.rng.choice(RATIONALE_CLOSINGS))
            plan.assessments[dimension] = _Outcomes(proposed, text, chosen)
        adverse = [d for d, a in plan.assessments.items() if a.proposed == Outcome.NEEDS_SUPPORT]
        exceeded = sum(a.proposed == Outcome.EXCEEDS for a in plan.assessments.values())
        readiness = ("not_assessed" if not has_next else
                     "ready" if exceeded >= 2 and not adverse and len(evidence) >= 2 else "not_yet")
        fill = {"name": review.person.name.split()[0], "x": self._thing(),
                "cite": f"[E:{evidence[0][0]}]" if evidence else ""}
        review.manager_summary = compose(self.rng, SUMMARY_OPENINGS, SUMMARY_MIDDLES, **fill)
        review.promotion_readiness = readiness
        review.promotion_rationale = self.rng.choice(SUMMARY_CLOSINGS[readiness]).format(**fill)
        review.promotion_citations = refs[:2] if readiness == "ready" else []
        review.assessment_submitted_at = submitted
        review.acknowledged_at = (datetime.combine(last + timedelta(days=self.rng.randint(45, 55)),
                                                   time(self.rng.randint(9, 17)), tzinfo=UTC)
                                  if self.rng.random() < 0.85 else None)
        if adverse:
            review.adverse_approved_by = self.partner
            review.adverse_approved_at = submitted - timedelta(minutes=30)
            review.adverse_approved_dimensions = adverse

    def _calibrate(self, cycle: Any, plans: list[_ReviewPlan], panel: list[Person], partners: list[Person],
                   last: date, dimensions: list[str]) -> None:
        """The panel, conflicts, pre-votes, calibration changes, assessments, packets and appeals of a cycle."""
        from brightline.reviews.models import (
            OUTCOME_SCALE,
            CalibrationChange,
            ConflictOfInterest,
            DimensionAssessment,
            Outcome,
            PacketItem,
            PanelMember,
            PreVote,
        )

        calibration_starts = datetime.combine(last + timedelta(days=28), time(9), tzinfo=UTC)
        self._append(PanelMember, (PanelMember(cycle=cycle, person=member, added_by=self.partner)
                                   for member in panel), "calibration")
        conflicts, votes = [], []
        for plan in plans:
            chain = self._chain(plan.person.pk)
            declared = self.rng.random() < 1 / 150
            for member in panel:
                # The chain above the person, and below: nobody on the panel decides on their own manager (E8).
                if member.pk == plan.person.pk or member.pk in chain or plan.person.pk in self._chain(member.pk):
                    reason = (ConflictOfInterest.Reason.SELF if member.pk == plan.person.pk
                              else ConflictOfInterest.Reason.MANAGEMENT_CHAIN)
                    conflicts.append((plan.review.pk, member.pk, reason, "", calibration_starts))
                else:
                    plan.eligible.append(member)
            if declared and len(plan.eligible) > 2:
                member = self.rng.choice(plan.eligible)
                plan.eligible.remove(member)
                conflicts.append((plan.review.pk, member.pk, ConflictOfInterest.Reason.DECLARED,
                                  self.rng.choice(CONFLICT_NOTES), calibration_starts + timedelta(hours=2)))
            # About one outcome in twenty-five moved in calibration, always with a reason citing the packet.
            for outcomes in plan.assessments.values():
                if not outcomes.cited or self.rng.random() >= 0.04 or not plan.eligible:
                    continue
                outcomes.calibrated = (Outcome.MEETS if outcomes.proposed != Outcome.MEETS
                                       else Outcome.EXCEEDS if self.rng.random() < 0.9 else Outcome.NEEDS_SUPPORT)
                higher = OUTCOME_SCALE[outcomes.calibrated] > OUTCOME_SCALE[outcomes.proposed]
                direction = ("needs_support" if outcomes.calibrated == Outcome.NEEDS_SUPPORT
                             else "up" if higher else "down")
                actor = self.rng.choice(plan.eligible)
                outcomes.change = (actor, self.rng.choice(CHANGE_REASONS[direction]).format(
                    what=self.rng.choice(CHANGE_WHATS), cite=f"[E:{outcomes.cited[0].split(':')[1]}]"))
                outcomes.final = outcomes.calibrated
            plan.discussed = any(o.change for o in plan.assessments.values()) or self.rng.random() < 0.03
            if plan.discussed:
                voted = calibration_starts + timedelta(days=self.rng.randint(1, 8), hours=self.rng.randint(0, 7))
                for member in plan.eligible:
                    for dimension, outcomes in plan.assessments.items():
                        vote = (outcomes.calibrated if self.rng.random() < 0.8
                                else self.rng.choice(Outcome.values))
                        note = self.rng.choice(PRE_VOTE_NOTES)
                        votes.append((plan.review.pk, member.pk, dimension, vote, note, voted))
                        plan.votes.append((member, dimension, vote, note))
        _ValuesWriter(ConflictOfInterest, ("review_id", "panelist_id", "reason", "note", "declared_at")).write(
            conflicts)
        _ValuesWriter(PreVote, ("review_id", "panelist_id", "dimension", "outcome", "note", "voted_at")).write(votes)
        self.progress("calibration", len(conflicts) + len(votes))
        self._appeals(plans, last)
        self._append(DimensionAssessment, (DimensionAssessment(
            review=plan.review, dimension=dimension, proposed_outcome=outcomes.proposed, rationale=outcomes.rationale,
            citations=outcomes.cited, outcome=outcomes.final,
            version=(outcomes.change is not None) + (outcomes.appeal is not None))
            for plan in plans for dimension, outcomes in plan.assessments.items()), "reviews")
        packets = {(plan.review.pk, ref): plan for plan in plans for outcomes in plan.assessments.values()
                   for ref in (*outcomes.cited, *plan.review.promotion_citations)}
        _ValuesWriter(PacketItem, ("review_id", "kind", "object_id", "included_by_id", "included_at", "via")).write(
            [(review_id, "evidence_item", ref.split(":")[1], plan.person.manager_id,
              plan.submitted - timedelta(hours=2), "assessment") for (review_id, ref), plan in packets.items()])
        ids = self._ids(DimensionAssessment, "review_id", sorted(plan.review.pk for plan in plans
                                                               if plan.discussed or plan.appeal is not None),
                        ("review_id", "dimension"))
        changes = []
        for plan in plans:
            for dimension, outcomes in plan.assessments.items():
                key = ids.get((plan.review.pk, dimension))
                if outcomes.change is not None:
                    actor, reason = outcomes.change
                    changed = calibration_starts + timedelta(days=self.rng.randint(9, 13), hours=self.rng.randint(0, 6))
                    adverse = outcomes.calibrated == Outcome.NEEDS_SUPPORT
                    approver = next((p for p in partners if p.pk != actor.pk), None) if adverse else None
                    if adverse and approver is None:
                        approver = next(p for p in plan.eligible if p.pk != actor.pk) if len(plan.eligible) > 1 \
                            else self.partner
                    outcomes.changed_at, outcomes.approver = changed, approver
                    changes.append((key, actor.pk, changed, outcomes.proposed, outcomes.calibrated, reason,
                                    outcomes.cited[:1], CalibrationChange.Status.APPLIED,
                                    CalibrationChange.Source.CALIBRATION, approver.pk if approver else None,
                                    changed + timedelta(hours=2) if approver else None, 0))
                if outcomes.appeal is not None:
                    reviewer, reason, decided = outcomes.appeal
                    changes.append((key, reviewer.pk, decided, outcomes.calibrated, outcomes.final, reason,
                                    outcomes.cited[:1], CalibrationChange.Status.APPLIED,
                                    CalibrationChange.Source.APPEAL, None, None, int(outcomes.change is not None)))
        _ValuesWriter(CalibrationChange, ("assessment_id", "actor_id", "changed_at", "from_outcome", "to_outcome",
                                          "reason", "citations", "status", "source", "approved_by_id", "approved_at",
                                          "seen_version")).write(changes)
        self.progress("calibration", len(changes))

    def _appeals(self, plans: list[_ReviewPlan], last: date) -> None:
        """About one review in seventy appealed after its release, decided by a director or people partner
        outside the person's chain: a third raise one outcome a step (never lower one), the rest uphold it,
        and some of those are taken one step further and upheld again."""
        from brightline.reviews.models import Appeal, Outcome

        reviewers = [p for p in self.people if p.level is not None and p.level.code == "M3"] or [self.partner]
        appealed = self.rng.sample(plans, min(len(plans), max(1, round(len(plans) / 70))))
        filed = datetime.combine(last + timedelta(days=52), time(11), tzinfo=UTC)
        appeals = []
        for position, plan in enumerate(appealed):
            chain = self._chain(plan.person.pk)
            reviewer = next((p for p in self.rng.sample(reviewers, min(5, len(reviewers))) if p.pk not in chain),
                            self.partner)
            decided = filed + timedelta(days=self.rng.randint(5, 25))
            fill = {"x": self._thing()}
            raisable = [d for d, o in plan.assessments.items()
                        if o.final != Outcome.EXCEEDS and o.change is None and o.cited]
            changed = bool(raisable) and position % 3 == 0
            further = not changed and self.rng.random() < 0.2
            reason = self.rng.choice(APPEAL_UPHELD).format(**fill)
            if changed:
                outcomes = plan.assessments[self.rng.choice(raisable)]
                outcomes.final = Outcome.MEETS if outcomes.final == Outcome.NEEDS_SUPPORT else Outcome.EXCEEDS
                reason = self.rng.choice(APPEAL_CHANGED).format(cite=f"[E:{outcomes.cited[0].split(':')[1]}]", **fill)
                outcomes.appeal = (reviewer, reason, decided)
            plan.appeal = reviewer
            appeal = Appeal(review=plan.review, reviewer=reviewer, due_on=(filed + timedelta(days=30)).date(),
                            context=self.rng.choice(APPEAL_CONTEXTS).format(**fill),
                            status=Appeal.Status.CLOSED if further else Appeal.Status.DECIDED,
                            decision=Appeal.Decision.CHANGED if changed else Appeal.Decision.UPHELD,
                            decision_reason=reason, decided_at=decided)
            if further:
                appeal.escalation_reason = "The second reading did not look at the design documents."
                appeal.escalated_at = decided + timedelta(days=3)
                appeal.escalation_due_on = (decided + timedelta(days=33)).date()
                appeal.escalation_reviewer = self.partner if reviewer != self.partner else reviewers[0]
                appeal.escalation_decision = Appeal.Decision.UPHELD
                appeal.escalation_decision_reason = "The design documents were read; the outcome stands."
                appeal.escalation_decided_at = decided + timedelta(days=20)
            appeals.append(appeal)
        appeals = self._write(Appeal, appeals, "appeals")
        for appeal in appeals:
            appeal.filed_at = filed  # written with the time of the run; its history is older
        Appeal.objects.bulk_update(appeals, ["filed_at"], batch_size=1000)
        self.appeals += appeals

    def _memos(self, plans: list[_ReviewPlan], last: date) -> None:
        """A decision memo for every review of a finished cycle, as ``build_memo_sections`` writes it from the
        record at the decision-memo phase (before any appeal), naming the manager's manager as finally
        accountable (a people partner for those without one, the chief executive for the partners)."""
        from brightline.people.models import Dimension
        from brightline.reviews.models import DecisionMemo
        from brightline.templatetags.brightline_labels import citation

        people = {person.pk: person for person in self.people}
        partners = [p for p in self.people if p.access_role == AccessRole.PEOPLE_PARTNER]
        teams = {team.pk: team for team in self.teams}
        labels = dict(Dimension.choices)
        rows = []
        for plan in plans:
            review = plan.review
            manager = people.get(review.manager_id)
            above = people.get(manager.manager_id) if manager and manager.manager_id else None
            # Otherwise a people partner (another one for a people partner's own review), or the chief executive.
            accountable = next(p for p in (above, *partners, self.plan[0].person)
                               if p is not None and p.pk != review.person_id)
            titles = dict(plan.evidence)
            cited = sorted({ref for outcomes in plan.assessments.values() for ref in outcomes.cited})
            final = {dimension: outcomes.calibrated for dimension, outcomes in plan.assessments.items()}
            team = teams.get(review.team_id)
            generated = datetime.combine(last + timedelta(days=self.rng.randint(43, 46)),
                                         time(self.rng.randint(9, 17)), tzinfo=UTC)
            sections = {
                "outcomes": [{"dimension": dimension, "label": labels[dimension],
                              "proposed": outcomes.proposed, "final": outcomes.calibrated,
                              "rationale": outcomes.rationale, "citations": outcomes.cited}
                             for dimension, outcomes in sorted(plan.assessments.items())],
                "main_signals": [f"{citation(ref)}: {titles.get(int(ref.split(':')[1]), '')[:120]}" for ref in cited],
                "context": {"level": plan.person.level.code if plan.person.level else "",
                            "team": team.name if team else "", "team_mission": team.mission if team else "",
                            "workload_class": "", "self_review": review.self_review_context},
                "manager_interpretation": {"manager": manager.name if manager else "",
                                           "summary": review.manager_summary, "cross_functional_impact": "",
                                           "scope_growth": "", "promotion_readiness": review.promotion_readiness,
                                           "promotion_rationale": review.promotion_rationale},
                "calibration_changes": [{"dimension": dimension, "from": o.proposed, "to": o.calibrated,
                                         "by": o.change[0].name, "at": o.changed_at.isoformat(), "reason": o.change[1],
                                         "citations": o.cited[:1], "status": "applied", "source": "calibration",
                                         "approved_by": o.approver.name if o.approver else None}
                                        for dimension, o in sorted(plan.assessments.items()) if o.change is not None
                                        and o.changed_at is not None],
                "dissent": [{"panelist": member.name, "dimension": dimension, "pre_vote": vote,
                             "final": final[dimension], "note": note}
                            for member, dimension, vote, note in plan.votes if vote != final[dimension]],
                "ai_disagreements": [],
                "accountable": accountable.name,
            }
            rows.append((review.pk, sections, accountable.pk, self.partner.pk, generated))
        _ValuesWriter(DecisionMemo, ("review_id", "sections", "accountable_id", "generated_by_id",
                                     "generated_at")).write(rows)
        self.progress("decision memos", len(rows))

    def _chain(self, person_id: int) -> set[int]:
        """The ids of ``person_id``'s management chain, the person included (as stored after the people are in)."""
        if not hasattr(self, "chains"):
            self.chains = dict(Person.objects.values_list("pk", "chain_path"))
        return {int(part) for part in self.chains.get(person_id, "").strip("/").split("/") if part}

    def _ids(self, model: type[models.Model], by: str, values: Sequence[Any],
             key: tuple[str, ...]) -> dict[tuple[Any, ...], int]:
        """``{values of key: id}`` of the rows of ``model`` whose ``by`` is among ``values``, read a thousand at a
        time (rows written without their ids)."""
        found: dict[tuple[Any, ...], int] = {}
        for start in range(0, len(values), 1000):
            for row in model._default_manager.filter(**{f"{by}__in": values[start:start + 1000]}).values_list(
                    *key, "pk"):
                found[tuple(row[:-1])] = row[-1]
        return found

    # -- evidence written up by hand, and the growth space -----------------------------------------------------
    def _written_evidence(self) -> None:
        """Most people wrote up one or two things a half by hand (a design, a debrief, review notes, a runbook),
        each saying what changed, with the numbers before and after: what managers cite and drafts quote."""
        from brightline.evidence.models import EvidenceItem

        rows = []
        for person in self.people:
            if person.manager_id is None:
                continue
            for period, first, last in self._halves():
                begin = max(first, person.start_date or first)
                end = min(last, self.today - timedelta(days=1))
                for number, share in enumerate((0.55, 0.25)):
                    if begin >= end or self.rng.random() >= share:
                        continue
                    kind, title, summary, metric = self.rng.choice(WRITTEN_EVIDENCE)
                    low, high = METRIC_RANGES.get(metric, (6, 90))
                    before = self.rng.randint(low, high)
                    after = (self.rng.randint(40, 200) if metric == "p95_ms" else before * 2
                             if metric == "requests_per_second" else self.rng.randint(1, max(1, before // 3)))
                    fill = {"x": self._thing(), "a": str(before), "b": str(after), "n": str(self.rng.randint(2, 6))}
                    occurred = datetime.combine(begin + timedelta(days=self.rng.randint(0, (end - begin).days)),
                                                time(self.rng.randint(9, 17), self.rng.randrange(60)), tzinfo=UTC)
                    rows.append((kind, title.format(**fill), summary.format(**fill), occurred, person.pk,
                                 person.team_id, self.service_of_team.get(person.team_id or 0, ""), "manual",
                                 f"written-{person.pk}-{period}-{number}",
                                 {f"{metric}_before": before, f"{metric}_after": after} if metric else {},
                                 occurred + timedelta(hours=self.rng.randint(1, 30))))
        _ValuesWriter(EvidenceItem, ("kind", "title", "summary", "occurred_at", "person_id", "team_id", "service",
                                     "source", "source_ref", "metrics", "created_at")).write(rows)
        self.progress("written evidence", len(rows))
        self.written = [(person_id, pk, occurred, title) for pk, person_id, occurred, title in
                        EvidenceItem.objects.filter(source="manual", source_ref__startswith="written-")
                        .values_list("pk", "person_id", "occurred_at", "title").order_by("pk")]

    def _growth(self) -> None:
        """Training, one-to-one notes, checkpoints and drafted impact statements: see each part."""
        self._training()
        self._one_on_ones()
        self._checkpoints()
        self._impact_drafts()

    def _training(self) -> None:
        """Everyone who assesses someone passed the manager readiness module in the weeks before their first
        cycle; about one in six failed a first attempt and passed a few days later."""
        from brightline.feedback import training
        from brightline.feedback.models import TrainingAttempt

        first_cycle = self._halves()[-3][2]
        assessors = sorted({person.manager_id for person in self.people if person.manager_id is not None})
        correct = {question.key: question.correct for question in training.QUESTIONS}
        rows = []
        for manager_id in assessors:
            passed = datetime.combine(first_cycle - timedelta(days=self.rng.randint(5, 40)),
                                      time(self.rng.randint(9, 17), self.rng.randrange(60)), tzinfo=UTC)
            if self.rng.random() < 1 / 6:
                wrong = self.rng.sample(training.QUESTIONS, len(training.QUESTIONS) - training.PASS_MARK + 1)
                answers = {**correct, **{q.key: next(key for key, _ in q.options if key != q.correct) for q in wrong}}
                rows.append((manager_id, training.MODULE_VERSION, len(training.QUESTIONS) - len(wrong),
                             len(training.QUESTIONS), False, answers, passed - timedelta(days=self.rng.randint(2, 6))))
            rows.append((manager_id, training.MODULE_VERSION, len(training.QUESTIONS), len(training.QUESTIONS), True,
                         correct, passed))
        _ValuesWriter(TrainingAttempt, ("person_id", "module_version", "score", "out_of", "passed", "answers",
                                        "created_at")).write(rows)
        self.progress("training", len(rows))

    def _one_on_ones(self) -> None:
        """Seven pairs in ten keep notes of their one-to-ones, every two to four weeks over the last half year,
        mostly written by the manager; private to the two of them."""
        from brightline.feedback.models import OneOnOneNote

        rows = []
        since = self.today - timedelta(days=182)
        for person in self.people:
            if person.manager_id is None or self.rng.random() >= 0.7:
                continue
            first = person.name.split()[0]
            held = max(since, person.start_date or since) + timedelta(days=self.rng.randint(0, 14))
            while held < self.today:
                body = compose(self.rng, NOTE_OPENINGS, NOTE_MIDDLES, NOTE_CLOSINGS, first=first, x=self._thing())
                author = person.pk if self.rng.random() < 0.2 else person.manager_id
                rows.append((person.pk, person.manager_id, author, held, body,
                             datetime.combine(held, time(self.rng.randint(10, 17), self.rng.randrange(60)),
                                              tzinfo=UTC)))
                held += timedelta(days=self.rng.choice((14, 14, 21, 28)))
        _ValuesWriter(OneOnOneNote, ("person_id", "manager_id", "author_id", "held_on", "body", "created_at")).write(
            rows)
        self.progress("one-to-one notes", len(rows))

    def _checkpoints(self) -> None:
        """Half the engineers' managers record a quarterly checkpoint with them over the last year (wins, misses,
        impact, next steps), citing what the person wrote up in the quarter when there is something."""
        from brightline.feedback.models import Checkpoint

        written: dict[int, list[tuple[int, datetime]]] = {}
        for person_id, pk, occurred, _title in self.written:
            written.setdefault(person_id, []).append((pk, occurred))
        rows = []
        quarters = [self.today - timedelta(days=91 * ago) for ago in range(4, 0, -1)]
        for person in self.engineers:
            if self.rng.random() >= 0.5:
                continue
            for end in quarters:
                start = end - timedelta(days=91)
                if person.start_date and person.start_date > start:
                    continue
                items = [pk for pk, occurred in written.get(person.pk, []) if start <= occurred.date() < end]
                fill = {"x": self._thing(), "cite": f"[E:{items[-1]}]" if items else ""}
                label = f"Q{(end.month - 1) // 3 + 1} {end.year}"
                held = end - timedelta(days=self.rng.randint(0, 10))
                rows.append((person.pk, person.manager_id, person.manager_id, "quarterly", label, held,
                             compose(self.rng, CHECKPOINT_WINS, **fill).replace(" .", "."),
                             compose(self.rng, CHECKPOINT_MISSES, **fill),
                             compose(self.rng, CHECKPOINT_IMPACTS, **fill),
                             compose(self.rng, CHECKPOINT_NEXT, **fill),
                             datetime.combine(held, time(self.rng.randint(14, 17)), tzinfo=UTC)))
        _ValuesWriter(Checkpoint, ("person_id", "manager_id", "author_id", "cadence", "label", "held_on", "wins",
                                   "misses", "impact", "next_steps", "created_at")).write(rows)
        self.progress("checkpoints", len(rows))

    def _impact_drafts(self) -> None:
        """About one engineer in eight with something written up in the last quarter asked for impact statements
        drafted from it, by the product's own offline drafter and validator (every sentence cites an item and
        copies only its numbers); half are still drafts, a third approved as drafted, the rest discarded."""
        from brightline.core.narrative import draft_impact_statements, render_evidence_text
        from brightline.evidence.models import EvidenceItem
        from brightline.feedback.models import ImpactDraft
        from brightline.feedback.services import TEMPLATE_GENERATOR, to_core_evidence, validated_sentences

        window_start = self.today - timedelta(days=91)
        since = datetime.combine(window_start, time(0), tzinfo=UTC)
        recent = {person_id for person_id, _pk, occurred, _title in self.written if occurred >= since}
        asked = [person for person in self.engineers if person.pk in recent and self.rng.random() < 1 / 8]
        items: dict[int, list[Any]] = {}
        for item in (EvidenceItem.objects.filter(person_id__in=[p.pk for p in asked], occurred_at__gte=since,
                                                 source="manual").order_by("occurred_at", "pk")):
            items.setdefault(item.person_id, []).append(item)  # type: ignore[arg-type]
        drafts, used = [], []
        for person in asked:
            core = [to_core_evidence(item) for item in items.get(person.pk, [])]
            sentences = validated_sentences(draft_impact_statements(core, person_name=person.name),
                                             {c.evidence_id: render_evidence_text(c) for c in core})
            if not sentences:
                continue
            draw = self.rng.random()
            status = (ImpactDraft.Status.DRAFT if draw < 0.5 else ImpactDraft.Status.APPROVED if draw < 0.85
                      else ImpactDraft.Status.DISCARDED)
            created = datetime.combine(self.today - timedelta(days=self.rng.randint(1, 30)),
                                       time(self.rng.randint(9, 17)), tzinfo=UTC)
            approved = status == ImpactDraft.Status.APPROVED
            text = "\n".join(s["text"] for s in sentences if s["status"] == "accepted")
            drafts.append(ImpactDraft(person=person, window_start=window_start, window_end=self.today,
                                      generator=TEMPLATE_GENERATOR, sentences=sentences, requested_by=person,
                                      status=status, approved_text=text if approved else "",
                                      approved_by=person.manager if approved else None,
                                      approved_at=created + timedelta(days=2) if approved else None))
            used.append((created, [item.pk for item in items[person.pk]]))
        drafts = self._write(ImpactDraft, drafts, "impact drafts")
        for draft, (created, _ids) in zip(drafts, used, strict=True):
            draft.created_at = created  # written with the time of the run; its history is older
        ImpactDraft.objects.bulk_update(drafts, ["created_at"], batch_size=1000)
        through = ImpactDraft.evidence.through
        self._append(through, (through(impactdraft_id=draft.pk, evidenceitem_id=pk)
                               for draft, (_created, ids) in zip(drafts, used, strict=True) for pk in ids),
                     "impact drafts")

    # -- fairness inputs and time off ------------------------------------------------------------------
    def _fairness(self) -> None:
        from brightline.fairness.models import DemographicRecord
        from brightline.governance.demo import DEMOGRAPHICS
        from brightline.governance.models import HrisEvent, SurveyResponse
        from brightline.governance.surveys import CLARITY
        from brightline.policy.services import get_policy, update_policy

        allowed = get_policy().allowed_sources
        update_policy(actor=self.partner, reason="Demo: self-identification and pulse surveys for fairness audits.",
                      allowed_sources=[*allowed, *(k for k in ("demographics", "surveys") if k not in allowed)])
        drawn = ((person, attribute, self.rng.choices([v for v, _ in values], [w for _, w in values])[0])
                 for person in self.people for attribute, values in DEMOGRAPHICS.items())
        # An empty answer: the person did not say, and nothing is stored.
        self._append(DemographicRecord, (DemographicRecord(person=person, attribute=attribute, value=value)
                                        for person, attribute, value in drawn if value), "demographics")
        events: list[HrisEvent] = []
        seen: set[tuple[str, str, date]] = set()
        for person in self.engineers:
            code = person.level.code if person.level else ""
            if code in {"IC2", "IC3", "IC4", "IC5"} and self.rng.random() < 0.25:
                day = self.today - timedelta(days=self.rng.randint(30, 365 * self.years))
                if person.start_date and day > person.start_date:
                    events.append(HrisEvent(employee_id=person.employee_id, person=person, event="promoted", date=day,
                                            from_level=f"IC{int(code[2]) - 1}", to_level=code))
        teams = [team.name for team in self.teams]
        for index in range(max(3, len(self.people) // 12) * self.years):  # leavers and transfers, not in Brightline
            day = self.today - timedelta(days=self.rng.randint(1, 365 * self.years))
            kind = "left" if self.rng.random() < 0.7 else "transferred"
            key = (f"NX{index + 1:06d}", kind, day)
            if key in seen:
                continue
            seen.add(key)
            events.append(HrisEvent(employee_id=key[0], event=kind, date=day,
                                    regretted=self.rng.random() < 0.4 if kind == "left" else None,
                                    from_team=self.rng.choice(teams),
                                    to_team="" if kind == "left" else "Product management"))
        self._append(HrisEvent, events, "movements")
        rounds = [self.today - timedelta(days=91 * n + 12) for n in range(4 * self.years)]

        def answers() -> Iterator[SurveyResponse]:
            for manager in self.managers:
                reports = len([p for p in self.members.get(manager.team_id or 0, []) if p.pk != manager.pk])
                mean, trend = self.rng.uniform(3.0, 4.3), self.rng.uniform(-0.05, 0.05)
                for number, day in enumerate(rounds):
                    for _ in range(max(0, reports - self.rng.choice((0, 0, 1, 2)))):
                        yield SurveyResponse(survey_date=day, question=CLARITY, manager=manager,
                                             team_id=manager.team_id,
                                             answer=min(5, max(1, round(self.rng.gauss(mean + trend * number, 0.7)))))

        self._append(SurveyResponse, answers(), "surveys")

    def _time_off(self) -> None:
        from brightline.evidence.models import TimeOff

        kinds = [TimeOff.Kind.VACATION] * 8 + [TimeOff.Kind.SICK] * 3 + [TimeOff.Kind.OTHER]

        def rows() -> Iterator[TimeOff]:
            for person in self.people:
                day = max(self.start.date(), person.start_date or self.start.date())
                while True:
                    day += timedelta(days=self.rng.randint(40, 120))
                    if day >= self.today:
                        break
                    length = self.rng.randint(1, 10)
                    yield TimeOff(person=person, start_date=day, end_date=day + timedelta(days=length - 1),
                                  kind=self.rng.choice(kinds), source="demo")
                    day += timedelta(days=length)

        self._append(TimeOff, rows(), "time off")

    # -- support plans ---------------------------------------------------------------------------------------
    def _support_plans(self) -> None:
        """About one engineer in a hundred a year on a support plan opened by their manager and approved by a
        people partner, with two goals, check-ins at its cadence and sometimes a word from the person: those of
        past years closed (most succeeded), this year's active, a few still waiting for the second approver."""
        from django.db.models import Max, Min

        from brightline.dashboards.inbox import CADENCE_DAYS
        from brightline.evidence.models import EvidenceItem
        from brightline.support.models import Cadence, CheckIn, Diagnosis, PlanComment, SupportGoal, SupportPlan

        eligible = [person for person in self.engineers if person.manager_id is not None]
        chosen = {person.pk: (person, ago) for ago in range(self.years)
                  for person in self.rng.sample(eligible, min(len(eligible), max(2, round(len(eligible) / 100))))}
        cited = {row[0]: row[1:] for row in EvidenceItem.objects.filter(person_id__in=list(chosen))
                 .values("person_id").annotate(first=Min("pk"), last=Max("pk")).order_by()
                 .values_list("person_id", "first", "last")}
        plans, opened = [], []
        for person, ago in chosen.values():
            if person.pk not in cited:
                continue  # nobody is put on a plan without evidence to cite
            starts = self.today - timedelta(days=365 * ago + self.rng.randint(20, 150))
            cadence = self.rng.choice(Cadence.values)
            proposed = ago == 0 and self.rng.random() < 0.15
            if proposed:  # drafted and waiting for the second approver, to start next week
                starts = self.today + timedelta(days=self.rng.randint(3, 10))
            closed = starts + timedelta(days=84) < self.today
            outcome = (self.rng.choices(SupportPlan.Outcome.values, (6, 1, 2, 1))[0] if closed else "")
            first, last = cited[person.pk]
            drafted = datetime.combine(min(starts - timedelta(days=3), self.today - timedelta(days=1)), time(15),
                                       tzinfo=UTC)
            plans.append(SupportPlan(
                person=person, opened_by_id=person.manager_id,
                status=(SupportPlan.Status.PROPOSED if proposed else SupportPlan.Status.CLOSED if closed
                        else SupportPlan.Status.ACTIVE),
                diagnosis=self.rng.choice(Diagnosis.values),
                diagnosis_notes=f"Two deliveries slipped without warning [E:{first}] [E:{last}]; in our one-to-one "
                                f"we agreed the {self._thing()} work had grown past what one person can carry.",
                citations=[f"evidence_item:{first}", f"evidence_item:{last}"], cadence=cadence,
                support_offered="Pairing with a senior engineer twice a week, and a lighter on-call rota.",
                starts_on=starts, ends_on=starts + timedelta(days=84),
                approved_by=None if proposed else self.partner,
                approved_at=None if proposed else drafted + timedelta(days=1),
                outcome=outcome, outcome_reason="Both goals were met at the last check-in." if closed else "",
                closed_at=datetime.combine(starts + timedelta(days=84), time(16), tzinfo=UTC) if closed else None))
            opened.append(drafted)
        plans = self._write(SupportPlan, plans, "support plans")
        for plan, moment in zip(plans, opened, strict=True):
            plan.opened_at = moment  # written with the time of the run; its history is older
        SupportPlan.objects.bulk_update(plans, ["opened_at"], batch_size=1000)
        self._append(SupportGoal, (SupportGoal(plan=plan, description=description, success_criteria=criteria,
                                               acceptable_improvement="Most weeks, even if one slips.")
                                   for plan in plans for description, criteria in (
                                       ("Deliveries are announced before they slip.", "Every slip is raised a day "
                                        "ahead in the team channel."),
                                       ("A sustainable workload.", "No more than one on-call week in four."))),
                     "support plans")
        check_ins, comments = [], []
        self.plans = [plan for plan in plans if plan.status == SupportPlan.Status.ACTIVE]
        self.held: dict[int, list[date]] = {}
        for plan in plans:
            if plan.status == SupportPlan.Status.PROPOSED:
                continue
            held = plan.starts_on + timedelta(days=CADENCE_DAYS[plan.cadence])
            while held <= min(plan.ends_on, self.today - timedelta(days=1)):
                self.held.setdefault(plan.pk, []).append(held)
                check_ins.append((plan.pk, held, plan.opened_by_id,
                                  self.rng.choices(CheckIn.Progress.values, (5, 3, 2))[0],
                                  "Went through the goals; the pairing sessions are happening.",
                                  datetime.combine(held, time(16), tzinfo=UTC)))
                held += timedelta(days=CADENCE_DAYS[plan.cadence])
            if self.rng.random() < 0.5:
                comments.append((plan.pk, plan.person_id, "The pairing helps; I would like it on Thursdays.",
                                 datetime.combine(plan.starts_on + timedelta(days=10), time(9), tzinfo=UTC)))
        _ValuesWriter(CheckIn, ("plan_id", "held_on", "author_id", "progress", "notes", "created_at")).write(check_ins)
        _ValuesWriter(PlanComment, ("plan_id", "author_id", "body", "written_at")).write(comments)
        self.progress("support plans", len(check_ins) + len(comments))

    # -- promotion cases and notification choices -----------------------------------------------------------
    def _promotions(self) -> None:
        """About one engineer in twelve with evidence to cite nominated each year for the next level (one case a
        person; about 2,000 cases at 10,000 people), with evidence cited on every expectation; one in twenty
        withdrawn by the nominator. Cases of past years were decided by a panel of three managers from outside the
        person's chain (with pre-votes, reasons, the accountable person and the memo), and about one "not yet" in
        eight appealed; this year's still gather evidence or wait for the panel. Open roles per level and year."""
        from brightline.evidence.models import EvidenceItem
        from brightline.people.models import Dimension
        from brightline.promotions.demo import DIMENSION_NOTES
        from brightline.promotions.models import (
            CaseCitation,
            CaseDecision,
            CasePanelist,
            CasePreVote,
            CaseStatus,
            OpenRoles,
            PromotionCase,
        )
        from brightline.promotions.services import MIN_CITATIONS_PER_EXPECTATION, build_promotion_memo

        next_level = {code: level.next_level() for code, level in self.levels.items()}
        chosen: list[tuple[Person, int]] = []  # (person, years ago: 0 is this year)
        for ago in range(self.years):
            for person in self.engineers:
                code = person.level.code if person.level else ""
                if next_level.get(code) is not None and self.rng.random() < 1 / 12:
                    chosen.append((person, ago))
        chosen = list({person.pk: (person, ago) for person, ago in chosen}.values())  # one case a person
        items: dict[int, list[tuple[int, date]]] = {}
        for person_id, item_id, occurred in (EvidenceItem.objects.filter(person_id__in=[p.pk for p, _ in chosen])
                                             .order_by("person_id", "-occurred_at", "-pk")
                                             .values_list("person_id", "pk", "occurred_at").iterator(chunk_size=BATCH)):
            kept = items.setdefault(person_id, [])
            if len(kept) < 4 * MIN_CITATIONS_PER_EXPECTATION * len(Dimension.values):
                kept.append((item_id, occurred.date()))
        # Nobody is nominated without evidence to cite.
        chosen = [(person, ago) for person, ago in chosen if len(items.get(person.pk, ())) >= len(Dimension.values)]
        cases, moments = [], []
        for person, ago in chosen:
            nominated = self.end - timedelta(days=365 * ago + self.rng.randint(20 if ago == 0 else 90, 200))
            status = (CaseStatus.WITHDRAWN if self.rng.random() < 0.05 else CaseStatus.DECIDED if ago
                      else self.rng.choice((CaseStatus.NOMINATED, CaseStatus.PANEL)))
            cases.append(PromotionCase(
                person=person, from_level=person.level, to_level=next_level[person.level.code],  # type: ignore[union-attr]
                manager_id=person.manager_id, nominated_by_id=person.manager_id or person.pk, status=status,
                rationale=f"Runs the {self._thing()} end to end and already leads design reviews for it.",
                min_citations=MIN_CITATIONS_PER_EXPECTATION))
            moments.append(nominated)
        cases = self._write(PromotionCase, cases, "promotions")
        for case, moment in zip(cases, moments, strict=True):
            case.nominated_at = moment  # written with the time of the run; its history is older
        PromotionCase.objects.bulk_update(cases, ["nominated_at"], batch_size=1000)
        citations = []
        for case in cases:
            pool = items.get(case.person_id, [])
            for position, dimension in enumerate(Dimension.values):
                picked = pool[position::len(Dimension.values)][:MIN_CITATIONS_PER_EXPECTATION]
                citations.extend(CaseCitation(case=case, dimension=dimension, kind="evidence_item",
                                              object_id=str(item_id), occurred_on=occurred,
                                              note=DIMENSION_NOTES[dimension] if not index else "",
                                              added_by_id=case.nominated_by_id)
                                 for index, (item_id, occurred) in enumerate(picked))
        self._append(CaseCitation, citations, "promotions")
        chains = dict(Person.objects.filter(pk__in=[case.person_id for case in cases])
                      .values_list("pk", "chain_path"))
        seats, votes = [], []
        for case in cases:
            if case.status in (CaseStatus.NOMINATED, CaseStatus.WITHDRAWN):
                continue
            chain = set(chains.get(case.person_id, "").strip("/").split("/"))
            panel: list[Person] = []
            while len(panel) < 3:
                candidate = self.rng.choice(self.managers)
                if str(candidate.pk) not in chain and candidate not in panel:
                    panel.append(candidate)
            seats.extend(CasePanelist(case=case, person=member, added_by=self.partner) for member in panel)
            if case.status == CaseStatus.DECIDED:
                leaning = self.rng.random() < 0.65
                votes.extend(CasePreVote(case=case, panelist=member, vote=CaseDecision.PROMOTED
                                         if (self.rng.random() < 0.8) == leaning else CaseDecision.NOT_YET)
                             for member in panel)
        self._append(CasePanelist, seats, "promotions")
        self._append(CasePreVote, votes, "promotions")
        tally: dict[int, list[str]] = {}
        for vote in votes:
            tally.setdefault(vote.case_id, []).append(vote.vote)
        decided = [case for case in cases if case.status == CaseStatus.DECIDED]
        for case, moment in zip(cases, moments, strict=True):
            if case.status != CaseStatus.DECIDED:
                continue
            cast = tally.get(case.pk, [])
            decision = (CaseDecision.PROMOTED if cast.count(CaseDecision.PROMOTED) * 2 > len(cast)
                        else CaseDecision.NOT_YET)
            cited = [f"evidence_item:{item_id}" for item_id, _ in items.get(case.person_id, [])[:2]]
            reason = ("The cited work shows the next level's scope over more than two quarters."
                      if decision == CaseDecision.PROMOTED else
                      "Strong delivery, but the design and mentoring evidence covers one quarter only.")
            reason += "".join(f" [E:{ref.split(':')[1]}]" for ref in cited)
            # Never someone the case's conflict rules exclude (the chief executive is in everyone's chain).
            accountable = self.partner
            case.memo = build_promotion_memo(case, decision=decision, reason=reason, cited=cited,
                                             accountable=accountable, decided_by=self.partner)
            case.decision, case.decision_reason, case.decision_citations = decision, reason, cited
            case.ready_at_decision = (decision == CaseDecision.PROMOTED) != case.memo["departs_from_readiness"]
            case.accountable, case.decided_by = accountable, self.partner
            case.decided_at = moment + timedelta(days=self.rng.randint(40, 80))
            self.progress("promotions", 1)
        PromotionCase.objects.bulk_update(decided, ["memo", "decision", "decision_reason", "decision_citations",
                                                    "ready_at_decision", "accountable", "decided_by", "decided_at"],
                                          batch_size=500)
        self._case_appeals(decided)
        log_actions((("promotions.case.nominated", case, {"person": case.person_id, "source": "demo"})
                     for case in cases), None, actor_label="demo")
        years = sorted({(self.today - timedelta(days=365 * ago)).year for ago in range(self.years)})
        self._append(OpenRoles, (OpenRoles(level=level, period=str(year),
                                           count=max(1, round(len(self.engineers) / 60 * self.rng.uniform(0.6, 1.4))),
                                           entered_by=self.partner)
                                 for year in years for code, level in self.levels.items()
                                 if code.startswith("IC") and code != "IC1"), "promotions")

    def _case_appeals(self, decided: list[Any]) -> None:
        """About one "not yet" in eight appealed ten days after the decision, to a second reviewer outside the
        person's chain: about a quarter changed to a promotion (the memo says so, as the service writes it), the
        rest upheld, a few of those taken one step further. Everyone promoted, by the panel or on appeal, is now
        at the level the case was for."""
        from brightline.promotions.models import CaseAppeal, CaseDecision, PromotionCase

        appeals, filed = [], []
        for case in decided:
            if case.decision != CaseDecision.NOT_YET or self.rng.random() >= 1 / 8:
                continue
            chain = self._chain(case.person_id)
            reviewer = next((p for p in self.rng.sample(self.managers, min(5, len(self.managers)))
                             if p.pk not in chain), self.partner)
            moment = case.decided_at + timedelta(days=10)
            appeal = CaseAppeal(case=case, reviewer=reviewer, due_on=(moment + timedelta(days=30)).date(),
                                context="The panel did not weigh the design reviews I led for two other teams.",
                                status=CaseAppeal.Status.DECIDED, decision=CaseAppeal.Decision.UPHELD,
                                decision_reason="The design reviews are cited; they cover one quarter, as the panel "
                                                "said.", decided_at=moment + timedelta(days=self.rng.randint(5, 25)))
            if self.rng.random() < 0.25:
                appeal.decision = CaseAppeal.Decision.CHANGED
                appeal.decision_reason = self.rng.choice((
                    "The design reviews for the other teams cover two quarters, not one; with them the case meets "
                    "every expectation of the next level.",
                    "The panel read the mentoring evidence as one quarter; the cited items span three.",
                    "The incident reviews the person led are next-level scope, and the panel did not weigh them."))
                case.memo = {**case.memo, "appeal": {"reviewer": reviewer.name, "decision": appeal.decision,
                                                     "reason": appeal.decision_reason, "from": case.decision,
                                                     "stage": "second_review"}}
                case.decision = CaseDecision.PROMOTED
                case.version += 1
            elif self.rng.random() < 0.2:
                appeal.status = CaseAppeal.Status.CLOSED
                appeal.escalation_reason = "The second reviewer read the reviews but not their outcomes."
                appeal.escalated_at = appeal.decided_at + timedelta(days=2)
                appeal.escalation_due_on = (appeal.escalated_at + timedelta(days=30)).date()
                appeal.escalation_reviewer = self.partner if reviewer != self.partner else self.managers[0]
                appeal.escalation_decision = CaseAppeal.Decision.UPHELD
                appeal.escalation_decision_reason = "The outcomes were read too; the decision stands, finally."
                appeal.escalation_decided_at = appeal.escalated_at + timedelta(days=12)
            appeals.append(appeal)
            filed.append(moment)
        appeals = self._write(CaseAppeal, appeals, "promotions")
        for appeal, moment in zip(appeals, filed, strict=True):
            appeal.filed_at = moment  # written with the time of the run; its history is older
        CaseAppeal.objects.bulk_update(appeals, ["filed_at"], batch_size=1000)
        changed = [appeal.case for appeal in appeals if appeal.decision == CaseAppeal.Decision.CHANGED]
        PromotionCase.objects.bulk_update(changed, ["decision", "memo", "version"], batch_size=500)
        promoted = {case.person_id: case for case in decided if case.decision == CaseDecision.PROMOTED}
        people = [person for person in self.people if person.pk in promoted]
        for person in people:
            person.level = promoted[person.pk].to_level
        Person.objects.bulk_update(people, ["level"], batch_size=1000)
        log_actions((("people.person.level_changed", person, {
            "level": {"from": promoted[person.pk].from_level.code, "to": promoted[person.pk].to_level.code},
            "promotion_case": promoted[person.pk].pk, "source": "demo"}) for person in people),
            None, actor_label="demo")

    def _notifications(self) -> None:
        """Most people keep the daily digest (no row); some chose right-away e-mails or a weekly digest, among
        them the manager one logs in as (``manager``). Then the notices of the last year (see ``_notices``)."""
        from brightline.notifications.models import Digest, Frequency, NotificationSettings

        draws = {person.pk: 0.0 if person.user.username == "manager" else self.rng.random()  # type: ignore[union-attr]
                 for person in self.people}
        self.frequency = {pk: Frequency.IMMEDIATE if draw < 0.15 else Frequency.WEEKLY
                          for pk, draw in draws.items() if draw < 0.35}
        self._append(NotificationSettings, (NotificationSettings(
            person=person, frequency=self.frequency[person.pk],
            digest=Digest.DAILY if self.frequency[person.pk] == Frequency.IMMEDIATE else Digest.WEEKLY)
            for person in self.people if person.pk in self.frequency), "notifications")
        self._notices()

    def _notices(self) -> None:
        """What the notification runs of the last year (notices are kept that long) would have left: for each
        feedback request a respondent was asked, each self review and assessment a cycle asked for, each review
        released, each appeal decided and each support-plan check-in coming due, a notice keyed as the runs key
        it, e-mailed right away, in the next morning's digest or in the next Monday's as the person chose. What
        falls after the day the demo is built for still waits (the open cycle's assessments for the digests), and
        one in three hundred was refused by the mail server five times. The notices of the last week before that
        day are unread on the person's notices page; the older ones were read."""
        from brightline.dashboards.inbox import CADENCE_DAYS, CHECK_IN_NOTICE_DAYS
        from brightline.notifications.models import Frequency, Notice
        from brightline.notifications.services import MAX_ATTEMPTS, event_key
        from brightline.reviews.models import Phase

        def url(name: str) -> Callable[[int], str]:
            marker = 987654321
            text = reverse(name, args=[marker])
            return lambda pk: text.replace(str(marker), str(pk))

        answer, review_url, appeal_url, plan_url = (url(name) for name in (
            "feedback:answer", "reviews:review", "reviews:appeal", "support:plan"))
        names = {person.pk: person.name for person in self.people}
        cutoff = datetime.combine(self.today, time(23, 59), tzinfo=UTC)
        unread_since = cutoff - timedelta(days=7)
        rows: list[tuple[Any, ...]] = []

        def notice(person_id: int, key: str, kind: str, title: str, path: str, created: datetime,
                   due_on: date | None = None) -> None:
            if not self.kept_since <= created <= cutoff:
                return  # deleted by now, or not yet due
            frequency = self.frequency.get(person_id, Frequency.DAILY)
            if frequency == Frequency.IMMEDIATE:
                sent = created + timedelta(minutes=self.rng.randint(1, 55))
            else:
                day = created.date() + timedelta(days=1)
                if frequency == Frequency.WEEKLY:
                    day += timedelta(days=-day.weekday() % 7)
                sent = datetime.combine(day, time(7), tzinfo=UTC)
            failed = self.rng.random() < 1 / 300
            status = (Notice.Status.PENDING if sent > cutoff else Notice.Status.FAILED if failed
                      else Notice.Status.SENT)
            rows.append((person_id, key, kind, title[:300], path, due_on, status,
                         MAX_ATTEMPTS if status == Notice.Status.FAILED else 0,
                         "The mail server refused the address." if status == Notice.Status.FAILED else "",
                         created, sent if status == Notice.Status.SENT else None, created > unread_since))

        for respondent, invitation, asked, subject in self.asked:
            path = answer(invitation)
            notice(respondent, event_key("feedback_request", path, asked.isoformat()), "feedback_request",
                   f"Give feedback about {subject}", path, asked)
        for cycle, reviews, last in self.cycles:
            self_review = datetime.combine(last - timedelta(days=14), time(9), tzinfo=UTC)
            assess = (cycle.phase_changed_at if cycle.phase == Phase.MANAGER_ASSESSMENT
                      else datetime.combine(last + timedelta(days=3), time(9), tzinfo=UTC))
            released = datetime.combine(last + timedelta(days=22), time(9), tzinfo=UTC)
            for review in reviews:
                path = review_url(review.pk)
                notice(review.person_id, event_key("self_review", path, self_review.isoformat()), "self_review",
                       f"Write your self review for {cycle.name}", path, self_review, last - timedelta(days=4))
                notice(review.manager_id, event_key("assessment", path, assess.isoformat()), "assessment",
                       f"Assess {names[review.person_id]} ({cycle.name})", path, assess)
                if cycle.phase == Phase.CLOSED:
                    notice(review.person_id, event_key("released", review.pk), "released",
                           f"Your review for {cycle.name} is released", path, released)
        for appeal in self.appeals:
            cycle_name = next(cycle.name for cycle, _, _ in self.cycles if cycle.pk == appeal.review.cycle_id)
            for key, moment, title in (
                    (event_key("appeal_decided", appeal.pk), appeal.decided_at,
                     f"Your appeal ({cycle_name}) has been decided"),
                    (event_key("appeal_escalation_decided", appeal.pk), appeal.escalation_decided_at,
                     f"Your escalated appeal ({cycle_name}) has been decided")):
                if moment is not None:
                    notice(appeal.review.person_id, key, "appeal_decided", title, appeal_url(appeal.pk), moment)
        for plan in self.plans:
            held = [plan.starts_on, *self.held.get(plan.pk, [])]
            for since in held:
                due = since + timedelta(days=CADENCE_DAYS[plan.cadence])
                notice(plan.opened_by_id, event_key("check_in", plan_url(plan.pk),
                                                    datetime.combine(since, time(0), tzinfo=UTC).isoformat()),
                       "check_in", f"Hold the support-plan check-in with {names[plan.person_id]}", plan_url(plan.pk),
                       datetime.combine(due - timedelta(days=CHECK_IN_NOTICE_DAYS), time(6), tzinfo=UTC), due)
        _ValuesWriter(Notice, ("person_id", "key", "kind", "title", "path", "due_on", "status", "attempts",
                               "last_error", "created_at", "sent_at", "unread")).write(rows)
        self.progress("notices", len(rows))
