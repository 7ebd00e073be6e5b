"""Login throttling: after ``LOGIN_MAX_FAILURES`` wrong passwords for one username from one address
within ``LOGIN_LOCKOUT_MINUTES``, that username is locked out from that address for ``LOGIN_LOCKOUT_MINUTES``
— even the right password is refused until then. Counts live in the database, so every web worker sees
them. API tokens do not pass through here and are not affected.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from brightline.audit.services import log_action
from brightline.people.models import LoginThrottle, Person

logger = logging.getLogger("brightline.security")

ERR_LOCKED_OUT = ("Too many failed logins for this account from your network. Try again in {minutes} minutes, "
                  "or ask your administrator to reset your password.")


def _client_ip(request: HttpRequest | None) -> str:
    return str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""


def _key(username: str) -> str:
    return username.strip().lower()[:150]


def minutes_left(username: str, ip: str) -> int | None:
    """Minutes until the lockout of ``username`` from ``ip`` ends, or None when it is not locked out."""
    row = LoginThrottle.objects.filter(username=_key(username), ip=ip).first()
    now = timezone.now()
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return max(1, -(-int((row.locked_until - now).total_seconds()) // 60))


def record_failure(username: str, ip: str) -> bool:
    """Count one wrong password; True when this failure starts a lockout (then it is audited)."""
    now, window = timezone.now(), timedelta(minutes=settings.BRIGHTLINE_LOGIN_LOCKOUT_MINUTES)
    key = _key(username)
    # Nothing is kept longer than needed: counts whose window passed and lockouts that ended are deleted.
    LoginThrottle.objects.filter(first_failure_at__lte=now - window).exclude(locked_until__gt=now).delete()
    with transaction.atomic():
        row = LoginThrottle.objects.select_for_update().filter(username=key, ip=ip).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = LoginThrottle.objects.create(username=key, ip=ip, failures=0, first_failure_at=now)
            except IntegrityError:  # a concurrent first failure created it
                row = LoginThrottle.objects.select_for_update().get(username=key, ip=ip)
        if row.first_failure_at <= now - window or (row.locked_until is not None and row.locked_until <= now):
            row.failures, row.first_failure_at, row.locked_until = 0, now, None
        row.failures += 1
        locks = row.failures >= settings.BRIGHTLINE_LOGIN_MAX_FAILURES and row.locked_until is None
        if locks:
            row.locked_until = now + window
        row.save()
        logger.warning("failed login for %r from %s (%d in a row)", key, ip or "unknown address", row.failures)
        if locks:
            person = Person.objects.filter(user__username__iexact=key).first()
            log_action("people.login.locked_out", None, person,
                       {"username": key, "ip": ip, "failures": row.failures,
                        "minutes": settings.BRIGHTLINE_LOGIN_LOCKOUT_MINUTES},
                       actor_label=f"login from {ip or 'unknown address'}")
    return locks


def clear_failures(username: str, ip: str) -> None:
    LoginThrottle.objects.filter(username=_key(username), ip=ip).delete()


class ThrottledLoginMixin:
    """For Django's login forms: refuse a locked-out username+address before the password is checked."""

    request: HttpRequest | None
    locked_out: str = ""

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = self.cleaned_data  # type: ignore[attr-defined]
        username, ip = str(data.get("username") or ""), _client_ip(self.request)
        if username:
            minutes = minutes_left(username, ip)
            if minutes is not None:
                self.locked_out = ERR_LOCKED_OUT.format(minutes=minutes)
                raise forms.ValidationError(self.locked_out, code="locked_out")
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError as error:
            wrong_password = getattr(self, "user_cache", None) is None  # not the admin's "staff only" refusal
            failed = username and wrong_password and getattr(error, "code", None) == "invalid_login"
            if failed and record_failure(username, ip):
                self.locked_out = ERR_LOCKED_OUT.format(minutes=settings.BRIGHTLINE_LOGIN_LOCKOUT_MINUTES)
                raise forms.ValidationError(self.locked_out, code="locked_out") from None
            raise
        if username:
            clear_failures(username, ip)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
