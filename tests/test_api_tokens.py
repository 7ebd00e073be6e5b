"""API tokens write without the session CSRF token, within their scope; sessions still need it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from brightline.feedback.models import FeedbackRequest
from brightline.people.models import ApiToken
from brightline.people.tokens import create_api_token

pytestmark = pytest.mark.django_db


def _request_body(personas) -> dict[str, object]:
    return {"subject_id": personas.erin.pk, "respondents": [{"person_id": personas.pat.pk, "relationship": "peer"}],
            "context": "asked by a script"}


def test_a_write_token_creates_a_feedback_request_with_csrf_enforced(personas):
    key = create_api_token(personas.erin, name="script", actor=personas.erin, scope="write")
    response = Client(enforce_csrf_checks=True).post(
        "/api/feedback/requests", _request_body(personas), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 201, response.content
    assert FeedbackRequest.objects.filter(subject=personas.erin, context="asked by a script").count() == 1


def test_a_write_token_changes_the_policy_with_csrf_enforced(personas):
    key = create_api_token(personas.pia, name="script", actor=personas.pia, scope="write")
    response = Client(enforce_csrf_checks=True).patch(
        "/api/policy", {"reason": "larger cohorts", "min_cohort_size": 6}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response.json()["min_cohort_size"] == 6


def test_a_read_token_reads_but_is_refused_on_unsafe_methods(personas):
    key = create_api_token(personas.erin, name="dashboard", actor=personas.erin)
    assert ApiToken.objects.get().scope == "read"
    browser = Client(enforce_csrf_checks=True)
    assert browser.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    response = browser.post("/api/feedback/requests", _request_body(personas), content_type="application/json",
                            HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"] and "CSRF" not in response.json()["detail"]
    assert not FeedbackRequest.objects.exists()


def test_a_session_without_the_csrf_token_is_still_refused(personas, client_for):
    browser = client_for(personas.erin, enforce_csrf_checks=True)
    response = browser.post("/api/feedback/requests", _request_body(personas), content_type="application/json")
    assert response.status_code == 403
    assert not FeedbackRequest.objects.exists()


def test_a_session_with_the_csrf_token_writes(personas, client_for):
    browser = client_for(personas.erin, enforce_csrf_checks=True)
    browser.get("/")  # sets the CSRF cookie
    response = browser.post("/api/feedback/requests", _request_body(personas), content_type="application/json",
                            HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value)
    assert response.status_code == 201


def test_a_wrong_token_beside_a_session_cookie_is_not_rescued_by_the_session(personas, client_for):
    browser = client_for(personas.erin, enforce_csrf_checks=True)
    response = browser.post("/api/feedback/requests", _request_body(personas), content_type="application/json",
                            HTTP_AUTHORIZATION="Bearer bl_wrong")
    assert response.status_code == 401
    assert not FeedbackRequest.objects.exists()


def test_the_token_command_takes_a_scope(personas):
    err = io.StringIO()
    call_command("token", "create", "--email", "erin@example.org", "--name", "CI", "--scope", "write",
                 stdout=io.StringIO(), stderr=err)
    assert ApiToken.objects.get().scope == "write" and "read-write" in err.getvalue()
    call_command("token", "create", "--email", "erin@example.org", "--name", "board", stdout=io.StringIO(),
                 stderr=io.StringIO())
    assert ApiToken.objects.get(name="board").scope == "read"
