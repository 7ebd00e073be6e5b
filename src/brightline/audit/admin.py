"""Admin pages for the audit trail are read-only: the trail is changed only by ``log_action``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import ModelForm
from django.http import HttpRequest

from brightline.audit.models import AccessLog, AuditEntry
from brightline.audit.services import log_action


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletions are written to the audit trail with from → to."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: ModelForm, change: bool) -> None:
        changes = {name: {"from": _plain(form.initial.get(name)), "to": _plain(form.cleaned_data.get(name))}
                   for name in form.changed_data}
        super().save_model(request, obj, form, change)
        verb = "updated" if change else "created"
        log_action(f"{obj._meta.label_lower}.{verb}", _person(request), obj,
                   {"changes": changes, "source": "admin"}, actor_label=_admin_label(request))

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        log_action(f"{obj._meta.label_lower}.deleted", _person(request), obj,
                   {"deleted": str(obj), "source": "admin"}, actor_label=_admin_label(request))
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


def _person(request: HttpRequest) -> Any:
    # The admin's user is always signed in; its person row (or None) is on the user, so audit needs no people import.
    return getattr(request.user, "person", None)


def _admin_label(request: HttpRequest) -> str | None:
    person = _person(request)
    return None if person is not None else f"admin:{request.user.get_username()}"


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set) or hasattr(value, "__iter__") and not isinstance(value, str | dict):
        return [str(item) for item in value]
    return value


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("seq", "created_at", "action", "actor_label", "subject_type", "subject_id")
    list_filter = ("action",)
    search_fields = ("action", "actor_label", "subject_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(AuditEntryAdmin):
    list_display = ("at", "viewer_label", "subject", "record", "via")
    list_filter = ("via", "record")
    search_fields = ("viewer_label", "record")
