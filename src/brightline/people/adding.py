"""Adding one person from Brightline's own pages: the person, their login and the proposals of a manager and an
access role, written together or not at all.

A people partner or administrator fills in the person's name, work e-mail, team, manager, level, start date,
time zone and access role. Everything is checked before anything is written (:func:`check_new_person`). Then, in
one transaction (:func:`add_person`), the person is stored without a manager and as an employee, their login is
made (with no usable password: they choose one through the invitation, or sign in through single sign-on), the
entry is written to the audit trail, and the manager and any other access role are *proposed*, as a change made
by hand in the admin is (``people.rolechanges``): they apply when a second people partner or administrator
approves them. The HR system's import, which is the record, applies its managers at once.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from brightline import access
from brightline.audit.services import log_action
from brightline.people.accounts import create_login, taken_usernames
from brightline.people.models import AccessRole, Level, Person, RoleChange, Team, validate_timezone
from brightline.people.rolechanges import propose_change

# The manager field's value as the search suggests it: "Mo Haddad (mo@example.org)"; a bare name works too.
MANAGER_WITH_EMAIL = re.compile(r"^(?P<name>.*?)\s*\((?P<email>[^()\s]+@[^()\s]+)\)\s*$")
# How many people a name may match before the page asks for more of it.
MAX_NAME_MATCHES = 8
PROPOSAL_REASON = "set when the person was added"
EMPLOYEE_ID_PREFIX = "added-"

ERR_EMAIL_TAKEN = "{name} already has this e-mail address in Brightline."
ERR_EMAIL_LOGIN = "A login already uses this e-mail address."
ERR_JUST_TAKEN = "Someone stored this e-mail address or employee id a moment ago: check the people list."
ERR_EMPLOYEE_ID_TAKEN = "{name} already has this employee id."
ERR_NO_MANAGER = "Nobody in Brightline is called “{text}”: choose a name from the suggestions, or leave it empty."
ERR_MANY_MANAGERS = ("{count} people are called “{text}”: choose one from the suggestions, which add their e-mail "
                     "address ({examples}).")
ERR_MANAGER_ELSEWHERE = "{name} is in another organisation: a manager must be in {organisation}."
ERR_MANAGER_LEFT = "{name} has left the organisation, so cannot be a manager."
ERR_MANAGER_LOOP = "{manager} reports to {person}, so {person} cannot report to {manager}."
ERR_TEAM_ELSEWHERE = "That team is in another organisation."
ERR_LEVEL_ELSEWHERE = "That level is on another organisation's ladder."


@dataclass
class NewPerson:
    """What the form gives, read into objects."""

    name: str
    email: str
    team: Team | None
    manager: Person | None
    level: Level | None
    start_date: dt.date | None
    timezone: str
    access_role: str
    employee_id: str = ""


@dataclass
class Added:
    """The person written, and the changes that wait for a second approver."""

    person: Person
    proposals: list[RoleChange] = field(default_factory=list)


def find_manager(text: str, organisation_id: int) -> tuple[Person | None, str]:
    """The person the manager field names, or an error for the field. The suggestion's form ("Name (e-mail)") names
    one person by e-mail; a bare name must match exactly one person, ignoring case."""
    text = " ".join(text.split())
    if not text:
        return None, ""
    matched = MANAGER_WITH_EMAIL.match(text)
    if matched:
        person = Person.objects.filter(email__iexact=matched["email"]).select_related("organisation").first()
        if person is None:
            return None, ERR_NO_MANAGER.format(text=text)
        return person, ""
    people = list(Person.objects.filter(name__iexact=text, organisation_id=organisation_id, is_active=True)
                  .select_related("organisation").order_by("email")[:MAX_NAME_MATCHES + 1])
    if len(people) == 1:
        return people[0], ""
    if not people:
        return None, ERR_NO_MANAGER.format(text=text)
    return None, ERR_MANY_MANAGERS.format(count=len(people) if len(people) <= MAX_NAME_MATCHES else "Many",
                                          text=text, examples=", ".join(p.email for p in people[:3]))


def manager_error(person: Person | None, manager: Person, organisation_id: int) -> str:
    """Why ``manager`` cannot be ``person``'s manager (``person`` None: someone not yet stored), or ""."""
    if manager.organisation_id != organisation_id:
        return ERR_MANAGER_ELSEWHERE.format(name=manager.name, organisation=_organisation_name(organisation_id))
    if not manager.is_active:
        return ERR_MANAGER_LEFT.format(name=manager.name)
    if person is not None and person.pk is not None and (
            manager.pk == person.pk or person in manager.management_chain()):
        return ERR_MANAGER_LOOP.format(manager=manager.name, person=person.name)
    return ""


