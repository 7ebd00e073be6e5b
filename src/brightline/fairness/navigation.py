"""Menu entries: the fairness audits for people partners (the leadership view and manager quality are the
governance app's entries)."""

from __future__ import annotations

from typing import Any

from brightline import access
from brightline.links import reverse


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    if viewer is None or not viewer.is_active:
        return []
    if access.can_run_fairness_audits(viewer):
        return [("Fairness audits", reverse("fairness:index"))]
    return []
