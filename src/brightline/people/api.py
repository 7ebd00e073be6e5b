from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from brightline import access
from brightline.audit.models import AccessLog
from brightline.audit.services import verify_chain
from brightline.pagination import ListPage
from brightline.people.models import CareerLadder, Person, Team

router = Router(tags=["people"])


class PersonOut(Schema):
    id: int
    employee_id: str
    name: str
    email: str
    team: str | None
    level: str | None
    manager_id: int | None
    timezone: str
    work_modality: str
    start_date: date | None
    access_role: str

    @staticmethod
    def resolve_team(person: Person) -> str | None:
        return person.team.slug if person.team_id else None

    @staticmethod
    def resolve_level(person: Person) -> str | None:
        return person.level.code if person.level_id else None


class AccessLogOut(Schema):
    at: datetime
    viewer: str
    record: str
    via: str

    @staticmethod
    def resolve_viewer(entry: AccessLog) -> str:
        return entry.viewer_label


class TeamOut(Schema):
    slug: str
    name: str
    workload_class: str
    mission: str
    parent: str | None

    @staticmethod
    def resolve_parent(team: Team) -> str | None:
        return team.parent.slug if team.parent_id else None


class CompetencyOut(Schema):
    dimension: str
    expectation: str
    examples: str


class LevelOut(Schema):
    code: str
    title: str
    rank: int
    summary: str
    expected_impact: str
    autonomy: str
    technical_depth: str
    collaboration: str
    decision_making: str
    examples: str
    competencies: list[CompetencyOut]

    @staticmethod
    def resolve_competencies(level):  # type: ignore[no-untyped-def]
        return list(level.competencies.all())


class LadderOut(Schema):
    slug: str
    name: str
    track: str
    description: str
    levels: list[LevelOut]

    @staticmethod
    def resolve_levels(ladder):  # type: ignore[no-untyped-def]
        return list(ladder.levels.all())


class ChainOut(Schema):
    ok: bool
    entries: int
    head_hash: str
    first_bad_entry: int | None = None
    reason: str = ""


@router.get("/me", response=PersonOut, summary="The person behind this session or token")
def me(request: HttpRequest) -> Person:
    return request.auth  # type: ignore[attr-defined,no-any-return]


@router.get("/people/{person_id}", response=PersonOut, summary="A person's record (logged when not your own)")
def person_detail(request: HttpRequest, person_id: int) -> Person:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    subject = get_object_or_404(Person.objects.select_related("team", "level"), pk=person_id)
    access.open_person_record(viewer, subject, what="people.profile", via="api",
                              denied="You can see this person's record only if you are in their management chain.")
    return subject


@router.get("/people/{person_id}/access-log", response=list[AccessLogOut], summary="Who read this record")
@paginate(ListPage)
def person_access_log(request: HttpRequest, person_id: int) -> list[AccessLog]:
    viewer: Person = request.auth  # type: ignore[attr-defined]
    subject = get_object_or_404(Person, pk=person_id)
    access.open_person_record(viewer, subject, what="audit.access_log", via="api",
                              denied="Only the person and people partners can see who read a record.")
    return list(AccessLog.objects.filter(subject=subject)[:500])


@router.get("/teams", response=list[TeamOut], summary="Teams with their mission and workload class")
@paginate(ListPage)
def teams(request: HttpRequest) -> list[Team]:
    return list(Team.objects.select_related("parent"))


@router.get("/ladders", response=list[LadderOut], summary="Career ladders; visible to every employee")
@paginate(ListPage)
def ladders(request: HttpRequest) -> list[CareerLadder]:
    return list(CareerLadder.objects.prefetch_related("levels__competencies"))


@router.get("/audit/verify", response=ChainOut, summary="Verify the audit trail's hash chain")
def audit_verify(request: HttpRequest) -> dict[str, object]:
    if not access.can_view_audit_trail(request.auth):  # type: ignore[attr-defined]
        raise HttpError(403, "The audit trail is for people partners.")
    return verify_chain().to_json()
