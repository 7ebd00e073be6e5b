"""The people partners' page of pending changes of roles and managers (four eyes)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from brightline import access
from brightline.people.models import Person, RoleChange
from brightline.people.rolechanges import RoleChangeError, approve_change, pending_changes, reject_change

RECENT_DECISIONS = 50


def _partner(request: HttpRequest) -> Person:
    viewer = access.request_person(request)
    if not access.is_people_partner(viewer):
        raise PermissionDenied("Pending changes of roles and managers are for people partners.")
    return viewer


@require_GET
def role_changes(request: HttpRequest) -> HttpResponse:
    viewer = _partner(request)
    decided = (RoleChange.objects.exclude(status=RoleChange.Status.PENDING)
               .select_related("person", "approved_by")[:RECENT_DECISIONS])
    return render(request, "people/role_changes.html",
                  {"pending": pending_changes(), "decided": decided, "viewer": viewer})


@require_POST
def decide_role_change(request: HttpRequest, change_id: int, decision: str) -> HttpResponse:
    viewer = _partner(request)
    change = get_object_or_404(RoleChange, pk=change_id)
    try:
        if decision == "approve":
            approve_change(change, viewer)
            messages.success(request, f"Approved and applied: {change}.")
        else:
            reject_change(change, viewer)
            messages.success(request, f"Rejected: {change}.")
    except RoleChangeError as error:
        messages.error(request, str(error))
    return redirect("role-changes")
