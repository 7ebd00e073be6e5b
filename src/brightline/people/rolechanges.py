"""Changes of reporting lines and access: four eyes for changes made by hand, none for the HRIS's record.

A people partner who could set herself as someone's manager would gain access to their growth space;
one who could make herself an administrator would gain access to everything. So a change of
``manager``, ``access_role``, ``is_staff``, ``is_superuser``, or of a login's permission groups or individual
permissions (Django's admin grants its pages through them) made by hand is only proposed
(:func:`propose_change`) and applied when a second people partner or administrator approves it
(:func:`approve_change`). Changes arriving from the HRIS people import are applied at once and recorded
(:func:`record_applied_change`). The people a change affects see it on their record
(:func:`changes_affecting`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db import connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from brightline import access
from brightline.audit.services import insert_rows, log_action
from brightline.people.models import AccessRole, Person, RoleChange

ROLE_FIELDS = (RoleChange.Field.MANAGER, RoleChange.Field.ACCESS_ROLE)
ACCOUNT_FIELDS = (RoleChange.Field.IS_STAFF, RoleChange.Field.IS_SUPERUSER)
# The login's many-to-many grants; a value is the sorted ids, separated by commas.
GRANT_FIELDS = (RoleChange.Field.GROUPS, RoleChange.Field.USER_PERMISSIONS)

ERR_NOT_PENDING = "This change was already {status}."
ERR_NOT_A_PARTNER = "Only people partners and administrators can approve or reject changes of roles and managers."
ERR_OWN_CHANGE = "You proposed this change; a second people partner or administrator must approve or reject it."
ERR_CONCERNS_YOU = "This change concerns you; another people partner or administrator must approve or reject it."
ERR_STALE = ("{person}'s {field} changed since this was proposed (it is now {current}); "
             "reject this change and propose it again.")
ERR_LOOP = "{manager} reports to {person}, so {person} cannot report to {manager}."
ERR_NO_ACCOUNT = "{person} has no login account, so there is no access to change."


class RoleChangeError(Exception):
    """A change that cannot be approved or rejected; the message is for the user."""


def grant_value(ids: Iterable[object]) -> str:
    """The stored value of a set of group or permission ids (or objects)."""
    return ",".join(str(pk) for pk in sorted({getattr(item, "pk", item) for item in ids}))


def _grant_ids(value: str) -> list[int]:
    return [int(pk) for pk in value.split(",") if pk]


def current_value(person: Person, field: str) -> str:
    if field == RoleChange.Field.MANAGER:
        return str(person.manager_id or "")
    if field == RoleChange.Field.ACCESS_ROLE:
        return person.access_role
    user = person.user
    if field in GRANT_FIELDS:
        return grant_value(getattr(user, field).values_list("pk", flat=True)) if user is not None else ""
    return "true" if user is not None and getattr(user, field) else "false"


def value_label(field: str, value: str) -> str:
    if field == RoleChange.Field.MANAGER:
        if not value:
            return "no manager"
        manager = Person.objects.filter(pk=value).first()
        return manager.name if manager is not None else "a removed person"
    if field == RoleChange.Field.ACCESS_ROLE:
        return str(AccessRole(value).label) if value in AccessRole.values else value
    if field in GRANT_FIELDS:
        chosen = (Group.objects.all() if field == RoleChange.Field.GROUPS
                  else Permission.objects.select_related("content_type")).filter(pk__in=_grant_ids(value))
        names = sorted(str(item) for item in chosen)
        return ", ".join(names) or "none"
    return "yes" if value == "true" else "no"


def _actor_label(person: Person | None, fallback: str) -> str:
    return f"{person.name} <{person.email}>" if person is not None else fallback


def _audit_data(change: RoleChange) -> dict[str, object]:
    data: dict[str, object] = {"change": change.pk, "field": change.field, "changes": {change.field: {
        "from": change.from_label, "to": change.to_label}}, "reason": change.reason, "source": change.source}
    if change.effective_on is not None:
        data["effective_on"] = change.effective_on.isoformat()
    return data


def propose_change(person: Person, field: str, to_value: str, *, proposed_by: Person | None,
                   proposed_label: str = "", reason: str = "", effective_on: dt.date | None = None) -> RoleChange:
    """Record a change made by hand as pending; nothing about ``person`` changes until it is approved.
    ``effective_on``: the day the proposer says it takes effect, kept with it (it applies when approved)."""
    from_value = current_value(person, field)
    with transaction.atomic():
        change = RoleChange.objects.create(
            person=person, field=field, from_value=from_value, to_value=to_value,
            from_label=value_label(field, from_value), to_label=value_label(field, to_value), reason=reason,
            effective_on=effective_on, source=RoleChange.Source.ADMIN, proposed_by=proposed_by,
            proposed_label=_actor_label(proposed_by, proposed_label or "admin"))
        log_action("people.role_change.proposed", proposed_by, change, _audit_data(change),
                   actor_label=None if proposed_by is not None else change.proposed_label)
    return change


def record_applied_change(person: Person, field: str, from_value: str, to_value: str, *, actor: Person | None,
                          actor_label: str, source: str = RoleChange.Source.IMPORT) -> RoleChange:
    """A change that is the HRIS's record (the people import): already applied, shown to the people it affects."""
    return RoleChange.objects.create(
        person=person, field=field, from_value=from_value, to_value=to_value,
        from_label=value_label(field, from_value), to_label=value_label(field, to_value), source=source,
        status=RoleChange.Status.APPLIED, proposed_by=actor, proposed_label=_actor_label(actor, actor_label),
        approved_at=timezone.now())


