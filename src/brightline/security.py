"""Request limits and response headers that apply to every page and API call.

``SecurityHeadersMiddleware`` sends a Content-Security-Policy that allows scripts only from Brightline's own
static files (no inline scripts or event handlers anywhere; data for charts travels in
``<script type="application/json">`` blocks, which are never executed). Pages with charts also allow
``'unsafe-eval'``: Vega compiles its chart expressions with ``new Function``. Every answer to a logged-in
person (page or API) is ``Cache-Control: private, no-store``, so no browser or proxy keeps private data (a view
that already answers ``no-store``, such as the front-channel logout page, keeps its own directives).

``RequestSizeLimitMiddleware`` refuses a request whose declared body is larger than
``BRIGHTLINE_MAX_REQUEST_BYTES`` before anything reads it (the CSRF check would otherwise parse a whole
multipart upload first). Per-view limits, such as the one on CSV uploads, are checked by the views.

``NulCharacterMiddleware`` refuses (400) a request whose address, form fields (URL-encoded or multipart) or JSON
body carry a NUL character: no text Brightline stores may hold one (PostgreSQL refuses it outright). Uploaded
files are left to the CSV reader, which names the line and column of a NUL byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

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
ERR_NUL_CHARACTER = ("{where} contains a NUL character (U+0000), which Brightline does not store in text; remove it "
                     "and send the request again.")


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
            return _refuse(request, message, 413)
        return self.get_response(request)


def _refuse(request: HttpRequest, message: str, status: int) -> HttpResponse:
    if request.path.startswith(("/api/", "/scim/")):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _nul_in_json(value: Any, where: str = "") -> str | None:
    """The JSON path (``title``, ``items[2].note``) of the first string or key holding a NUL, else None."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if "\x00" in str(key):
                return path
            found = _nul_in_json(item, path)
            if found is not None:
                return found
    if isinstance(value, list):
        for number, item in enumerate(value):
            found = _nul_in_json(item, f"{where}[{number}]")
            if found is not None:
                return found
    return None


def nul_character_in(request: HttpRequest) -> str | None:
    """Where the request carries a NUL character ("The address", "The field 'title'"), or None."""
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return "The address"
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded":
        if b"%00" in request.body or b"\x00" in request.body:
            for name, value in parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True):
                if "\x00" in name or "\x00" in value:
                    return f"The field '{name.replace(chr(0), '')}'"
            return "The form"
    elif content_type == "multipart/form-data":
        # The fields only (parsed as the CSRF check would parse them); the files go to the CSV reader.
        for name, values in request.POST.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return f"The field '{name.replace(chr(0), '')}'"
    elif "json" in content_type and b"\\u0000" in request.body.lower():
        try:
            path = _nul_in_json(json.loads(request.body))
        except ValueError:
            return None  # not JSON after all: the view answers that
        if path is not None:
            return f"The field '{path.replace(chr(0), '')}'"
    return None


class NulCharacterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_character_in(request)
        if where is not None:
            return _refuse(request, ERR_NUL_CHARACTER.format(where=where), 400)
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
        if user is not None and user.is_authenticated and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = PRIVATE_CACHE_CONTROL
        return response
