"""Navigation entry for review cycles: everyone has reviews; people partners run cycles from the same page."""

from __future__ import annotations

from typing import Any

from brightline.links import reverse


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    if viewer is None or not viewer.is_active:
        return []
    return [("Reviews", reverse("reviews:index"))]
