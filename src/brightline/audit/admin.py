"""Admin pages for the audit trail are read-only: the trail is changed only by ``log_action``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import models
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from brightline.audit.models import AccessLog, AuditEntry
from brightline.audit.services import log_action, record_access


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


class RecordReadsMixin(admin.ModelAdmin):
    """For an admin whose pages show part of one person's record: every read of a change or history page is
    written to that person's access log (via the admin site), like a read of the same record on the pages."""

    read_record = "people.profile"

    def subject_of(self, obj: models.Model) -> Any:
        """The person whose record ``obj`` is part of."""
        return obj

    def _log_read(self, request: HttpRequest, object_id: str, record: str, response: HttpResponse) -> None:
        if request.method != "GET" or response.status_code != 200:
            return
        obj = self.get_object(request, unquote(object_id))
        subject = self.subject_of(obj) if obj is not None else None
        if subject is not None:
            record_access(_person(request), subject, record, via="admin",
                          viewer_label=_admin_label(request))

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        self._log_read(request, object_id, self.read_record, response)
        return response

    def history_view(self, request: HttpRequest, object_id: str,
                     extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        self._log_read(request, object_id, f"{self.read_record}_history", response)
        return response


def _admin_label(request: HttpRequest) -> str | None:
    person = _person(request)
    return None if person is not None else f"admin:{request.user.get_username()}"


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set) or hasattr(value, "__iter__") and not isinstance(value, str | dict):
        return [str(item) for item in value]
    return value


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows shown in the admin that nobody adds, edits or deletes there (the chains, pending changes)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "created_at", "action", "actor_label", "subject_type", "subject_id")
    list_filter = ("action",)
    search_fields = ("action", "actor_label", "subject_id")



@admin.register(AccessLog)
class AccessLogAdmin(RecordReadsMixin, AuditEntryAdmin):
    """Reading who read a person's record is itself a read of it (as on the access-log page)."""

    read_record = "audit.access_log"

    def subject_of(self, obj: models.Model) -> Any:
        return getattr(obj, "subject", None)

    list_display = ("at", "viewer_label", "subject", "record", "via")
    list_filter = ("via", "record")
    search_fields = ("viewer_label", "record")
