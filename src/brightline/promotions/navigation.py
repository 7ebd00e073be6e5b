"""Promotion cases appear in the menu for everyone: a person may nominate themself, managers their reports."""

from __future__ import annotations

from typing import Any

from brightline.links import reverse


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    if viewer is None or not viewer.is_active:
        return []
    return [("Promotions", reverse("promotions:index"))]
