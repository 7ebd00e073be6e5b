"""Menu entries of the growth space."""

from __future__ import annotations

from typing import Any

from brightline.links import reverse


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    items = [("My growth", reverse("feedback:my-growth")), ("Feedback to give", reverse("feedback:inbox")),
             ("Give feedback", reverse("feedback:give-start"))]
    if viewer.is_manager:
        items.append(("Manager training", reverse("feedback:training")))
    return items
