"""Navigation entry for the person's notices (their unread count is in the header of every page)."""

from __future__ import annotations

from typing import Any

from brightline.links import reverse


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    if viewer is None or not viewer.is_active:
        return []
    return [("Notices", reverse("notifications:notices"))]
