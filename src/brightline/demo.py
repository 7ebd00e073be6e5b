"""The demo organisation: deterministic, realistic, about 60 people in 8 teams.

Built only by ``brightline demo load``; no demo login exists otherwise. Later features add
their history (evidence, feedback, past review cycles) as further steps of ``load_demo``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from brightline.audit.services import log_action
from brightline.core.demo_calendar import on_demo_calendar
from brightline.people.models import (
    AccessRole,
    Identity,
    Level,
    Organisation,
    Person,
    Team,
    WorkloadClass,
    WorkModality,
)
from brightline.people.services import install_default_ladder

DEMO_ORGANISATION_SLUG = "default"
DEMO_ORGANISATION_NAME = "Northwind Software (demo)"
DEMO_PASSWORD = "brightline-demo"
DEMO_EMAIL_DOMAIN = "northwind.example"
# A demo is built for the day it is loaded: see ``brightline.core.demo_calendar``.

TEAMS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("payments", "Payments", WorkloadClass.PRODUCT, "Let customers pay and get paid reliably in 30 currencies.",
     ("Europe/Berlin", "Europe/London")),
    ("checkout", "Checkout", WorkloadClass.PRODUCT, "Make buying fast and clear on every device.",
     ("Europe/London", "Europe/Lisbon")),
    ("search", "Search and discovery", WorkloadClass.PRODUCT, "Help customers find the right product first time.",
     ("America/New_York", "America/Toronto")),
    ("mobile", "Mobile apps", WorkloadClass.PRODUCT, "Ship the iOS and Android apps customers rely on.",
     ("America/Sao_Paulo", "America/New_York")),
    ("platform", "Cloud platform", WorkloadClass.PLATFORM, "Give product teams a paved road to production.",
     ("Europe/Berlin", "Asia/Kolkata")),
    ("devex", "Developer experience", WorkloadClass.PLATFORM, "Fast, trustworthy builds, tests and reviews.",
     ("Asia/Kolkata", "Europe/Warsaw")),
    ("sre", "Site reliability", WorkloadClass.SRE, "Keep production healthy and incidents short.",
     ("Australia/Sydney", "Europe/Dublin", "America/Chicago")),
    ("billing-legacy", "Billing (legacy)", WorkloadClass.LEGACY,
     "Stabilise the legacy billing system until its replacement is live.", ("Europe/Madrid", "Africa/Lagos")),
)

FIRST_NAMES = (
    "Amara", "Bjorn", "Chen", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Luca",
    "Maya", "Nikhil", "Olga", "Pablo", "Qi", "Rosa", "Sami", "Tala", "Uma", "Viktor", "Wen", "Ximena",
    "Yusuf", "Zara", "Aisha", "Bruno", "Carmen", "Dev", "Esther", "Felix", "Gita", "Hamid", "Ivy", "Jae",
    "Kofi", "Lena", "Marco", "Noor", "Omar", "Priya", "Rafael", "Sofia", "Tomas", "Valeria", "Wei", "Yara",
    "Zane", "Anika", "Benedikt", "Chiara", "Diego", "Emeka", "Freya", "Goran", "Hana", "Ibrahim",
)
LAST_NAMES = (
    "Adeyemi", "Bauer", "Castillo", "Dimitrov", "Eriksen", "Fernandes", "Garcia", "Hoffmann", "Ibrahim",
    "Jensen", "Kowalski", "Larsen", "Mensah", "Novak", "Oliveira", "Patel", "Quinn", "Rossi", "Sato",
    "Tanaka", "Urban", "Varga", "Wagner", "Xu", "Yilmaz", "Zhang", "Ahmed", "Brown", "Costa", "Das",
)


@dataclass(frozen=True)
class Persona:
    username: str
    role: str
    name: str
    team: str | None
    level: str | None  # None: not on an engineering career ladder (the people partner)
    access_role: str


# The people a visitor logs in as. Erin's manager is Mo; Pat is Erin's peer; Lee is Mo's manager.
PERSONAS = (
    Persona("erin", "employee", "Erin Okafor", "payments", "IC2", AccessRole.EMPLOYEE),
    Persona("mo", "manager", "Mo Haddad", "payments", "M1", AccessRole.EMPLOYEE),
    Persona("pat", "peer", "Pat Nguyen", "payments", "IC3", AccessRole.EMPLOYEE),
    Persona("lee", "leader", "Lee Fischer", None, "M3", AccessRole.LEADER),
    Persona("pia", "people_partner", "Pia Santos", None, None, AccessRole.PEOPLE_PARTNER),
    Persona("ada", "admin", "Ada Lindqvist", None, "IC4", AccessRole.ADMIN),
)


@dataclass(frozen=True)
class DemoContext:
    """What each app's demo step receives to add its history (evidence, feedback, cycles)."""

    rng: random.Random
    organisation: Organisation
    people: list[Person]
    teams: dict[str, Team]
    personas: dict[str, Person]
    today: date

    def date(self, reference_day: date) -> date:
        """A fixed date of the history, on this demo's calendar."""
        return on_demo_calendar(reference_day, self.today)


