"""The signed events webhook: ``POST /api/evidence/events``.

A sender signs every delivery with the shared secret ``BRIGHTLINE_WEBHOOK_SECRET`` (or
``BRIGHTLINE_WEBHOOK_SECRET_FILE``) and sends three headers:

* ``X-Brightline-Timestamp``: Unix seconds when it was sent; more than five minutes away
  from our clock is refused;
* ``X-Brightline-Delivery``: a unique id for this delivery; an id seen before is a replay and
  is refused;
* ``X-Brightline-Signature``: ``sha256=`` + hex HMAC-SHA256 of
  ``<timestamp>.<delivery id>.<raw body bytes>`` with the secret. Binding the timestamp and
  the delivery id into the signature means neither can be changed to slip a replay through.

Refusals are written to the server log (logger ``brightline.evidence.webhook``), never to the audit
trail: the hash chain holds what happened to the organisation's data, and an unauthenticated sender must
not be able to grow it. Refusals are also rate-limited per source address: after
``REFUSAL_LIMIT`` refused deliveries within ``REFUSAL_WINDOW_SECONDS`` an address gets 429 until the
window ends, without its deliveries being checked or logged one by one.
The body is the same as for ``brightline import events``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from django.core.cache import cache
from django.db import IntegrityError, transaction

from brightline.env import env_str
from brightline.evidence.models import WebhookDelivery
from brightline.evidence.sources.events import EventImportError, import_events
from brightline.evidence.sources.events.mappers import detect_and_map

SIGNATURE_HEADER: Final = "X-Brightline-Signature"
TIMESTAMP_HEADER: Final = "X-Brightline-Timestamp"
DELIVERY_HEADER: Final = "X-Brightline-Delivery"
TOLERANCE_SECONDS: Final = 300
ACTOR_LABEL: Final = "webhook"
REFUSAL_LIMIT: Final = 20
REFUSAL_WINDOW_SECONDS: Final = 60

logger = logging.getLogger(__name__)

ERR_NOT_CONFIGURED: Final = "The events webhook is not configured: set BRIGHTLINE_WEBHOOK_SECRET on the server."
ERR_MISSING_HEADERS: Final = "Missing signature, timestamp or delivery id header."
ERR_BAD_TIMESTAMP: Final = "The timestamp is not within five minutes of the server's clock."
ERR_BAD_SIGNATURE: Final = "The signature does not match the body."
ERR_REPLAY: Final = "This delivery id was already received; replays are refused."
ERR_BAD_JSON: Final = "The body is not a JSON event document: {error}"
ERR_TOO_MANY_REFUSALS: Final = ("Too many refused deliveries from this address; try again in a minute with "
                                 "correctly signed deliveries.")


@dataclass(frozen=True)
class WebhookOutcome:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def sign(secret: str, *, timestamp: str, delivery_id: str, body: bytes) -> str:
    """The ``X-Brightline-Signature`` value a sender computes."""
    message = timestamp.encode() + b"." + delivery_id.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _refusal_key(remote: str) -> str:
    return "webhook-refusals:" + hashlib.sha256(remote.encode()).hexdigest()[:32]


def _throttled(remote: str) -> bool:
    return int(cache.get(_refusal_key(remote), 0)) >= REFUSAL_LIMIT


def _refuse(status: int, reason: str, *, delivery_id: str, remote: str, counted: bool = True) -> WebhookOutcome:
    """Refuse a delivery: a line in the server log (bounded by the rate limit), nothing in the audit trail."""
    refusals = 0
    if counted:
        key = _refusal_key(remote)
        cache.add(key, 0, REFUSAL_WINDOW_SECONDS)
        try:
            refusals = cache.incr(key)
        except ValueError:  # the entry expired between add and incr
            cache.set(key, 1, REFUSAL_WINDOW_SECONDS)
            refusals = 1
    logger.warning("events webhook refused a delivery from %s (delivery id %r): %s", remote or "unknown",
                   delivery_id[:64], reason)
    if refusals == REFUSAL_LIMIT:
        logger.warning("events webhook: %s reached %s refusals; further deliveries are refused for up to %s s "
                       "without being logged", remote or "unknown", REFUSAL_LIMIT, REFUSAL_WINDOW_SECONDS)
    return WebhookOutcome(status, {"detail": reason})


def receive_webhook(body: bytes, headers: dict[str, str], *, now: datetime, remote: str = "") -> WebhookOutcome:
    """Authenticate one delivery, then import its events (all or none)."""
    secret = env_str("BRIGHTLINE_WEBHOOK_SECRET", "")
    if not secret:
        return WebhookOutcome(503, {"detail": ERR_NOT_CONFIGURED})
    if _throttled(remote):
        return WebhookOutcome(429, {"detail": ERR_TOO_MANY_REFUSALS},
                              {"Retry-After": str(REFUSAL_WINDOW_SECONDS)})
    signature = headers.get(SIGNATURE_HEADER, "")
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    delivery_id = headers.get(DELIVERY_HEADER, "").strip()
    if not signature or not timestamp or not delivery_id:
        return _refuse(401, ERR_MISSING_HEADERS, delivery_id=delivery_id, remote=remote)
    expected = sign(secret, timestamp=timestamp, delivery_id=delivery_id, body=body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        return _refuse(401, ERR_BAD_SIGNATURE, delivery_id=delivery_id, remote=remote)
    try:
        sent = int(timestamp)
    except ValueError:
        return _refuse(401, ERR_BAD_TIMESTAMP, delivery_id=delivery_id, remote=remote)
    if abs(now.timestamp() - sent) > TOLERANCE_SECONDS:
        return _refuse(401, ERR_BAD_TIMESTAMP, delivery_id=delivery_id, remote=remote)
    if WebhookDelivery.objects.filter(delivery_id=delivery_id).exists():
        # Signed, so a sender's retry rather than an attack: not counted against the address.
        return _refuse(409, ERR_REPLAY, delivery_id=delivery_id, remote=remote, counted=False)
    try:
        source, records = detect_and_map(json.loads(body.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
        return WebhookOutcome(400, {"detail": ERR_BAD_JSON.format(error=error)})
    try:
        with transaction.atomic():
            # The delivery id is stored in the same transaction as the events: a crash stores neither,
            # so the sender's retry is accepted; a concurrent duplicate fails on the unique id.
            WebhookDelivery.objects.create(delivery_id=delivery_id, events=len(records))
            result = import_events(records, source=source, actor_label=ACTOR_LABEL)
    except EventImportError as error:
        return WebhookOutcome(400, {"detail": str(error), "errors": [e.to_json() for e in error.errors]})
    except IntegrityError:
        return _refuse(409, ERR_REPLAY, delivery_id=delivery_id, remote=remote, counted=False)
    return WebhookOutcome(202, result.to_json())
