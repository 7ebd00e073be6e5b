"""Menu entries: the leadership view for leaders and people partners, audits for people partners,
manager quality for managers (their own page)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from brightline import access


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    if viewer is None or not viewer.is_active:
        return []
    items = []
    if access.can_view_leadership_view(viewer):
        items.append(("Leadership view", reverse("fairness:leadership")))
    if access.can_run_fairness_audits(viewer):
        items.append(("Fairness audits", reverse("fairness:index")))
    elif viewer.is_manager:
        items.append(("Manager quality", reverse("fairness:index")))
    return items
