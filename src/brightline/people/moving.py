"""Changing an existing person's manager or team from Brightline's own pages ("Change manager or team").

A people partner or administrator names the new manager (found as on "Add a person"), the team, the day the
change takes effect and why. The two parts follow the rules the rest of Brightline already applies:

- **the manager** is only *proposed*, as a change made by hand in the admin or on "Add a person" is
  (``people.rolechanges``): a manager gains access to a person's growth space, so a second people partner or
  administrator approves it, and only then do the old and new managers' access change;
- **the team** is applied at once and written to the audit trail, as the admin and the HR system's import apply a
  team (``people.services.update_person``): a team grants no access to anyone's record.

Everything is checked first and written in one transaction, after locking the person's row, so a refusal (a
manager who would close a loop, the person themself, a leaver, someone in another organisation, a team of another
organisation, a manager change already waiting) leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from brightline import access
from brightline.people.adding import ERR_TEAM_ELSEWHERE, manager_error
from brightline.people.models import Person, RoleChange, Team
from brightline.people.rolechanges import propose_change
from brightline.people.services import update_person

# Errors that belong to no one field of the form.
EVERYTHING = "__all__"

ERR_OWN_MANAGER = "{person} cannot be their own manager."
ERR_YOURSELF = ("This is your own manager and team: another people partner or administrator changes them, as "
                "for anyone else's.")
ERR_PERSON_LEFT = "{person} has left the organisation, so their manager and team stay as they were when they left."
ERR_WAITING = ("A change of {person}'s manager (to {to}) already waits for a second approver: approve or reject "
               "it on Pending changes of roles and managers first.")
ERR_FUTURE = ("Choose today or an earlier day. Brightline applies a team change when it is saved and a manager "
              "change when it is approved, never later by itself: for a later move, come back on its day.")
ERR_NOTHING = "Nothing would change: {person} already has this manager and this team."
ERR_NOT_A_PARTNER = "Only people partners and administrators change a person's manager or team."
ERR_RECORD_INVALID = ("{person}'s record fails a check of its own, so nothing was changed: {problems} Correct it in "
                      "your HR system's next import or in the admin first.")


@dataclass
class Move:
    """What the form gives, read into objects: the manager and team the person should have (``None``: none)."""

    manager: Person | None
    team: Team | None
    effective_on: dt.date
    reason: str


@dataclass
class Moved:
    """What was done: the team changed at once, and the manager change that waits for a second approver."""

    person: Person
    team_changed: bool
    proposal: RoleChange | None


class MoveError(Exception):
    """The move cannot be made; ``errors`` says why, by field (``EVERYTHING`` for the whole form)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def manager_changes(person: Person, move: Move) -> bool:
    return (move.manager.pk if move.manager is not None else None) != person.manager_id


def team_changes(person: Person, move: Move) -> bool:
    return (move.team.pk if move.team is not None else None) != person.team_id


def waiting_manager_change(person: Person) -> RoleChange | None:
    return (RoleChange.objects.filter(person=person, field=RoleChange.Field.MANAGER, status=RoleChange.Status.PENDING)
            .order_by("proposed_at", "pk").first())


def check_move(person: Person, move: Move, *, actor: Person) -> dict[str, str]:
    """Every reason the move cannot be made, by field (empty: it can)."""
    errors: dict[str, str] = {}
    if person.pk == actor.pk:
        errors[EVERYTHING] = ERR_YOURSELF
    elif not person.is_active:
        errors[EVERYTHING] = ERR_PERSON_LEFT.format(person=person.name)
    new_manager = manager_changes(person, move)
    if new_manager and move.manager is not None:
        if move.manager.pk == person.pk:
            errors["manager"] = ERR_OWN_MANAGER.format(person=person.name)
        else:
            problem = manager_error(person, move.manager, actor.organisation_id)
            if problem:
                errors["manager"] = problem
    if new_manager and "manager" not in errors:
        waiting = waiting_manager_change(person)
        if waiting is not None:
            errors["manager"] = ERR_WAITING.format(person=person.name, to=waiting.to_label)
    if move.team is not None and move.team.organisation_id != actor.organisation_id:
        errors["team"] = ERR_TEAM_ELSEWHERE
    if move.effective_on > timezone.localdate():
        errors["effective_on"] = ERR_FUTURE
    if not errors and not new_manager and not team_changes(person, move):
        errors[EVERYTHING] = ERR_NOTHING.format(person=person.name)
    return errors


def move_person(person: Person, move: Move, *, actor: Person) -> Moved:
    """Check, then apply the team and propose the manager in one transaction, the person's row locked."""
    if not access.can_manage_people(actor):
        raise PermissionError(ERR_NOT_A_PARTNER)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        errors = check_move(person, move, actor=actor)
        if errors:
            raise MoveError(errors)
        team_changed = team_changes(person, move)
        new_manager = manager_changes(person, move)
        if team_changed:
            try:
                update_person(person, actor=actor, reason=move.reason, effective_on=move.effective_on,
                              team=move.team)
            except ValidationError as error:  # the stored record itself fails a check (data from elsewhere)
                raise MoveError({EVERYTHING: ERR_RECORD_INVALID.format(person=person.name,
                                                                       problems=" ".join(error.messages))}) from None
        proposal = None
        if new_manager:
            proposal = propose_change(person, RoleChange.Field.MANAGER,
                                      str(move.manager.pk) if move.manager is not None else "", proposed_by=actor,
                                      reason=move.reason, effective_on=move.effective_on)
    return Moved(person, team_changed, proposal)
