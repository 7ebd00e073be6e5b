"""Content-Security-Policy without inline scripts, private caching, HSTS and secure cookies behind HTTPS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from brightline.people.tokens import create_api_token

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "brightline" / "templates"
SRC = Path(__file__).resolve().parents[1] / "src"


def _directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in policy.split(";")) if part}


def test_no_template_has_an_inline_script_or_event_handler():
    problems = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                problems.append(f"{template.name}: {tag}")
        problems += [f"{template.name}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text)]
        problems += [f"{template.name}: javascript: URL" for _ in re.findall(r"javascript:", text, re.I)]
    assert problems == []


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/me"])
def test_every_answer_carries_a_policy_that_allows_only_own_scripts(personas, client_for, path):
    response = client_for(personas.erin).get(path)
    directives = _directives(response)
    assert directives["script-src"] == "script-src 'self'"
    assert directives["object-src"] == "object-src 'none'" and "frame-ancestors" in directives
    assert "'unsafe-inline'" not in directives["default-src"]


def test_only_chart_pages_let_vega_compile_expressions(personas, client_for):
    from django.utils import timezone

    from brightline.evidence.models import Deployment, Service

    service = Service.objects.create(name="payments-api", team=personas.erin.team, criticality="critical",
                                     workload_class="product")
    Deployment.objects.create(service=service, environment="production", version="v1", sha="a" * 40,
                              deployed_at=timezone.now(), source="git", external_id="p@v1")
    page = client_for(personas.erin).get("/evidence/services/payments-api/")
    assert page.status_code == 200 and "vega.min.js" in page.content.decode()
    assert _directives(page)["script-src"] == "script-src 'self' 'unsafe-eval'"
    assert "'unsafe-inline'" not in _directives(page)["script-src"]


def test_pages_and_api_answers_for_a_logged_in_person_are_not_cached(personas, client_for):
    import datetime as dt

    from brightline.feedback.services import record_one_on_one_note

    record_one_on_one_note(actor=personas.mo, person=personas.erin, held_on=dt.date(2026, 11, 2),
                           body="Private: talked about the on-call load at home.")
    browser = client_for(personas.mo)
    notes = browser.get(f"/growth/{personas.erin.pk}/notes/")
    assert "on-call load at home" in notes.content.decode()  # the page with the private note itself
    assert notes["Cache-Control"] == "private, no-store"
    for path in ("/", f"/people/{personas.erin.pk}/", "/api/me"):
        assert browser.get(path)["Cache-Control"] == "private, no-store", path
    key = create_api_token(personas.mo, name="script", actor=personas.mo)
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}")["Cache-Control"] == "private, no-store"


def _settings_with(env: dict[str, str], names: str) -> str:
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='brightline.settings';"
            "from django.conf import settings as s;"
            f"print([getattr(s, n, None) for n in {names.split()!r}])")
    environment = {name: value for name, value in os.environ.items() if name != "SECURE_COOKIES"}
    environment.update(PYTHONPATH=str(SRC), **env)
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_secure_cookies_turn_on_hsts_and_trust_the_proxys_https_header(tmp_path):
    names = "SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE SECURE_HSTS_SECONDS SECURE_PROXY_SSL_HEADER"
    on = _settings_with({"SECURE_COOKIES": "1", "BRIGHTLINE_HOME": str(tmp_path)}, names)
    assert on == "[True, True, 31536000, ('HTTP_X_FORWARDED_PROTO', 'https')]"
    off = _settings_with({"BRIGHTLINE_HOME": str(tmp_path)}, names)
    assert off == "[False, False, 0, None]"


def test_an_https_request_gets_hsts_when_secure_cookies_are_on(personas, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = Client().get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in Client().get("/accounts/login/")