# Each module defines build_demo_history(context); they run in this order because later steps
# cite what earlier ones created (reviews cite evidence and feedback).
DEMO_HISTORY_STEPS = (
    "brightline.evidence.demo",
    "brightline.feedback.demo",
    "brightline.reviews.demo",
    "brightline.support.demo",
    "brightline.promotions.demo",
    "brightline.goals.demo",
    "brightline.governance.demo",
    # Last: signals are computed from everything the steps before created.
    "brightline.insights.demo",
)


def _history_step(module_name: str) -> Any:
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        return lambda context: None
    return module.build_demo_history


@dataclass
class DemoResult:
    created: bool
    people: int
    teams: int
    today: date
    accounts: list[dict[str, str]] = field(default_factory=list)
    # Wall seconds per phase of the build (the large demo), in the order they ran.
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "people": self.people, "teams": self.teams,
                "built_for": self.today.isoformat(), "accounts": self.accounts, "password": DEMO_PASSWORD}


def _accounts() -> list[dict[str, str]]:
    return [{"username": p.username, "role": p.role, "name": p.name} for p in PERSONAS]


ERR_OTHER_DATA = ("not loading the demo: this database already holds {count} people who are not part of it; "
                  "use an empty database (for example DATABASE_URL=sqlite:///var/demo.sqlite3)")


class DemoRefused(Exception):
    """The database holds real people; the demo must not be mixed into it."""


def demo_exists() -> bool:
    return Person.objects.filter(email=f"erin@{DEMO_EMAIL_DOMAIN}").exists()


def demo_today() -> date | None:
    """The day the loaded demo was built for (its history ends then), or None without a demo."""
    from brightline.audit.models import AuditEntry

    entry = AuditEntry.objects.filter(action="demo.loaded").order_by("-seq").first()
    if entry is None:
        return None
    built_for = json.loads(entry.data_json).get("built_for")
    return date.fromisoformat(built_for) if built_for else None


def load_demo(*, seed: int = 7, today: date | None = None) -> DemoResult:
    """Build the demo organisation once; a second call changes nothing and returns the accounts.

    ``today`` is the day the demo is built for (default: the current date): its history ends then.
    """
    if demo_exists():
        return DemoResult(False, Person.objects.count(), Team.objects.count(), demo_today() or timezone.localdate(),
                          _accounts())
    if Person.objects.exists():
        raise DemoRefused(ERR_OTHER_DATA.format(count=Person.objects.count()))
    today = today or timezone.localdate()
    rng = random.Random(seed)
    with transaction.atomic():
        install_default_ladder(actor_label="demo")
        organisation, _ = Organisation.objects.update_or_create(slug=DEMO_ORGANISATION_SLUG,
                                                                defaults={"name": DEMO_ORGANISATION_NAME})
        builder = _DemoBuilder(rng, organisation, today)
        builder.build()
        context = DemoContext(rng=rng, organisation=organisation, people=builder.people, teams=builder.teams,
                              personas={p.user.username: p for p in builder.people
                                        if p.user and p.user.username in {x.username for x in PERSONAS}},
                              today=today)
        for module_name in DEMO_HISTORY_STEPS:
            _history_step(module_name)(context)
        # The records were last changed on the day the demo is built for, not at the moment it was loaded.
        Person.objects.filter(organisation=organisation).update(
            modified_at=datetime.combine(today, time(0), tzinfo=UTC))
        log_action("demo.loaded", None, organisation,
                   {"seed": seed, "people": len(builder.people), "teams": len(builder.teams),
                    "built_for": today.isoformat()}, actor_label="demo")
    return DemoResult(True, len(builder.people), len(builder.teams), today, _accounts())


