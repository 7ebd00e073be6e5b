"""The count of the viewer's unread notices, for the header of every page."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from brightline.notifications.models import Notice
from brightline.people import compiled


def unread_notices(request: HttpRequest) -> dict[str, Any]:
    """``unread_notices``: how many of the signed-in person's notices are unread (one query on the partial index of
    unread rows, compiled once per process, asked only when a template reads it: a fragment that does not spends
    none); nothing for a visitor who is not signed in."""
    person = getattr(request, "person", None)
    if person is None:
        return {}
    return {"unread_notices": SimpleLazyObject(lambda: compiled.first_value(
        "notifications.unread", _unread, person.pk, default=0))}


def _unread(person_pk: int) -> QuerySet[Notice]:
    # One count, grouped by the person so that the query compiles like any other (no row: none unread).
    return (Notice.objects.filter(person_id=person_pk, unread=True).order_by().values("person_id")
            .annotate(n=Count("pk")).values_list("n"))
