"""A change that fails because the database's storage is full answers 503 with one sentence, never a 500.

The database says so in its own way — SQLite ``SQLITE_FULL`` (a full disk, or ``max_page_count`` reached),
PostgreSQL ``DiskFull`` (SQLSTATE 53100) or an ``OSError`` ENOSPC/EDQUOT — and ``brightline.commands.disk_full``
recognises all of them, as it does for the commands. The write ran in a transaction (every service writes in
``transaction.atomic``), which the failure rolled back, so nothing of the request was saved; the page (or, under
``/api/``, the JSON ``{"detail": …}``, also under ``/scim/``) says so and asks to try again once there is room.

``StorageFullMiddleware`` answers for errors raised by a view; ``server_error`` (the ``handler500``) for errors
raised anywhere else, such as a session saved after the view.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from brightline.commands import disk_full

logger = logging.getLogger("brightline.storage")

ERR_STORAGE_FULL = ("The storage that holds Brightline's database is full, so nothing of this change was saved "
                    "(what it had begun to write was rolled back). Ask your administrator to free space, then try "
                    "again.")
RETRY_AFTER_SECONDS = "300"


def storage_full_response(request: HttpRequest) -> HttpResponse:
    """503 with the sentence: JSON under ``/api/``, else a page that needs no database to render."""
    response: HttpResponse
    if request.path.startswith(("/api/", "/scim/")):
        response = JsonResponse({"detail": ERR_STORAGE_FULL}, status=503)
    else:
        # No request context: the context processors read the database, which may not answer either.
        response = HttpResponse(render_to_string("503_storage_full.html", {"message": ERR_STORAGE_FULL}),
                                status=503)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    response["Cache-Control"] = "no-store"
    return response


def _log(request: HttpRequest, error: BaseException) -> None:
    logger.error("storage full: %s %s was refused and rolled back (%s: %s)", request.method, request.path,
                 type(error).__name__, error)


class StorageFullMiddleware:
    """Turns a view's storage-full error into the 503 answer; other errors go on as before."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not disk_full(exception):
            return None
        _log(request, exception)
        return storage_full_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the storage-full answer when that is the cause, Django's 500 page otherwise."""
    error = sys.exc_info()[1]
    if error is not None and disk_full(error):
        _log(request, error)
        return storage_full_response(request)
    return defaults.server_error(request)
