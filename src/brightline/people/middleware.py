"""``request.person``: the active person behind a request, found once per request.

Every page asks who is reading; this middleware answers before any view runs, so views read
``access.request_person(request)`` (the person, or a refusal for an account with no active person)
instead of each app repeating the lookup. The JSON API sets its own caller on ``request.auth``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from brightline import access


class PersonMiddleware:
    """Sets ``request.person`` to the signed-in account's active ``Person``, or ``None``, and notes the request's
    address for ``access.open_person_record`` (a refused attempt names the page or API call)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        person = access.person_for(request.user)
        request.person = person if person is not None and person.is_active else None  # type: ignore[attr-defined]
        address = access.REQUEST_ADDRESS.set(request.path)
        try:
            return self.get_response(request)
        finally:
            access.REQUEST_ADDRESS.reset(address)
