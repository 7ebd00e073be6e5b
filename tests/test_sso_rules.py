"""Single sign-on's rules without a provider: the login page, switching passwords off, linking and roles.

The whole flow against a real OpenID Connect provider is in ``test_sso_oidc.py`` (run once, on PostgreSQL).
"""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from brightline.people.models import AccessRole, Person, RoleChange, SsoLink
from brightline.people.sso import SignInRefused, SsoBackend, role_from_groups, role_groups, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
ISSUER = "https://id.example.org"


@pytest.fixture
def sso(settings):
    settings.BRIGHTLINE_SSO_ISSUER = ISSUER
    settings.BRIGHTLINE_SSO_PROVIDER_NAME = "Example ID"
    settings.OIDC_RP_CLIENT_ID = "brightline"
    return settings


def claims(sub: str, email: str, **more: object) -> dict[str, object]:
    return {"sub": sub, "email": email, "email_verified": True, **more}


def test_the_login_page_offers_single_sign_on_only_when_it_is_configured(client, settings):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page and 'name="password"' in page
    assert client.get("/accounts/sso/start/").status_code == 404
    settings.BRIGHTLINE_SSO_ISSUER, settings.OIDC_RP_CLIENT_ID = ISSUER, "brightline"
    settings.BRIGHTLINE_SSO_PROVIDER_NAME = "Example ID"
    page = client.get("/accounts/login/?next=/team/").content.decode()
    assert 'href="/accounts/sso/start/?next=/team/">Sign in with Example ID</a>' in page
    assert 'name="password"' in page  # passwords stay on by default


def test_switched_off_passwords_refuse_even_the_right_one(client, personas, sso):
    sso.BRIGHTLINE_LOCAL_PASSWORDS = False
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Example ID" in page and 'name="password"' not in page
    response = client.post("/accounts/login/", {"username": "erin", "password": PASSWORD})
    assert response.status_code == 403 and "single sign-on" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/password/reset/").status_code == 404
    admin_login = client.get("/admin/login/")
    assert admin_login.status_code == 302 and admin_login.url.startswith("/accounts/login/")


def test_a_first_sign_in_links_the_subject_and_later_ones_follow_it(personas, sso):
    user = sign_in(claims("s-erin", "erin@example.org"))
    assert user == personas.erin.user
    assert SsoLink.objects.get(person=personas.erin).subject == "s-erin"
    # The provider changed her address to Pat's: she is still Erin.
    assert sign_in(claims("s-erin", "pat@example.org")) == personas.erin.user
    with pytest.raises(SignInRefused) as refused:
        sign_in(claims("s-other", "erin@example.org"))
    assert refused.value.reason == "linked_elsewhere"


def test_an_unverified_or_missing_email_links_nobody(personas, sso):
    for bad, reason in [({"email_verified": False}, "unverified"), ({"email": ""}, "unknown"),
                        ({"email": "nobody@example.org"}, "unknown"), ({"sub": ""}, "unknown")]:
        with pytest.raises(SignInRefused) as refused:
            sign_in({**claims("s-erin", "erin@example.org"), **bad})
        assert refused.value.reason == reason
    assert not SsoLink.objects.exists()


def test_an_employee_id_claim_links_by_the_hris_id_instead_of_the_email(personas, sso):
    sso.BRIGHTLINE_SSO_EMPLOYEE_ID_CLAIM = "employee_number"
    # The e-mail is Pat's and unverified: with the claim configured, only the employee id counts.
    user = sign_in({"sub": "s-1", "email": "pat@example.org", "employee_number": "E-erin"})
    assert user == personas.erin.user
    with pytest.raises(SignInRefused):
        sign_in({"sub": "s-2", "email": "erin@example.org", "email_verified": True})


def test_a_leaver_is_refused_and_their_session_ends(personas, sso):
    sign_in(claims("s-erin", "erin@example.org"))
    Person.objects.filter(pk=personas.erin.pk).update(is_active=False)
    with pytest.raises(SignInRefused) as refused:
        sign_in(claims("s-erin", "erin@example.org"))
    assert refused.value.reason == "left"
    assert SsoBackend().get_user(personas.erin.user.pk) is None
    assert SsoBackend().get_user(personas.pat.user.pk) == personas.pat.user


def test_a_login_switched_off_by_an_administrator_stays_off(personas, sso):
    user = personas.erin.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    with pytest.raises(SignInRefused) as refused:
        sign_in(claims("s-erin", "erin@example.org"))
    assert refused.value.reason == "disabled"
    user.refresh_from_db()
    assert not user.is_active


def test_a_person_without_a_login_gets_one_at_first_sign_in(personas, sso):
    erin = personas.erin
    old_user = erin.user
    erin.user = None
    erin.save(update_fields=["user"])
    old_user.delete()
    user = sign_in(claims("s-erin", "erin@example.org"))
    erin.refresh_from_db()
    assert erin.user == user and not user.has_usable_password() and user.is_active


