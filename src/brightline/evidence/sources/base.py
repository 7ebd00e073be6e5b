"""What every evidence source shares: the allow-list check, cursors and errors."""

from __future__ import annotations

from typing import Any, Final

from django.db import transaction

from brightline.evidence.models import Service, SyncCursor
from brightline.policy.services import is_source_allowed

ERR_SOURCE_NOT_ALLOWED: Final = (
    "The policy does not allow ingesting {key!r} data. A people partner can enable it on the policy page "
    "(allowed data sources); until then nothing from this source is read or stored."
)


class SourceError(Exception):
    """A sync cannot start or continue; ``str(error)`` says why in words a user can act on."""


class SourceNotAllowed(SourceError):
    """The policy's allow-list does not name the source (principle 6)."""


def require_allowed(*keys: str) -> None:
    """Refuse unless every policy source key in ``keys`` is on the allow-list."""
    for key in keys:
        if not is_source_allowed(key):
            raise SourceNotAllowed(ERR_SOURCE_NOT_ALLOWED.format(key=key))


def load_cursor(source: str, key: str) -> SyncCursor:
    cursor, _ = SyncCursor.objects.get_or_create(source=source, key=key)
    return cursor


def save_cursor(cursor: SyncCursor, *, position: dict[str, Any], complete: bool, message: str = "",
                service: Service | None = None) -> None:
    with transaction.atomic():
        cursor.position = position
        cursor.complete = complete
        cursor.message = message[:500]
        if service is not None:
            cursor.service = service
        cursor.save()
