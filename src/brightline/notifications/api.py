"""``/api/me/notifications`` and ``/api/me/calendar``: the caller's e-mail choice and calendar address."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from brightline.notifications import calendar
from brightline.notifications.services import NotificationError, absolute_url, set_frequency

router = Router(tags=["notifications"])


class NotificationSettingsOut(Schema):
    frequency: Literal["immediate", "daily", "weekly"]
    calendar_url: str | None


class NotificationSettingsIn(Schema):
    frequency: str


def _out(request: HttpRequest) -> dict[str, object]:
    row = calendar.current_settings(request.auth)  # type: ignore[attr-defined]
    path = calendar.feed_path(row)
    return {"frequency": row.frequency, "calendar_url": absolute_url(path) if path else None}


@router.get("/notifications", response=NotificationSettingsOut,
            summary="How often you are e-mailed (immediate, daily or weekly digest) and your calendar address")
def my_notifications(request: HttpRequest) -> dict[str, object]:
    return _out(request)


@router.put("/notifications", response=NotificationSettingsOut,
            summary="Choose how often you are e-mailed: immediate, daily or weekly")
def set_my_notifications(request: HttpRequest, payload: NotificationSettingsIn) -> dict[str, object]:
    try:
        set_frequency(request.auth, payload.frequency)  # type: ignore[attr-defined]
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
