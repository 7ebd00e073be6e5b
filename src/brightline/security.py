"""Request limits and response headers that apply to every page and API call.

``SecurityHeadersMiddleware`` sends a Content-Security-Policy that allows scripts only from Brightline's own
static files (no inline scripts or event handlers anywhere; data for charts travels in
``<script type="application/json">`` blocks, which are never executed). Pages with charts also allow
``'unsafe-eval'``: Vega compiles its chart expressions with ``new Function``. Every answer to a logged-in
person (page or API) is ``Cache-Control: private, no-store``, so no browser or proxy keeps private data.

``RequestSizeLimitMiddleware`` refuses a request whose declared body is larger than
``BRIGHTLINE_MAX_REQUEST_BYTES`` before anything reads it (the CSRF check would otherwise parse a whole
multipart upload first). Per-view limits, such as the one on CSV uploads, are checked by the views.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

CSP_ALLOW_EVAL_ATTRIBUTE = "_brightline_csp_allow_eval"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'{eval}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'{sso}; "
    "frame-ancestors 'none'"
)
PRIVATE_CACHE_CONTROL = "private, no-store"

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


def _sso_origin() -> str:
    """The identity provider's origin, when single sign-on is on: logging out posts a form that goes on to it."""
    issuer = urlsplit(settings.BRIGHTLINE_SSO_ISSUER or "")
    return f" {issuer.scheme}://{issuer.netloc}" if issuer.scheme in {"http", "https"} and issuer.netloc else ""


def allow_eval_on_this_page(request: HttpRequest | None) -> None:
    """Called by the charts include: this page's CSP lets Vega compile its expressions."""
    if request is not None:
        setattr(request, CSP_ALLOW_EVAL_ATTRIBUTE, True)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            allow_eval = getattr(request, CSP_ALLOW_EVAL_ATTRIBUTE, False)
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(
                eval=" 'unsafe-eval'" if allow_eval else "", sso=_sso_origin())
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = PRIVATE_CACHE_CONTROL
        return response