def _organisation_name(organisation_id: int) -> str:
    from brightline.people.models import Organisation

    return Organisation.objects.filter(pk=organisation_id).values_list("name", flat=True).first() or "yours"


def check_new_person(new: NewPerson, organisation_id: int) -> dict[str, str]:
    """Every reason the person cannot be added, by field (empty: they can)."""
    from django.contrib.auth import get_user_model

    errors: dict[str, str] = {}
    try:
        validate_email(new.email)
    except ValidationError:
        errors["email"] = "Enter a work e-mail address, such as noor@example.org."
    else:
        owner = Person.objects.filter(email__iexact=new.email).first()
        if owner is not None:
            errors["email"] = ERR_EMAIL_TAKEN.format(name=owner.name)
        elif get_user_model().objects.filter(email__iexact=new.email).exists():
            errors["email"] = ERR_EMAIL_LOGIN
    if new.employee_id:
        holder = Person.objects.filter(employee_id=new.employee_id).first()
        if holder is not None:
            errors["employee_id"] = ERR_EMPLOYEE_ID_TAKEN.format(name=holder.name)
    try:
        validate_timezone(new.timezone)
    except ValidationError as error:
        errors["timezone"] = " ".join(error.messages)
    if new.team is not None and new.team.organisation_id != organisation_id:
        errors["team"] = ERR_TEAM_ELSEWHERE
    if new.level is not None and new.level.ladder.organisation_id != organisation_id:
        errors["level"] = ERR_LEVEL_ELSEWHERE
    if new.manager is not None:
        problem = manager_error(None, new.manager, organisation_id)
        if problem:
            errors["manager"] = problem
    if new.access_role not in AccessRole.values:
        errors["access_role"] = "Choose one of the access roles listed."
    return errors


def _new_employee_id() -> str:
    """An id for someone the HR system has not numbered yet; the HR import can replace it later."""
    while True:
        candidate = f"{EMPLOYEE_ID_PREFIX}{secrets.token_hex(4)}"
        if not Person.objects.filter(employee_id=candidate).exists():
            return candidate


class AddPersonError(Exception):
    """The person cannot be added; ``errors`` says why, by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def add_person(new: NewPerson, *, actor: Person) -> Added:
    """Check, then write the person, their login, the audit entries and the proposals in one transaction."""
    if not access.can_manage_people(actor):
        raise PermissionError("Only people partners and administrators add people.")
    organisation_id = actor.organisation_id
    errors = check_new_person(new, organisation_id)
    if errors:
        raise AddPersonError(errors)
    try:
        return _write(new, actor, organisation_id)
    except IntegrityError:  # someone stored the e-mail or the employee id between the check and the write
        raise AddPersonError(check_new_person(new, organisation_id) or {"email": ERR_JUST_TAKEN}) from None


def _write(new: NewPerson, actor: Person, organisation_id: int) -> Added:
    with transaction.atomic():
        person = Person.objects.create(
            organisation_id=organisation_id, employee_id=new.employee_id or _new_employee_id(), name=new.name,
            email=new.email, team=new.team, level=new.level, start_date=new.start_date, timezone=new.timezone,
            access_role=AccessRole.EMPLOYEE)
        log_action("people.person.created", actor, person, {"changes": {
            "name": {"from": None, "to": person.name}, "email": {"from": None, "to": person.email},
            "team": {"from": None, "to": new.team.name if new.team else None},
            "level": {"from": None, "to": new.level.title if new.level else None},
            "start_date": {"from": None, "to": new.start_date.isoformat() if new.start_date else None},
            "timezone": {"from": None, "to": person.timezone}}, "source": "the add-a-person page"})
        user = create_login(person, taken=taken_usernames([person.email]))
        log_action("people.login.created", actor, person, {"username": user.get_username(),
                                                            "source": "the add-a-person page"})
        proposals = []
        if new.manager is not None:
            proposals.append(propose_change(person, RoleChange.Field.MANAGER, str(new.manager.pk), proposed_by=actor,
                                            reason=PROPOSAL_REASON))
        if new.access_role != AccessRole.EMPLOYEE:
            proposals.append(propose_change(person, RoleChange.Field.ACCESS_ROLE, new.access_role,
                                            proposed_by=actor, reason=PROPOSAL_REASON))
    return Added(person, proposals)