class _DemoBuilder:
    def __init__(self, rng: random.Random, organisation: Organisation, today: date):
        self.rng = rng
        self.organisation = organisation
        self.today = today
        self.levels = {level.code: level for level in Level.objects.all()}
        self.teams: dict[str, Team] = {}
        self.people: list[Person] = []
        self.password_hash = make_password(DEMO_PASSWORD)  # hashed once: hashing is deliberately slow
        names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
        rng.shuffle(names)
        self.names = iter(names)
        self.used_handles: set[str] = {p.username for p in PERSONAS}

    def build(self) -> None:
        for slug, name, workload_class, mission, _zones in TEAMS:
            self.teams[slug] = Team.objects.create(organisation=self.organisation, slug=slug, name=name,
                                                   workload_class=workload_class, mission=mission)
        personas = {p.username: p for p in PERSONAS}
        vp = self._person(None, None, "M4", "Europe/London", access_role=AccessRole.LEADER)
        lee = self._persona(personas["lee"], manager=vp, timezone="Europe/Berlin")
        other_director = self._person(vp, None, "M3", "America/New_York", access_role=AccessRole.LEADER)
        self._persona(personas["pia"], manager=None, timezone="Europe/Lisbon")
        self._persona(personas["ada"], manager=vp, timezone="Europe/Stockholm")
        for index, (slug, _name, _class, _mission, zones) in enumerate(TEAMS):
            director = lee if index % 2 == 0 else other_director
            team = self.teams[slug]
            if slug == "payments":
                manager = self._persona(personas["mo"], manager=director, timezone=zones[0])
                self._persona(personas["erin"], manager=manager, timezone=zones[0])
                self._persona(personas["pat"], manager=manager, timezone=zones[1])
                members = 4
            else:
                manager = self._person(director, team, self.rng.choice(["M1", "M1", "M2"]), zones[0])
                members = 6
            for _ in range(members):
                level = self.rng.choices(["IC1", "IC2", "IC3", "IC4", "IC5"], weights=[2, 5, 6, 3, 1])[0]
                self._person(manager, team, level, self.rng.choice(zones))
        self._grant_people_partner_admin()

    def _persona(self, persona: Persona, *, manager: Person | None, timezone: str) -> Person:
        team = self.teams[persona.team] if persona.team else None
        return self._person(manager, team, persona.level, timezone, name=persona.name, username=persona.username,
                            access_role=persona.access_role)

    def _person(self, manager: Person | None, team: Team | None, level: str | None, timezone: str, *,
                name: str | None = None, username: str | None = None,
                access_role: str = AccessRole.EMPLOYEE) -> Person:
        name = name or next(self.names)
        if username is None:
            username = name.lower().replace(" ", ".")
            while username in self.used_handles:
                username += "1"
        self.used_handles.add(username)
        start = self.today - timedelta(days=self.rng.randint(60, 9 * 365))
        user = get_user_model().objects.create(
            username=username, first_name=name.split()[0], last_name=name.split()[-1],
            email=f"{username}@{DEMO_EMAIL_DOMAIN}", password=self.password_hash,
            is_staff=access_role in {AccessRole.PEOPLE_PARTNER, AccessRole.ADMIN},
            is_superuser=access_role == AccessRole.ADMIN,
            # The account dates from the person's first day, not from when the demo was loaded.
            date_joined=datetime.combine(start, time(9), tzinfo=UTC),
        )
        person = Person.objects.create(
            organisation=self.organisation, user=user, employee_id=f"NW{len(self.people) + 1001}", name=name,
            email=f"{username}@{DEMO_EMAIL_DOMAIN}", manager=manager, team=team,
            level=self.levels[level] if level else None,
            timezone=timezone, work_modality=self.rng.choice(WorkModality.values[:3]), start_date=start,
            access_role=access_role,
        )
        Identity.objects.bulk_create([
            Identity(person=person, kind="email", value=person.email),
            Identity(person=person, kind="github", value=username.replace(".", "-")),
        ])
        self.people.append(person)
        return person

    def _grant_people_partner_admin(self) -> None:
        """People partners edit ladders, teams and people in the admin."""
        permissions = Permission.objects.filter(content_type__app_label="people")
        for person in self.people:
            if person.access_role == AccessRole.PEOPLE_PARTNER and person.user is not None:
                person.user.user_permissions.set(permissions)
