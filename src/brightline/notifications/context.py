"""The count of the viewer's unread notices, for the header of every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from brightline.notifications.models import Notice


def unread_notices(request: HttpRequest) -> dict[str, Any]:
    """``unread_notices``: how many of the signed-in person's notices are unread (one query on the partial index of
    unread rows, asked only when a template reads it: a fragment that does not spends none); nothing for a visitor
    who is not signed in."""
    person = getattr(request, "person", None)
    if person is None:
        return {}
    return {"unread_notices": SimpleLazyObject(lambda: Notice.objects.filter(person=person, unread=True).count())}
