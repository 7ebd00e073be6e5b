"""Support plans appear in the menu only for people who have one or may open one."""

from __future__ import annotations

from typing import Any

from brightline import access
from brightline.links import reverse
from brightline.people import compiled
from brightline.support.models import SupportPlan


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    if viewer is None or not viewer.is_active:
        return []
    if viewer.is_manager or access.is_people_partner(viewer) or compiled.exists(
            "support.plans_of", lambda pk: SupportPlan.objects.filter(person_id=pk), viewer.pk):
        return [("Support plans", reverse("support:index"))]
    return []
