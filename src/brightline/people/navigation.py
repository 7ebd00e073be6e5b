"""Menu entries of the people app: the directory, adding a person and the changes waiting for a second approver,
for people partners and administrators."""

from __future__ import annotations

from typing import Any

from brightline import access
from brightline.links import reverse


def nav_items(viewer: Any) -> list[tuple[str, str]]:
    if not access.can_manage_people(viewer):
        return []
    return [("People", reverse("people:directory")), ("Add a person", reverse("people:add")),
            ("Pending changes of roles and managers", reverse("people:role-changes"))]
