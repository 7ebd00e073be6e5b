"""Request limits and response headers that apply to every page and API call.

``RequestSizeLimitMiddleware`` refuses a request whose declared body is larger than
``BRIGHTLINE_MAX_REQUEST_BYTES`` before anything reads it (the CSRF check would otherwise parse a whole
multipart upload first). Per-view limits, such as the one on CSV uploads, are checked by the views.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

ERR_REQUEST_TOO_LARGE = "This request is {size} MB; Brightline accepts at most {limit} MB in one request."


def megabytes(size: int) -> str:
    """``5.2`` for 5,452,595 bytes; whole numbers without a decimal point."""
    value = round(size / (1024 * 1024), 1)
    return f"{value:g}"


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit: int = settings.BRIGHTLINE_MAX_REQUEST_BYTES
        if length > limit:
            message = ERR_REQUEST_TOO_LARGE.format(size=megabytes(length), limit=megabytes(limit))
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
