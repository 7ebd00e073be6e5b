"""Login throttling: repeated wrong passwords lock a username out from that address; tokens are unaffected."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from brightline.audit.models import AuditEntry
from brightline.people.models import LoginThrottle
from brightline.people.tokens import create_api_token
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _fail(client: Client, times: int, username: str = "erin") -> None:
    for _ in range(times):
        client.post("/accounts/login/", {"username": username, "password": "wrong"})


def test_after_ten_failures_the_right_password_is_refused_with_the_lockout_message(personas, settings):
    assert settings.BRIGHTLINE_LOGIN_MAX_FAILURES == 10
    browser = Client(REMOTE_ADDR="203.0.113.5")
    _fail(browser, 9)
    assert browser.post("/accounts/login/", {"username": "erin", "password": "wrong"}).status_code == 200
    response = browser.post("/accounts/login/", {"username": "ERIN", "password": PASSWORD})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Too many failed logins" in page and "15 minutes" in page
    assert "_auth_user_id" not in browser.session
    entry = AuditEntry.objects.get(action="people.login.locked_out")
    assert entry.data["username"] == "erin" and entry.data["ip"] == "203.0.113.5"


def test_nine_failures_do_not_lock_and_a_success_clears_the_count(personas):
    browser = Client(REMOTE_ADDR="203.0.113.5")
    _fail(browser, 9)
    assert browser.post("/accounts/login/", {"username": "erin", "password": PASSWORD}).status_code == 302
    assert not LoginThrottle.objects.exists()
    assert not AuditEntry.objects.filter(action="people.login.locked_out").exists()


def test_the_lockout_is_per_username_and_address_and_ends(personas):
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    _fail(attacker, 10)
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert elsewhere.post("/accounts/login/", {"username": "erin", "password": PASSWORD}).status_code == 302
    assert attacker.post("/accounts/login/", {"username": "pat", "password": PASSWORD}).status_code == 302
    LoginThrottle.objects.filter(username="erin").update(locked_until=timezone.now() - timedelta(seconds=1))
    assert Client(REMOTE_ADDR="203.0.113.5").post(
        "/accounts/login/", {"username": "erin", "password": PASSWORD}).status_code == 302


def test_the_admin_login_is_throttled_too(personas):
    browser = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(10):
        browser.post("/admin/login/", {"username": "pia", "password": "wrong"})
    response = browser.post("/admin/login/", {"username": "pia", "password": PASSWORD})
    assert response.status_code == 200 and "Too many failed logins" in response.content.decode()


def test_api_tokens_are_not_throttled(personas):
    browser = Client(REMOTE_ADDR="203.0.113.5")
    _fail(browser, 12)
    key = create_api_token(personas.erin, name="script", actor=personas.erin)
    assert browser.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
