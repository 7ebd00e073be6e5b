from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import models
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from brightline import access
from brightline.audit.admin import AuditedAdmin, ReadOnlyAdmin, RecordReadsMixin
from brightline.people.models import (
    CareerLadder,
    Competency,
    Identity,
    Level,
    Organisation,
    Person,
    Principle,
    PrincipleBehaviour,
    PrincipleSet,
    RoleChange,
    Team,
)
from brightline.people.rolechanges import ACCOUNT_FIELDS, GRANT_FIELDS, ROLE_FIELDS, grant_value, propose_change

MSG_PROPOSED = ("The change of {what} for {person} waits for a second people partner or administrator to approve it "
                "on <a href=\"{url}\">Pending changes of roles and managers</a> (in Brightline's Organisation menu); "
                "until then nothing changes.")
MSG_DECIDED_ELSEWHERE = ("A change waiting for a second approver is approved or rejected on "
                         "<a href=\"{url}\">Pending changes of roles and managers</a>, not here.")
MSG_NO_PERSON = ("Admin site access, administrator rights, permission groups and individual permissions are "
                 "changed only for accounts linked to a person, with a second approver; the change of {what} "
                 "was not made.")
MSG_GROUP_HAS_MEMBERS = ("The group {group} has members, so a change of its permissions would change their access "
                         "without a second approver; its permissions were not changed. Create a group with the new "
                         "permissions and change each login's groups: each change waits for a second approver.")


def _divert(request: HttpRequest, form: ModelForm, obj: models.Model, fields: tuple[str, ...],
            person: Person | None) -> list[tuple[str, str]]:
    """Take role fields out of a hand-made save: put the old value back and return (field, proposed value)."""
    diverted = []
    for name in fields:
        if name not in form.changed_data:
            continue
        new = getattr(obj, f"{name}_id" if name == "manager" else name)
        setattr(obj, name, form.initial.get(name) if name != "manager" else _initial_manager(form))
        form.changed_data.remove(name)  # so the audit entry does not record it as made
        value = "" if new is None else ("true" if new is True else "false" if new is False else str(new))
        if person is None:
            messages.error(request, MSG_NO_PERSON.format(what=str(RoleChange.Field(name).label).lower()))
        else:
            diverted.append((name, value))
    return diverted


def _initial_manager(form: ModelForm) -> Person | None:
    initial = form.initial.get("manager")
    return Person.objects.filter(pk=initial).first() if initial else None


def _propose(request: HttpRequest, person: Person, diverted: list[tuple[str, str]]) -> None:
    proposer = access.person_for(request.user)
    for name, value in diverted:
        propose_change(person, name, value, proposed_by=proposer,
                       proposed_label=f"admin:{request.user.get_username()}", reason="changed in the admin")
        messages.warning(request, format_html(MSG_PROPOSED, what=str(RoleChange.Field(name).label).lower(),
                                              person=person.name, url=reverse("people:role-changes")))


class CompetencyInline(admin.StackedInline):
    model = Competency
    extra = 0


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


class BehaviourInline(admin.TabularInline):
    model = PrincipleBehaviour
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("name", "slug")


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ("name", "slug", "workload_class", "parent")
    list_filter = ("workload_class",)
    search_fields = ("name", "slug")


@admin.register(Person)
class PersonAdmin(RecordReadsMixin, AuditedAdmin):
    list_display = ("name", "email", "team", "level", "manager", "access_role", "is_active")
    list_filter = ("access_role", "is_active", "work_modality", "team")
    search_fields = ("name", "email", "employee_id")
    raw_id_fields = ("manager", "user")
    inlines = [IdentityInline]

    def save_model(self, request: HttpRequest, obj: Person, form: ModelForm, change: bool) -> None:
        # A manager or access role set by hand is only proposed; a new person starts without either.
        diverted = _divert(request, form, obj, tuple(ROLE_FIELDS), obj)
        super().save_model(request, obj, form, change)
        _propose(request, obj, diverted)


@admin.register(RoleChange)
class RoleChangeAdmin(ReadOnlyAdmin):
    """Read-only here: changes are approved or rejected on the pending changes page, never edited."""

    list_display = ("person", "field", "from_label", "to_label", "status", "source", "proposed_label", "proposed_at")
    list_filter = ("status", "field", "source")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        messages.info(request, format_html(MSG_DECIDED_ELSEWHERE, url=reverse("people:role-changes")))
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> Any:
        messages.info(request, format_html(MSG_DECIDED_ELSEWHERE, url=reverse("people:role-changes")))
        return super().change_view(request, object_id, form_url, extra_context)


class PersonLinkedUserAdmin(UserAdmin):
    """Django's user admin, except that staff and administrator flags changed by hand need a second approver."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        person = Person.objects.filter(user=obj).first() if obj.pk else None
        diverted = _divert(request, form, obj, tuple(ACCOUNT_FIELDS), person) if change else []
        super().save_model(request, obj, form, change)
        if person is not None:
            _propose(request, person, diverted)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        # Groups and individual permissions are saved with the form's many-to-many fields, after save_model:
        # the form saves the login's current ones back, and the new ones are proposed.
        obj = form.instance
        person = Person.objects.filter(user=obj).first()
        diverted = []
        for name in GRANT_FIELDS:
            if name not in form.changed_data:
                continue
            current = list(getattr(obj, name).all())
            proposed = grant_value(form.cleaned_data[name])
            form.cleaned_data[name] = current
            form.changed_data.remove(name)
            if proposed == grant_value(current):
                continue
            if person is None:
                messages.error(request, MSG_NO_PERSON.format(what=str(RoleChange.Field(name).label).lower()))
            else:
                diverted.append((name, proposed))
        super().save_related(request, form, formsets, change)
        if person is not None:
            _propose(request, person, diverted)


class MembersKeepTheirAccessGroupAdmin(GroupAdmin):
    """Django's group admin, except that the permissions of a group with members cannot be changed by hand:
    that would change every member's access without a second approver."""

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        group = form.instance
        if change and "permissions" in form.changed_data and group.user_set.exists():
            form.cleaned_data["permissions"] = list(group.permissions.all())
            form.changed_data.remove("permissions")
            messages.error(request, MSG_GROUP_HAS_MEMBERS.format(group=group.name))
        super().save_related(request, form, formsets, change)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), PersonLinkedUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, MembersKeepTheirAccessGroupAdmin)


@admin.register(CareerLadder)
class CareerLadderAdmin(AuditedAdmin):
    list_display = ("name", "track")


@admin.register(Level)
class LevelAdmin(AuditedAdmin):
    list_display = ("code", "title", "ladder", "rank")
    list_filter = ("ladder",)
    inlines = [CompetencyInline]


@admin.register(PrincipleSet)
class PrincipleSetAdmin(AuditedAdmin):
    list_display = ("name",)


@admin.register(Principle)
class PrincipleAdmin(AuditedAdmin):
    list_display = ("name", "principle_set")
    inlines = [BehaviourInline]
