"""``/api/me/notifications`` and ``/api/me/calendar``: the caller's e-mail choices and calendar address."""

from __future__ import annotations

from typing import Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from brightline.notifications import calendar
from brightline.notifications.services import NotificationError, absolute_url, set_choices, set_frequency

router = Router(tags=["notifications"])


class NotificationSettingsOut(Schema):
    frequency: Literal["immediate", "daily", "weekly"]
    digest: Literal["daily", "weekly"]
    # The hour (0–23) of the person's day when the digest goes, and the zone of that hour: an IANA name, or null
    # for the zone on the person's record (digest_timezone_in_use says which zone that is).
    digest_hour: int
    digest_timezone: str | None
    digest_timezone_in_use: str
    # Per kind of notice (feedback, self_review, …, signals): immediate, digest or off.
    deliveries: dict[str, Literal["immediate", "digest", "off"]]
    calendar_url: str | None


class NotificationSettingsIn(Schema):
    # Every kind at once (clears the per-kind choices); then ``digest`` and ``deliveries`` change what they name.
    frequency: str | None = None
    digest: str | None = None
    # 0–23; an IANA zone name, or "" for the zone on the person's record.
    digest_hour: int | None = None
    digest_timezone: str | None = None
    deliveries: dict[str, str] | None = None


def _out(request: HttpRequest) -> dict[str, object]:
    row = calendar.current_settings(request.auth)  # type: ignore[attr-defined]
    path = calendar.feed_path(row)
    return {"frequency": row.frequency, "digest": row.digest, "digest_hour": row.digest_hour,
            "digest_timezone": row.digest_timezone or None,
            "digest_timezone_in_use": row.digest_zone_name(request.auth.timezone),  # type: ignore[attr-defined]
            "deliveries": row.all_deliveries(), "calendar_url": absolute_url(path) if path else None}


@router.get("/notifications", response=NotificationSettingsOut,
            summary="How each kind of notice is e-mailed to you (right away, in your daily or weekly digest, or "
                    "not at all) and your calendar address")
def my_notifications(request: HttpRequest) -> dict[str, object]:
    return _out(request)


@router.put("/notifications", response=NotificationSettingsOut,
            summary="Choose how you are e-mailed: frequency for everything at once (immediate, daily or weekly), "
                    "or digest (with its hour and time zone) and a delivery per kind of notice")
def set_my_notifications(request: HttpRequest, payload: NotificationSettingsIn) -> dict[str, object]:
    try:
        with transaction.atomic():
            if payload.frequency is not None:
                set_frequency(request.auth, payload.frequency)  # type: ignore[attr-defined]
            if (payload.digest is not None or payload.deliveries or payload.digest_hour is not None
                    or payload.digest_timezone is not None):
                set_choices(request.auth, digest=payload.digest,  # type: ignore[attr-defined]
                            deliveries=payload.deliveries, digest_hour=payload.digest_hour,
                            digest_timezone=payload.digest_timezone)
    except NotificationError as error:
        raise HttpError(400, str(error)) from error
    return _out(request)


@router.post("/calendar", response=NotificationSettingsOut,
             summary="Make a new secret address for your calendar feed; the previous one stops working")
def new_calendar_address(request: HttpRequest) -> dict[str, object]:
    calendar.regenerate_token(request.auth)  # type: ignore[attr-defined]
    return _out(request)


@router.delete("/calendar", response=NotificationSettingsOut, summary="Switch your calendar feed off")
def revoke_calendar_address(request: HttpRequest) -> dict[str, object]:
    calendar.revoke_token(request.auth)  # type: ignore[attr-defined]
    return _out(request)
