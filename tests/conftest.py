"""Shared test base: the personas every permission test uses, and helpers to act as them.

Erin (employee) reports to Mo (manager), who reports to Lee (skip-level leader). Pat is
Erin's peer under Mo. Pia is a people partner. Oscar is an outsider in another team and
another reporting line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

# Playwright's sync API runs an event loop in the test thread; the database calls the tests
# make around it are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# The suite runs the product as `make run` installs it: without the optional contextual model, even where its
# weights are installed (scripts/test.sh installs them). The contextual model's own tests clear this setting.
if "BRIGHTLINE_CONTEXTUAL_MODEL_DIR" not in os.environ:
    import tempfile

    os.environ["BRIGHTLINE_CONTEXTUAL_MODEL_DIR"] = tempfile.mkdtemp(prefix="brightline-no-contextual-model-")

PASSWORD = "a-long-test-password"
# The date-sensitivity check (scripts/test.sh) runs the demo tests with the clock this many days from
# today, moved with time-machine inside the test process; the machine's own clock is never changed.
CLOCK_SHIFT_DAYS = int(os.environ.get("BRIGHTLINE_TEST_CLOCK_SHIFT_DAYS") or 0)


_clock_traveller = None


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's own PBKDF2 hasher with one iteration instead of a million (0.3 s of CPU for each hash)."""

    iterations = 1


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashing():
    """Passwords are hashed and checked as in production, by the same PBKDF2 code, with one iteration: a
    million iterations is deliberately slow, and the tests hash a password for every set of personas."""
    from django.conf import settings

    if not settings.configured:  # tests/core run without Django too
        yield
        return
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["tests.conftest.QuickPBKDF2PasswordHasher"]):
        yield


def pytest_configure(config):
    """Move the clock before the test modules are imported, so their module-level dates move too."""
    global _clock_traveller
    if CLOCK_SHIFT_DAYS and _clock_traveller is None:
        from datetime import UTC, datetime, timedelta

        import time_machine

        _clock_traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=CLOCK_SHIFT_DAYS), tick=True)
        _clock_traveller.start()


# The longest test files, longest first (measured on CI's two cores). scripts/test.sh hands files to its two
# workers in collection order (--no-loadscope-reorder), so these start first and the short files fill in
# around them, instead of one worker running a five-minute file alone at the end. List a new file here when
# it takes more than a minute or two; the other files follow, the ones with the most tests first. On PostgreSQL the
# first file on each worker builds the demo once for the worker (``demo_snapshot``), so the files that copy it
# (browser layout and personas, batched insights) are short now.
LONGEST_FILES_FIRST = (
    "tests/test_browser_walk.py",
    "tests/test_routes_personas.py",
    "tests/test_api_live_schemathesis.py",
    "tests/test_demo_calendar.py",
    "tests/test_jobs.py",
    "tests/test_sso_oidc.py",
    "tests/test_demo_coherence.py",
    "tests/test_governance_demo.py",
    "tests/test_insights_api.py",
    "tests/test_browser_layout.py",
)


# A test reaches the test database only through these (pytest-django refuses database access otherwise).
DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_setup", "django_db_reset_sequences",
                     "django_db_serialized_rollback", "_django_db_helper"}


