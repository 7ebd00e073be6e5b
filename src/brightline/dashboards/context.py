"""Navigation that depends on who is looking."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse
from django.utils.module_loading import module_has_submodule

from brightline import access


def navigation(request: HttpRequest) -> dict[str, Any]:
    viewer = access.person_for(getattr(request, "user", None))
    if viewer is None:
        return {"nav_items": [], "viewer": None}
    items = [("Home", reverse("home")), ("Career ladder", reverse("ladder"))]
    if viewer.is_manager:
        items.append(("My team", reverse("my-team")))
    if access.can_view_aggregates(viewer):
        items.append(("Organisation", reverse("organisation")))
    if access.can_view_audit_trail(viewer):
        items.append(("Audit trail", reverse("audit-trail")))
    if access.can_edit_policy(viewer):
        items.append(("Policy", reverse("policy-edit")))
    items.extend(app_navigation(viewer))
    items.append(("Who viewed my record", reverse("my-access-log")))
    items.append(("How Brightline uses data about you", reverse("data-use")))
    current = request.path
    return {"nav_items": [(label, url, url == current) for label, url in items], "viewer": viewer}


def app_navigation(viewer: Any) -> list[tuple[str, str]]:
    """Entries contributed by apps: ``<app>/navigation.py`` defines ``nav_items(viewer)``."""
    items: list[tuple[str, str]] = []
    for app_config in apps.get_app_configs():
        # Django's autodiscovery check: an app without the module contributes nothing; an error inside one is raised.
        if module_has_submodule(app_config.module, "navigation"):
            items.extend(importlib.import_module(f"{app_config.name}.navigation").nav_items(viewer))
    return items
