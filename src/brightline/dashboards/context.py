"""Navigation that depends on who is looking: a few menus grouped by what the viewer does, each holding
only pages the viewer may open."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.http import HttpRequest
from django.urls import Resolver404, resolve, reverse
from django.utils.module_loading import module_has_submodule

from brightline import access

# Menus in the order they appear; an entry goes to the menu of its page (by URL name). A menu holding a
# single entry is shown as a plain link; a menu holding none is not shown. At most seven top-level entries.
GROUPS = ("My growth", "Team", "Reviews", "Organisation", "Fairness", "Admin")
GROUP_OF_PAGE = {
    "ladder": "My growth", "feedback:my-growth": "My growth", "feedback:inbox": "My growth",
    "insights:me": "My growth", "insights:transparency": "My growth", "my-access-log": "My growth",
    "data-use": "My growth", "goals:index": "My growth",
    "my-team": "Team", "evidence:team": "Team", "evidence:services": "Team", "insights:team": "Team",
    "feedback:training": "Team",
    "reviews:index": "Reviews", "support:index": "Reviews",
    "organisation": "Organisation", "governance:leadership": "Organisation",
    "fairness:index": "Fairness", "insights:organisation": "Fairness",
    "audit-trail": "Admin", "policy-edit": "Admin", "evidence:ingest": "Admin", "evidence:identities": "Admin",
}
# A page whose menu depends on who opens it: a manager's own quality page belongs with the team.
MANAGER_QUALITY_LABEL = "Manager quality"
MAX_TOP_LEVEL = 7


@dataclass
class NavGroup:
    label: str
    items: list[tuple[str, str, bool]] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return any(is_current for _label, _url, is_current in self.items)

    @property
    def single(self) -> tuple[str, str, bool] | None:
        return self.items[0] if len(self.items) == 1 else None


def navigation(request: HttpRequest) -> dict[str, Any]:
    viewer = access.person_for(getattr(request, "user", None))
    if viewer is None:
        return {"nav_items": [], "nav_groups": [], "viewer": None}
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
    flat = [(label, url, url == current) for label, url in items]
    return {"nav_items": flat, "nav_groups": group_navigation(flat), "viewer": viewer}


def group_of(label: str, url: str) -> str:
    if label == MANAGER_QUALITY_LABEL:
        return "Team"
    try:
        view_name = resolve(url).view_name
    except Resolver404:
        return "My growth"
    return GROUP_OF_PAGE.get(view_name, "My growth")


def group_navigation(flat: list[tuple[str, str, bool]]) -> list[NavGroup]:
    """Home first, then the menus that hold at least one entry, in the order of ``GROUPS``."""
    home = [entry for entry in flat if entry[0] == "Home"]
    groups = {name: NavGroup(name) for name in GROUPS}
    for label, url, is_current in flat:
        if label != "Home":
            groups[group_of(label, url)].items.append((label, url, is_current))
    result = [NavGroup("Home", home)] if home else []
    result.extend(group for group in groups.values() if group.items)
    return result


def app_navigation(viewer: Any) -> list[tuple[str, str]]:
    """Entries contributed by apps: ``<app>/navigation.py`` defines ``nav_items(viewer)``."""
    items: list[tuple[str, str]] = []
    for app_config in apps.get_app_configs():
        # Django's autodiscovery check: an app without the module contributes nothing; an error inside one is raised.
        if module_has_submodule(app_config.module, "navigation"):
            items.extend(importlib.import_module(f"{app_config.name}.navigation").nav_items(viewer))
    return items