def test_groups_set_the_role_the_highest_wins_and_none_means_employee(personas, sso):
    sso.BRIGHTLINE_SSO_ROLE_GROUPS = ["people_partner=hr", "admin=it", "leader=directors", "people_partner=people-ops"]
    mapping = role_groups()
    assert mapping == {"people_partner": {"hr", "people-ops"}, "admin": {"it"}, "leader": {"directors"}}
    assert role_from_groups(["directors", "people-ops"], mapping) == AccessRole.PEOPLE_PARTNER
    assert role_from_groups("it", mapping) == AccessRole.EMPLOYEE  # not a list: no groups

    sign_in(claims("s-lee", "lee@example.org", groups=["directors", "it"]))
    personas.lee.refresh_from_db()
    assert personas.lee.access_role == AccessRole.ADMIN
    sign_in(claims("s-lee", "lee@example.org", groups=[]))
    personas.lee.refresh_from_db()
    assert personas.lee.access_role == AccessRole.EMPLOYEE
    assert list(RoleChange.objects.filter(person=personas.lee).order_by("pk")
                .values_list("to_value", "source", "status")) == [("admin", "sso", "applied"),
                                                                  ("employee", "sso", "applied")]


def test_without_a_mapping_sign_in_leaves_roles_alone(personas, sso):
    sign_in(claims("s-pia", "pia@example.org", groups=[]))
    personas.pia.refresh_from_db()
    assert personas.pia.access_role == AccessRole.PEOPLE_PARTNER


@pytest.mark.parametrize("pair", ["admin", "boss=it", "admin="])
def test_a_bad_role_mapping_is_a_clear_configuration_error(sso, pair):
    sso.BRIGHTLINE_SSO_ROLE_GROUPS = [pair]
    with pytest.raises(ImproperlyConfigured, match="OIDC_ROLE_GROUPS"):
        role_groups()


def test_pages_let_the_logout_form_go_on_to_the_provider_only_when_sso_is_configured(client, settings):
    assert "form-action 'self';" in client.get("/accounts/login/")["Content-Security-Policy"]
    settings.BRIGHTLINE_SSO_ISSUER = "https://id.example.org/realms/staff"
    assert "form-action 'self' https://id.example.org;" in client.get("/accounts/login/")["Content-Security-Policy"]


def _settings_in_a_fresh_process(tmp_path, **environment: str):
    import os
    import subprocess
    import sys

    script = ("import django, json; django.setup(); from django.conf import settings as s; "
              "print(json.dumps([s.AUTHENTICATION_BACKENDS, s.OIDC_RP_CLIENT_SECRET, s.BRIGHTLINE_SSO_ISSUER]))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "brightline.settings", "BRIGHTLINE_HOME": str(tmp_path),
           "SECRET_KEY": "x" * 50, "DATABASE_URL": "sqlite:///var/x.sqlite3", **environment}
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)


def test_the_environment_configures_sso_and_a_bad_role_mapping_stops_the_start(tmp_path, settings):
    import json

    secret = tmp_path / "oidc_secret"
    secret.write_text("from-a-file\n")
    done = _settings_in_a_fresh_process(tmp_path, OIDC_ISSUER="https://id.example.org/", OIDC_CLIENT_ID="bl",
                                        OIDC_CLIENT_SECRET_FILE=str(secret), LOCAL_PASSWORDS="false")
    assert done.returncode == 0, done.stderr
    backends, client_secret, issuer = json.loads(done.stdout)
    assert (backends, client_secret, issuer) == (["brightline.people.sso.SsoBackend"], "from-a-file",
                                                 "https://id.example.org")
    # This process was started without those variables: passwords stay on by default.
    assert settings.AUTHENTICATION_BACKENDS[-1] == "django.contrib.auth.backends.ModelBackend"

    failed = _settings_in_a_fresh_process(tmp_path, OIDC_ROLE_GROUPS="boss=it")
    assert failed.returncode != 0 and "OIDC_ROLE_GROUPS" in failed.stderr


def test_a_persons_copy_of_their_data_includes_their_sign_in_link(personas, sso):
    from brightline.operations.data_rights import export_personal_data

    assert export_personal_data(personas.erin)["person"]["single_sign_on"] == []
    sign_in(claims("s-erin", "erin@example.org"))
    link = export_personal_data(personas.erin)["person"]["single_sign_on"]
    assert [(row["issuer"], row["subject"]) for row in link] == [(ISSUER, "s-erin")]


def test_every_sign_in_records_its_session_and_logging_out_forgets_it(personas):
    from brightline.people.models import SignedInSession

    first, second = Client(), Client()
    first.force_login(personas.erin.user)
    second.force_login(personas.erin.user)
    keys = {first.session.session_key, second.session.session_key}
    assert set(SignedInSession.objects.filter(user=personas.erin.user)
               .values_list("session_key", flat=True)) == keys
    Session.objects.filter(session_key=second.session.session_key).delete()  # expired and cleared
    first.post(reverse("logout"))
    Client().force_login(personas.mo.user)  # the next sign-in drops rows of sessions that are over
    assert not SignedInSession.objects.filter(user=personas.erin.user).exists()


def test_the_back_channel_logout_endpoint_is_off_without_sso_and_needs_no_csrf_token(settings, sso, db):
    url = reverse("oidc_backchannel_logout")
    client = Client(enforce_csrf_checks=True)
    refused = client.post(url, {"logout_token": "not-a-jwt"})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
    assert refused["Cache-Control"] == "no-store"
    settings.OIDC_RP_CLIENT_ID = ""
    assert client.post(url, {"logout_token": "not-a-jwt"}).status_code == 404
