"""Navigation that depends on who is looking: a few menus grouped by what the viewer does, each holding
only pages the viewer may open."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.urls import Resolver404, get_urlconf, resolve
from django.utils.module_loading import module_has_submodule

from brightline import access
from brightline.links import reverse

# Menus in the order they appear; an entry goes to the menu of its page (by URL name). A menu holding a
# single entry is shown as a plain link; a menu holding none is not shown. At most seven top-level entries.
# The personal menu is "Me", so that no menu shares its name with an entry ("My growth" is a page in it).
GROUPS = ("Me", "Team", "Reviews", "Organisation", "Fairness", "Admin")
PERSONAL = "Me"
GROUP_OF_PAGE = {
    "ladder": PERSONAL, "feedback:my-growth": PERSONAL, "feedback:inbox": PERSONAL,
    "insights:me": PERSONAL, "insights:transparency": PERSONAL, "my-access-log": PERSONAL,
    "data-use": PERSONAL, "my-data": PERSONAL, "goals:index": PERSONAL,
    "my-team": "Team", "evidence:team": "Team", "evidence:services": "Team", "insights:team": "Team",
    "feedback:training": "Team",
    "reviews:index": "Reviews", "support:index": "Reviews",
    "organisation": "Organisation", "governance:leadership": "Organisation",
    "people:directory": "Organisation", "people:add": "Organisation", "people:role-changes": "Organisation",
    "fairness:index": "Fairness", "insights:organisation": "Fairness",
    "audit-trail": "Admin", "policy-edit": "Admin", "evidence:ingest": "Admin", "evidence:identities": "Admin",
}
# Within the personal menu, the pages about one's growth come first (in this order), then, under a heading,
# what Brightline holds and infers about oneself.
GROWTH_ORDER = ("feedback:my-growth", "goals:index", "feedback:inbox", "feedback:give-start", "ladder",
                "promotions:index")
DATA_SECTION = "What Brightline knows about you"
DATA_PAGES = ("insights:me", "insights:transparency", "my-access-log", "data-use", "my-data")
# An entry named like the menu that holds it is called this instead when the menu holds more than it ("Reviews"
# opens a menu holding "Reviews overview" and "Support plans"; alone, it stays a plain link named "Reviews").
OVERVIEW = "{label} overview"
# A page whose menu depends on who opens it: a manager's own quality page belongs with the team.
MANAGER_QUALITY_LABEL = "Manager quality"
MAX_TOP_LEVEL = 7


@dataclass
class NavGroup:
    label: str
    items: list[tuple[str, str, bool]] = field(default_factory=list)
    # Entries shown under a heading after ``items`` (the personal menu's pages about one's data).
    section: str = ""
    section_items: list[tuple[str, str, bool]] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return any(is_current for _label, _url, is_current in [*self.items, *self.section_items])

    @property
    def single(self) -> tuple[str, str, bool] | None:
        return self.items[0] if len(self.items) == 1 and not self.section_items else None


def navigation(request: HttpRequest) -> dict[str, Any]:
    viewer = access.person_for(getattr(request, "user", None))
    if viewer is None:
        return {"nav_items": [], "nav_groups": [], "viewer": None, "viewer_is_admin": False}
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
    items.append(("Download your data", reverse("my-data")))
    current = request.path
    flat = [(label, url, url == current) for label, url in items]
    return {"nav_items": flat, "nav_groups": group_navigation(flat), "viewer": viewer,
            "viewer_is_admin": access.is_admin(viewer)}


def _view_name(url: str) -> str:
    # Every page builds the menus, and each entry's menu follows from its page's URL name: resolved once per
    # address and URL configuration in a process, not on every request (about a fifth of a small page's CPU).
    return _resolved_view_name(get_urlconf() or settings.ROOT_URLCONF, url)


@lru_cache(maxsize=4096)
def _resolved_view_name(urlconf: str, url: str) -> str:
    try:
        return resolve(url, urlconf).view_name
    except Resolver404:
        return ""


def group_of(label: str, url: str) -> str:
    if label == MANAGER_QUALITY_LABEL:
        return "Team"
    return GROUP_OF_PAGE.get(_view_name(url), PERSONAL)


def group_navigation(flat: list[tuple[str, str, bool]]) -> list[NavGroup]:
    """Home first, then the menus that hold at least one entry, in the order of ``GROUPS``."""
    home = [entry for entry in flat if entry[0] == "Home"]
    groups = {name: NavGroup(name) for name in GROUPS}
    for label, url, is_current in flat:
        if label != "Home":
            groups[group_of(label, url)].items.append((label, url, is_current))
    personal = groups[PERSONAL]
    named = [(_view_name(url), (label, url, is_current)) for label, url, is_current in personal.items]
    personal.items = sorted((entry for view_name, entry in named if view_name not in DATA_PAGES),
                            key=lambda entry: _growth_rank(_view_name(entry[1])))
    personal.section_items = [entry for view_name, entry in named if view_name in DATA_PAGES]
    personal.section = DATA_SECTION if personal.section_items else ""
    result = [NavGroup("Home", home)] if home else []
    result.extend(group for group in groups.values() if group.items or group.section_items)
    for group in result:
        if group.single is None:
            group.items = [(OVERVIEW.format(label=label) if label == group.label else label, url, is_current)
                           for label, url, is_current in group.items]
    return result


def _growth_rank(view_name: str) -> int:
    return GROWTH_ORDER.index(view_name) if view_name in GROWTH_ORDER else len(GROWTH_ORDER)


def app_navigation(viewer: Any) -> list[tuple[str, str]]:
    """Entries contributed by apps: ``<app>/navigation.py`` defines ``nav_items(viewer)``."""
    items: list[tuple[str, str]] = []
    for module in _navigation_modules(tuple(app_config.name for app_config in apps.get_app_configs())):
        items.extend(module.nav_items(viewer))
    return items


@lru_cache(maxsize=8)
def _navigation_modules(app_names: tuple[str, ...]) -> tuple[ModuleType, ...]:
    """The apps' ``navigation`` modules, found once per set of installed apps (the search asks the file system)."""
    modules = []
    for app_config in apps.get_app_configs():
        # Django's autodiscovery check: an app without the module contributes nothing; an error inside one is raised.
        if module_has_submodule(app_config.module, "navigation"):
            modules.append(importlib.import_module(f"{app_config.name}.navigation"))
    return tuple(modules)
