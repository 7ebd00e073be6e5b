"""Personal API tokens: shown once at creation, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction

from brightline.audit.services import log_action
from brightline.people.models import ApiToken, Person, TokenScope

TOKEN_PREFIX = "bl_"


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_token(person: Person, *, name: str, actor: Person | None, actor_label: str | None = None,
                     scope: str = TokenScope.READ) -> str:
    """Create a token for ``person`` and return its secret; only the hash is kept.

    ``scope`` is ``read`` (the default: safe methods only) or ``write`` (may also change data).
    """
    if scope not in TokenScope.values:
        raise ValueError(f"unknown token scope {scope!r}; use one of: {', '.join(TokenScope.values)}")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(person=person, name=name, key_hash=hash_token(key), scope=scope)
        log_action("people.api_token.created", actor, person, {"token_id": token.pk, "name": name, "scope": scope},
                   actor_label=actor_label)
    return key


def revoke_api_token(token: ApiToken, *, actor: Person | None, actor_label: str | None = None) -> None:
    with transaction.atomic():
        token.revoked = True
        token.save(update_fields=["revoked"])
        log_action("people.api_token.revoked", actor, token.person, {"token_id": token.pk, "name": token.name},
                   actor_label=actor_label)
