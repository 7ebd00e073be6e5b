"""Menu entries: the leadership view for leaders and people partners, manager quality for managers (their
own page and their chain's) and people partners."""

from __future__ import annotations

from typing import Any

from brightline import access
from brightline.links import reverse


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    if viewer is None or not viewer.is_active:
        return []
    items = []
    if access.can_view_leadership_view(viewer):
        items.append(("Leadership view", reverse("governance:leadership")))
    if viewer.is_manager and not access.can_run_fairness_audits(viewer):
        items.append(("Manager quality", reverse("governance:index")))
    return items
