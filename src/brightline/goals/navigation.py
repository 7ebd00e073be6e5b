"""Every active person keeps goals of their own: one entry in "My growth"."""

from __future__ import annotations

from typing import Any

from brightline.links import reverse


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    if viewer is None or not viewer.is_active:
        return []
    return [("Goals", reverse("goals:index"))]
