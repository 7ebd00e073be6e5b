"""Support plans appear in the menu only for people who have one or may open one."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from brightline import access


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    if viewer is None or not viewer.is_active:
        return []
    if viewer.is_manager or access.is_people_partner(viewer) or viewer.support_plans.exists():
        return [("Support plans", reverse("support:index"))]
    return []
