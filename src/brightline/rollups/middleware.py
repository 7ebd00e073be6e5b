"""A page that needs figures not computed yet answers at once, saying they are coming, instead of computing them.

``rollups.services.read`` raises ``Pending`` when a slow rollup is missing in a large organisation (years of
history imported and no ``rollups refresh --all`` since). This middleware queues their computation in the
background (once, however many requests ask) and answers with a sentence: a page under the site's layout, or
under ``/api/`` a 503 with ``Retry-After`` and the JSON ``{"detail": …}``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from brightline.rollups.services import Pending, queue_missing

MESSAGE = ("These figures are being computed from the organisation's history; they will appear in a few minutes. "
           "Nothing else needs doing.")
RETRY_AFTER_SECONDS = "120"


def pending_response(request: HttpRequest, pending: Pending) -> HttpResponse:
    """Queue the missing figures (once) and answer with the sentence: a page, or under ``/api/`` a 503."""
    queue_missing(pending.kind, pending.keys)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": MESSAGE}, status=503)
        response["Retry-After"] = RETRY_AFTER_SECONDS
    else:
        response = render(request, "rollups/pending.html", {"message": MESSAGE})
    response["Cache-Control"] = "no-store"
    return response


class RollupPendingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return pending_response(request, exception) if isinstance(exception, Pending) else None