def uses_test_database(item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    info = getattr(item, "_fixtureinfo", None)
    asked = set(info.argnames) if info is not None else set()  # django_db_blocker is everywhere, asked or not
    return (item.get_closest_marker("django_db") is not None or bool(fixtures & DATABASE_FIXTURES)
            or "django_db_blocker" in asked)


def pytest_collection_modifyitems(config, items):
    """Mark the tests that use no test database ``no_database`` (scripts/test.sh runs them once, on PostgreSQL);
    then order the files: longest first, then those with the most tests; each file's tests keep their order."""
    counts: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    for position, item in enumerate(items):
        path = item.nodeid.split("::")[0]
        counts[path] = counts.get(path, 0) + 1
        first_seen.setdefault(path, position)
        if not uses_test_database(item):
            item.add_marker(pytest.mark.no_database)

    def rank(item) -> tuple[int, int, int]:
        path = item.nodeid.split("::")[0]
        if path in LONGEST_FILES_FIRST:
            return LONGEST_FILES_FIRST.index(path), 0, 0
        return len(LONGEST_FILES_FIRST), -counts[path], first_seen[path]

    items.sort(key=rank)


def pytest_unconfigure(config):
    global _clock_traveller
    if _clock_traveller is not None:
        _clock_traveller.stop()
        _clock_traveller = None


@dataclass
class Personas:
    erin: object
    mo: object
    pat: object
    lee: object
    pia: object
    oscar: object

    def all(self) -> dict[str, object]:
        return dict(self.__dict__)


@pytest.fixture
def organisation(db):
    from brightline.people.services import get_organisation

    return get_organisation()


@pytest.fixture
def ladder(db):
    from brightline.people.services import install_default_ladder

    install_default_ladder(actor_label="test")
    from brightline.people.models import Level

    return {level.code: level for level in Level.objects.all()}


@pytest.fixture
def personas(db, organisation, ladder) -> Personas:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from brightline.people.models import AccessRole, Person, Team, WorkloadClass

    password_hash = make_password(PASSWORD)
    payments = Team.objects.create(organisation=organisation, slug="payments", name="Payments",
                                   workload_class=WorkloadClass.PRODUCT)
    platform = Team.objects.create(organisation=organisation, slug="platform", name="Platform",
                                   workload_class=WorkloadClass.PLATFORM)

    def make(username: str, name: str, *, manager=None, team=None, level="IC2", role=AccessRole.EMPLOYEE):
        user = get_user_model().objects.create(username=username, password=password_hash)
        return Person.objects.create(organisation=organisation, user=user, employee_id=f"E-{username}", name=name,
                                     email=f"{username}@example.org", manager=manager, team=team,
                                     level=ladder[level], timezone="Europe/Berlin", access_role=role)

    lee = make("lee", "Lee Leader", level="M3", role=AccessRole.LEADER)
    mo = make("mo", "Mo Manager", manager=lee, team=payments, level="M1")
    erin = make("erin", "Erin Employee", manager=mo, team=payments)
    pat = make("pat", "Pat Peer", manager=mo, team=payments, level="IC3")
    pia = make("pia", "Pia Partner", level="M1", role=AccessRole.PEOPLE_PARTNER)
    oscar_manager = make("olga", "Olga Othermanager", team=platform, level="M1")
    oscar = make("oscar", "Oscar Outsider", manager=oscar_manager, team=platform)
    return Personas(erin=erin, mo=mo, pat=pat, lee=lee, pia=pia, oscar=oscar)


@pytest.fixture
def client_for(client):
    """Log a persona in on a fresh test client: ``client_for(personas.mo)``."""
    from django.test import Client

    def login(person, *, enforce_csrf_checks: bool = False) -> Client:
        browser = Client(enforce_csrf_checks=enforce_csrf_checks)
        browser.force_login(person.user)
        return browser

    return login


def audit_actions() -> list[str]:
    from brightline.audit.models import AuditEntry

    return list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))


@pytest.fixture
def scim(client, organisation):
    """SCIM requests with the read-only or the read-write token of an administrator, Zed Admin (``Z-admin``):
    ``scim("post", "/Users/.search", body, scope=TokenScope.READ)``. tests/test_scim.py has its own."""
    import json

    from brightline.people.models import AccessRole, Person, TokenScope
    from brightline.people.tokens import create_api_token

    admin = Person.objects.create(organisation=organisation, employee_id="Z-admin", name="Zed Admin",
                                  email="zed@example.org", access_role=AccessRole.ADMIN)
    keys = {scope: create_api_token(admin, name=scope, actor=None, actor_label="test", scope=scope)
            for scope in (TokenScope.READ, TokenScope.WRITE)}

    def send(method: str, path: str, body: object = None, *, scope: str = TokenScope.WRITE):
        data = json.dumps(body) if body is not None else None
        return getattr(client, method)(f"/scim/v2{path}", data=data, content_type="application/scim+json",
                                       HTTP_AUTHORIZATION=f"Bearer {keys[scope]}")

    return send


@pytest.fixture
def demographics_allowed(personas):
    """The policy's allow-list includes demographics (off by default): a people partner opted in."""
    from brightline.policy.services import get_policy, update_policy

    update_policy(actor=personas.pia, reason="voluntary self-identification for fairness audits",
                  allowed_sources=[*get_policy().allowed_sources, "demographics"])


# ---- Browser tests: one Chromium per module and the demo organisation (modules may define their own ``demo``).


@pytest.fixture(scope="module")
def browser():
    from tests.browser_helpers import CHROMIUM, CHROMIUM_ARGS

    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def demo_snapshot(django_db_setup, django_db_blocker):
    """On PostgreSQL, the demo organisation built once per test database and kept aside (see
    ``tests.demo_helpers.DemoSnapshot``); None elsewhere. Use it through ``demo_from``."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield None
        return
    from tests.demo_helpers import DemoSnapshot

    with django_db_blocker.unblock():
        snapshot = DemoSnapshot.take()
    yield snapshot
    with django_db_blocker.unblock():
        snapshot.drop()


@pytest.fixture
def demo(transactional_db, demo_snapshot):
    """The demo organisation, committed (the live server sees it) and emptied after the test, as a load would."""
    from tests.demo_helpers import demo_from

    return demo_from(demo_snapshot).to_json()
