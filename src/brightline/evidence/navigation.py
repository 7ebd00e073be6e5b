"""Menu entries of the evidence app, depending on who is looking."""

from __future__ import annotations

from typing import Any

from brightline import access
from brightline.links import reverse


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    items = [("Delivery", reverse("evidence:services"))]
    if viewer.team_id is not None:
        items.append(("My team's delivery", reverse("evidence:team", kwargs={"slug": viewer.team.slug})))
    if access.can_manage_evidence_sources(viewer):
        items.append(("Read a repository", reverse("evidence:ingest")))
        items.append(("Unmatched identities", reverse("evidence:identities")))
    return items
