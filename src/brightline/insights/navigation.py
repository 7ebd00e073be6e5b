"""Menu entries of the AI-signals layer."""

from __future__ import annotations

from typing import Any

from brightline import access
from brightline.links import reverse


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    items = [("My AI signals", reverse("insights:me"))]
    if viewer.team_id and access.can_view_team_signals(viewer, viewer.team):
        items.append(("Team signals", reverse("insights:team", kwargs={"slug": viewer.team.slug})))
    if access.can_view_organisation_signals(viewer):
        items.append(("Emergent themes and bias check", reverse("insights:organisation")))
    items.append(("How AI signals work", reverse("insights:transparency")))
    return items