def record_applied_manager_changes(moves: list[tuple[Person, str]], *, actor: Person | None,
                                   actor_label: str) -> int:
    """The people import's reporting-line changes, ``(person, previous manager id)`` each, recorded in bulk as
    :func:`record_applied_change` records one (names read once, rows written in a few statements)."""
    ids = {int(value) for person, before in moves for value in (before, str(person.manager_id or "")) if value}
    names = dict(Person.objects.filter(pk__in=ids).values_list("pk", "name"))

    def label(value: str) -> str:
        return "no manager" if not value else names.get(int(value), "a removed person")

    now, proposed_label = timezone.now(), _actor_label(actor, actor_label)
    stored_now = connections[RoleChange.objects.db].ops.adapt_datetimefield_value(now)
    actor_id = actor.pk if actor is not None else None
    # Built as the database stores them and inserted with executemany: nobody needs their ids back.
    rows = [(person.pk, RoleChange.Field.MANAGER.value, before, str(person.manager_id or ""), label(before),
             label(str(person.manager_id or "")), "", RoleChange.Source.IMPORT.value, RoleChange.Status.APPLIED.value,
             actor_id, proposed_label, stored_now, None, stored_now) for person, before in moves]
    insert_rows(RoleChange, ("person", "field", "from_value", "to_value", "from_label", "to_label", "reason",
                             "source", "status", "proposed_by", "proposed_label", "proposed_at", "approved_by",
                             "approved_at"), rows)
    return len(rows)


def set_role_on_command_line(person: Person, role: str, *, actor_label: str, reason: str = "") -> RoleChange:
    """``brightline role set``: for the operator of the server (who could run ``createsuperuser`` anyway),
    and how the first people partner is made when nobody yet could approve. Applied, logged and shown."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        before = person.access_role
        person.access_role = role
        person.save(update_fields=["access_role"])
        change = record_applied_change(person, RoleChange.Field.ACCESS_ROLE, before, role, actor=None,
                                       actor_label=actor_label, source=RoleChange.Source.CLI)
        if reason:
            change.reason = reason
            change.save(update_fields=["reason"])
        log_action("people.role_change.applied", None, change, _audit_data(change), actor_label=actor_label)
    return change


def _check_decider(change: RoleChange, decider: Person | None) -> None:
    if change.status != RoleChange.Status.PENDING:
        raise RoleChangeError(ERR_NOT_PENDING.format(status=change.get_status_display().lower()))
    if decider is None or not access.is_people_partner(decider):
        raise RoleChangeError(ERR_NOT_A_PARTNER)
    if change.proposed_by_id == decider.pk:
        raise RoleChangeError(ERR_OWN_CHANGE)
    if change.person_id == decider.pk or (change.field == RoleChange.Field.MANAGER
                                          and change.to_value == str(decider.pk)):
        raise RoleChangeError(ERR_CONCERNS_YOU)


def _apply(change: RoleChange, person: Person) -> None:
    field, value = change.field, change.to_value
    if field == RoleChange.Field.MANAGER:
        manager = Person.objects.get(pk=value) if value else None
        if manager is not None and (manager.pk == person.pk or person in manager.management_chain()):
            raise RoleChangeError(ERR_LOOP.format(manager=manager.name, person=person.name))
        person.manager = manager
        person.save(update_fields=["manager"])
    elif field == RoleChange.Field.ACCESS_ROLE:
        person.access_role = value
        person.save(update_fields=["access_role"])
    else:
        user = person.user
        if user is None:
            raise RoleChangeError(ERR_NO_ACCOUNT.format(person=person.name))
        if field in GRANT_FIELDS:
            getattr(user, field).set(_grant_ids(value))
        else:
            setattr(user, field, value == "true")
            user.save(update_fields=[field])


def approve_change(change: RoleChange, approver: Person | None) -> RoleChange:
    """Apply a pending change; the approver must be a people partner or administrator other than the proposer."""
    with transaction.atomic():
        change = RoleChange.objects.select_for_update().get(pk=change.pk)
        _check_decider(change, approver)
        person = Person.objects.select_for_update().get(pk=change.person_id)
        current = current_value(person, change.field)
        if current != change.from_value:
            raise RoleChangeError(ERR_STALE.format(person=person.name, field=change.get_field_display().lower(),
                                                   current=value_label(change.field, current)))
        _apply(change, person)
        change.status, change.approved_by, change.approved_at = RoleChange.Status.APPLIED, approver, timezone.now()
        change.save(update_fields=["status", "approved_by", "approved_at"])
        log_action("people.role_change.approved", approver, change, _audit_data(change))
    return change


def reject_change(change: RoleChange, approver: Person | None) -> RoleChange:
    with transaction.atomic():
        change = RoleChange.objects.select_for_update().get(pk=change.pk)
        _check_decider(change, approver)
        change.status, change.approved_by, change.approved_at = RoleChange.Status.REJECTED, approver, timezone.now()
        change.save(update_fields=["status", "approved_by", "approved_at"])
        log_action("people.role_change.rejected", approver, change, _audit_data(change))
    return change


def changes_affecting(person: Person) -> QuerySet[RoleChange]:
    """Changes of ``person``'s own manager or access, and of who reports to them (gained or lost)."""
    me = str(person.pk)
    as_manager = Q(field=RoleChange.Field.MANAGER) & (Q(from_value=me) | Q(to_value=me))
    return RoleChange.objects.filter(Q(person=person) | as_manager).select_related("person", "approved_by")


def pending_changes() -> QuerySet[RoleChange]:
    return RoleChange.objects.filter(status=RoleChange.Status.PENDING).select_related("person", "proposed_by")
