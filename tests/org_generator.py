"""A small generated organisation for query-budget tests: a leader, a people partner, directors, managers
with a team each, and engineers with a little evidence. ``grow`` adds people under the same personas, so one
page can be measured at two sizes of organisation and team."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from brightline.evidence.models import EvidenceItem
from brightline.people.models import AccessRole, Level, Organisation, Person, Team, WorkloadClass

PEOPLE_PER_DIRECTOR = 150
PEOPLE_PER_TEAM = 25


@dataclass
class GeneratedOrg:
    organisation: Organisation
    levels: dict[str, Level]
    leader: Person | None = None
    partner: Person | None = None
    directors: list[Person] = field(default_factory=list)
    managers: list[Person] = field(default_factory=list)
    engineers: list[Person] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    _password: str = field(default_factory=lambda: make_password("generated-org"))

    @property
    def size(self) -> int:
        return 2 + len(self.directors) + len(self.managers) + len(self.engineers)

    def _person(self, key: str, *, manager: Person | None, team: Team | None, level: str,
                role: str = AccessRole.EMPLOYEE, login: bool = False) -> Person:
        user = get_user_model().objects.create(username=key, password=self._password) if login else None
        return Person.objects.create(organisation=self.organisation, user=user, employee_id=f"G-{key}",
                                     name=f"Person {key}", email=f"{key}@example.org", manager=manager, team=team,
                                     level=self.levels[level], access_role=role)

    def grow(self, size: int) -> GeneratedOrg:
        """Add directors, managers (each with a team) and engineers, round robin, until ``size`` people."""
        if self.leader is None:
            self.leader = self._person("leader", manager=None, team=None, level="M3", role=AccessRole.LEADER,
                                       login=True)
            self.partner = self._person("partner", manager=None, team=None, level="M1",
                                        role=AccessRole.PEOPLE_PARTNER, login=True)
        while len(self.directors) < 1 + size // PEOPLE_PER_DIRECTOR:
            self.directors.append(self._person(f"director{len(self.directors)}", manager=self.leader, team=None,
                                               level="M2", login=not self.directors))
        while len(self.managers) < max(3, size // PEOPLE_PER_TEAM):
            number = len(self.managers)
            team = Team.objects.create(organisation=self.organisation, slug=f"team-{number}", name=f"Team {number}",
                                       workload_class=WorkloadClass.PRODUCT)
            self.teams.append(team)
            self.managers.append(self._person(f"manager{number}", manager=self.directors[number % len(self.directors)],
                                              team=team, level="M1", login=not number))
        now = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
        evidence = []
        while self.size < size:
            number = len(self.engineers)
            manager = self.managers[number % len(self.managers)]
            engineer = self._person(f"engineer{number}", manager=manager, team=manager.team, level="IC2",
                                    login=not number)
            self.engineers.append(engineer)
            evidence += [EvidenceItem(kind=EvidenceItem.Kind.MERGED_CHANGE, title=f"Change {number}-{index}",
                                      occurred_at=now - dt.timedelta(days=index * 9), person=engineer,
                                      team=engineer.team, source="manual", source_ref=f"gen-{number}-{index}")
                         for index in range(2)]
        EvidenceItem.objects.bulk_create(evidence)
        return self
