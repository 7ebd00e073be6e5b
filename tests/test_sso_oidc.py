"""Single sign-on end to end: a real OpenID Connect provider (the certified ``oidc-provider`` package under node,
installed by ``scripts/setup.sh --test``) on loopback, Brightline on a live server, and real HTTP between them
following every redirect, as a browser would. Slow like the browser walks: run once, on PostgreSQL.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from jwt.algorithms import RSAAlgorithm

from brightline.audit.models import AuditEntry
from brightline.people.importer import import_people
from brightline.people.models import AccessRole, Person, RoleChange, SignedInSession, SsoLink
from brightline.people.services import get_organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
NODE = shutil.which("node") or "/usr/bin/node"
HEADER = "employee_id,name,email,manager_id,team,level,timezone,start_date,end_date\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Provider:
    issuer: str
    accounts_file: Path
    base: str
    browsers: list[Browser]
    signing_key: RSAPrivateKey
    kid: str

    def browser(self) -> Browser:
        """A fresh browser (no cookies), closed at the end of the test."""
        self.browsers.append(Browser(self.base, self.issuer))
        return self.browsers[-1]

    def set_accounts(self, accounts: dict[str, dict[str, object]]) -> None:
        self.accounts_file.write_text(json.dumps(accounts))


def private_jwk(key: RSAPrivateKey, kid: str) -> dict[str, object]:
    """The provider's signing key as a JWK, for it to sign and verify with (PyJWT marks a private key "sign")."""
    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    jwk.pop("key_ops", None)
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture
def provider_options() -> dict[str, object]:
    """Extra settings for the provider's configuration; a test parametrizes this to change them."""
    return {}


@pytest.fixture
def provider(live_server, tmp_path, settings, provider_options):
    """The provider, registered with back-channel logout to Brightline (each provider session's ``sid`` in its
    tokens) unless ``provider_options`` says otherwise, and signing with a key set the test holds."""
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("the test OpenID Connect provider is not installed: run scripts/setup.sh --test")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    secret = secrets.token_urlsafe(32)
    key, kid = rsa.generate_private_key(public_exponent=65537, key_size=2048), secrets.token_hex(8)
    idp = Provider(issuer, tmp_path / "accounts.json", live_server.url, [], key, kid)
    idp.set_accounts({})
    config = tmp_path / "provider.json"
    config.write_text(json.dumps({
        "port": port, "issuer": issuer, "client_id": "brightline", "client_secret": secret,
        "redirect_uris": [f"{live_server.url}/accounts/sso/callback/"],
        "post_logout_redirect_uris": [f"{live_server.url}/accounts/login/"],
        "backchannel_logout_uri": f"{live_server.url}{reverse('oidc_backchannel_logout')}",
        "jwks": {"keys": [private_jwk(key, kid)]},
        "accounts_file": str(idp.accounts_file), "cookie_key": secrets.token_hex(16), **provider_options,
    }))
    log = (tmp_path / "provider.log").open("w")
    process = subprocess.Popen([NODE, str(PROVIDER_DIR / "provider.mjs"), str(config)], stdout=subprocess.PIPE,
                               stderr=log, text=True)
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()  # the provider says so once it listens, or ends
        assert ready.startswith("listening"), (tmp_path / "provider.log").read_text()
        settings.BRIGHTLINE_SSO_ISSUER = issuer
        settings.BRIGHTLINE_SSO_PROVIDER_NAME = "Example ID"
        settings.OIDC_RP_CLIENT_ID = "brightline"
        settings.OIDC_RP_CLIENT_SECRET = secret
        settings.OIDC_RP_SCOPES = "openid email profile groups"
        yield idp
    finally:
        for browser in idp.browsers:
            browser.http.close()
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        log.close()


def import_csv(rows: str, **options) -> None:
    import_people((HEADER + rows).encode(), organisation=get_organisation(), actor_label="test", **options)


class Browser:
    """A requests session that follows redirects and fills in the provider's pages like a person would."""

    def __init__(self, base: str, issuer: str):
        self.base, self.issuer, self.http = base, issuer, requests.Session()
        self.provider_pages: list[str] = []

    def get(self, path: str) -> requests.Response:
        return self.http.get(urljoin(self.base, path), timeout=30)

    def sign_in(self, login: str) -> requests.Response:
        page = self.get("/accounts/login/")
        assert "Sign in with Example ID" in page.text
        start = html.unescape(re.search(r'href="([^"]*/accounts/sso/start/[^"]*)"', page.text).group(1))
        return self.through_provider(self.get(start), login)

    def through_provider(self, response: requests.Response, login: str = "") -> requests.Response:
        """Submit the provider's forms (sign-in, consent, sign-out) until it sends the browser back."""
        self.provider_pages = []
        for _ in range(5):
            if not response.url.startswith(self.issuer):
                return response
            form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', response.text, re.S)
            if form is None:  # a page of the provider's own, such as "signed out"
                return response
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
            prompt = fields.get("prompt", "logout")
            self.provider_pages.append(prompt)
            if prompt == "login":
                fields.update(login=login, password="any password")
            if prompt == "logout":
                fields["logout"] = "yes"
            response = self.http.post(urljoin(response.url, html.unescape(form.group(1))), data=fields, timeout=30)
        raise AssertionError(f"the provider kept the browser: {self.provider_pages}")

    def log_out(self) -> requests.Response:
        token = self.http.cookies.get("csrftoken")
        response = self.http.post(urljoin(self.base, "/accounts/logout/"), data={"csrfmiddlewaretoken": token},
                                  timeout=30)
        return self.through_provider(response)


def test_an_imported_person_signs_in_and_out_and_their_groups_give_their_role(provider, live_server, settings):
    settings.BRIGHTLINE_SSO_ROLE_GROUPS = ["people_partner=hr", "admin=it-admins"]
    import_csv("E1,Ana Example,ana@example.org,,Payments,,UTC,2024-01-01,\n")
    provider.set_accounts({"ana-sub": {"email": "ana@example.org", "email_verified": True, "name": "Ana",
                                       "groups": ["hr"]}})
    browser = provider.browser()

    home = browser.sign_in("ana-sub")

    assert home.url == f"{live_server.url}/" and home.status_code == 200
    assert "Ana Example" in home.text and "Needs you now" in home.text
    assert browser.provider_pages == ["login", "consent"]
    ana = Person.objects.get(employee_id="E1")
    assert SsoLink.objects.get(person=ana).subject == "ana-sub"
    assert ana.access_role == AccessRole.PEOPLE_PARTNER
    change = RoleChange.objects.get(person=ana)
    assert (change.source, change.status, change.to_value) == ("sso", "applied", "people_partner")

    after = browser.log_out()
    assert browser.provider_pages == ["logout"]  # signed out at the provider too, which sent us back
    assert after.url == f"{live_server.url}/accounts/login/"
    assert browser.get("/").url.startswith(f"{live_server.url}/accounts/login/")
    # Signed out at the provider as well: the next sign-in asks for the password again.
    assert browser.sign_in("ana-sub").url == f"{live_server.url}/"
    assert browser.provider_pages[0] == "login"


def test_an_unknown_person_and_an_unverified_email_are_refused_with_a_page_that_says_why(provider, live_server):
    import_csv("E1,Ana Example,ana@example.org,,Payments,,UTC,2024-01-01,\n")
    provider.set_accounts({
        "zed-sub": {"email": "zed@example.org", "email_verified": True},
        "eve-sub": {"email": "ana@example.org", "email_verified": False},
    })

    refused = provider.browser().sign_in("zed-sub")
    assert refused.status_code == 403 and refused.url == f"{live_server.url}/accounts/sso/refused/"
    assert "Brightline has no account for you" in refused.text

    unverified = provider.browser().sign_in("eve-sub")
    assert unverified.status_code == 403 and "not verified" in unverified.text
    assert not SsoLink.objects.exists()
    assert [entry.data["reason"] for entry in AuditEntry.objects.filter(action="people.sso.refused")
            .order_by("seq")] == ["unknown", "unverified"]


def test_a_changed_email_keeps_the_account_and_a_reused_email_cannot_take_it_over(provider, live_server):
    import_csv("E1,Ana Example,ana@example.org,,Payments,,UTC,2024-01-01,\n"
               "E2,Bo Example,bo@example.org,,Payments,,UTC,2024-01-01,\n")
    provider.set_accounts({"ana-sub": {"email": "ana@example.org", "email_verified": True}})
    assert "Ana Example" in provider.browser().sign_in("ana-sub").text

    # The provider now gives Ana the address Bo has in Brightline: she is still Ana, found by her subject.
    provider.set_accounts({
        "ana-sub": {"email": "bo@example.org", "email_verified": True},
        "new-sub": {"email": "ana@example.org", "email_verified": True},  # someone given Ana's old address
    })
    again = provider.browser().sign_in("ana-sub")
    assert "Ana Example" in again.text and "Bo Example" not in again.text

    takeover = provider.browser().sign_in("new-sub")
    assert takeover.status_code == 403 and "linked to a different identity" in takeover.text
    assert list(SsoLink.objects.values_list("person__employee_id", "subject")) == [("E1", "ana-sub")]


def test_an_expired_session_signs_in_again_through_the_provider_and_a_leaver_cannot(provider, live_server):
    import_csv("E1,Ana Example,ana@example.org,,Payments,,UTC,2024-01-01,\n")
    provider.set_accounts({"ana-sub": {"email": "ana@example.org", "email_verified": True}})
    browser = provider.browser()
    browser.sign_in("ana-sub")
    first_session = browser.http.cookies.get("sessionid")

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert browser.get("/").url.startswith(f"{live_server.url}/accounts/login/")
    back = browser.sign_in("ana-sub")
    assert back.url == f"{live_server.url}/" and "Ana Example" in back.text
    assert browser.provider_pages == []  # the provider still knew her: no password asked
    assert browser.http.cookies.get("sessionid") != first_session

    # The next HRIS import says she left: the open session ends at once and signing in again is refused.
    import_csv("E1,Ana Example,ana@example.org,,Payments,,UTC,2024-01-01,2024-06-30\n")
    assert browser.get("/").url.startswith(f"{live_server.url}/accounts/login/")
    refused = browser.sign_in("ana-sub")
    assert refused.status_code == 403 and "Your Brightline account is closed" in refused.text


def test_in_chromium_a_person_signs_in_through_the_provider_and_out_of_both(provider, live_server, browser):
    """The same walk in a real browser, whose Content-Security-Policy must let the logout form go on to the
    provider."""
    import_csv("E1,Ana Example,ana@example.org,,Payments,,UTC,2024-01-01,\n")
    provider.set_accounts({"ana-sub": {"email": "ana@example.org", "email_verified": True}})
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_role("link", name="Sign in with Example ID").click()
        page.fill("input[name=login]", "ana-sub")
        page.fill("input[name=password]", "any password")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{live_server.url}/")
        assert "Ana Example" in page.inner_text("header")

        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{provider.issuer}/**")
        page.get_by_role("button", name="Yes, sign me out").click()
        page.wait_for_url(f"{live_server.url}/accounts/login/")
        page.goto(f"{live_server.url}/")
        assert page.url.startswith(f"{live_server.url}/accounts/login/")
    finally:
        context.close()


def expire_the_check(browser: Browser) -> None:
    """Make the session's next page request go back through the provider, as it does every 15 minutes."""
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore(session_key=browser.http.cookies.get("sessionid"))
    assert "oidc_id_token_expiration" in session
    session["oidc_id_token_expiration"] = 0
    session.save()


@pytest.mark.parametrize("provider_options", [{"backchannel_logout_uri": None}])  # a provider without it
def test_a_session_goes_back_through_the_provider_and_ends_when_the_provider_session_has_ended(
        provider, live_server, settings):
    settings.BRIGHTLINE_SSO_ROLE_GROUPS = ["leader=directors"]
    import_csv("E1,Ana Example,ana@example.org,,Payments,,UTC,2024-01-01,\n")
    provider.set_accounts({"ana-sub": {"email": "ana@example.org", "email_verified": True, "groups": []}})
    browser = provider.browser()
    browser.sign_in("ana-sub")

    # The check passes silently, back on the page asked for, and applies what the provider says now.
    provider.set_accounts({"ana-sub": {"email": "ana@example.org", "email_verified": True, "groups": ["directors"]}})
    expire_the_check(browser)
    page = browser.through_provider(browser.get("/ladder/"))
    assert page.url == f"{live_server.url}/ladder/" and browser.provider_pages == []
    assert Person.objects.get(employee_id="E1").access_role == AccessRole.LEADER
    assert browser.get("/").url == f"{live_server.url}/"  # not checked again before the next period

    # She signs out at the provider (in another tab): the next check ends the Brightline session too.
    signed_out = browser.through_provider(browser.http.get(f"{provider.issuer}/session/end", timeout=30))
    assert browser.provider_pages == ["logout"] and signed_out.url.startswith(provider.issuer)
    assert browser.get("/").url == f"{live_server.url}/"  # Brightline learns of it at the next check
    expire_the_check(browser)
    ended = browser.through_provider(browser.get("/"))
    assert ended.status_code == 403 and "Your session has ended" in ended.text
    assert browser.get("/").url.startswith(f"{live_server.url}/accounts/login/")


# ---- Back-channel logout: the provider ends Brightline sessions itself ----


def signed_in(browser: Browser, live_server) -> bool:
    return browser.get("/").url == f"{live_server.url}/"


def sign_out_at_the_provider(provider: Provider, browser: Browser) -> None:
    """The person signs out at the provider (its own page, not through Brightline), which confirms it."""
    page = browser.through_provider(browser.http.get(f"{provider.issuer}/session/end", timeout=30))
    assert browser.provider_pages == ["logout"] and page.url.startswith(provider.issuer)
    assert "backchannel.error" not in (Path(provider.accounts_file).parent / "provider.log").read_text()


def signed_in_twice(provider: Provider, live_server) -> tuple[Browser, Browser]:
    """Ana (E1) signed in on a laptop and a phone: two provider sessions, each with its own sid."""
    import_csv("E1,Ana Example,ana@example.org,,Payments,,UTC,2024-01-01,\n")
    provider.set_accounts({"ana-sub": {"email": "ana@example.org", "email_verified": True}})
    laptop, phone = provider.browser(), provider.browser()
    laptop.sign_in("ana-sub")
    phone.sign_in("ana-sub")
    assert signed_in(laptop, live_server) and signed_in(phone, live_server)
    return laptop, phone


def test_signing_out_at_the_provider_ends_that_provider_sessions_brightline_session_at_once(provider, live_server):
    laptop, phone = signed_in_twice(provider, live_server)

    sign_out_at_the_provider(provider, laptop)  # the provider posts its logout token before it answers

    assert browser_is_signed_out(laptop, live_server)
    assert signed_in(phone, live_server)  # another provider session: still open
    entry = AuditEntry.objects.get(action="people.sso.provider_logout")
    assert entry.data == {"sessions_ended": 1, "by": "provider session"}
    assert entry.subject_id == str(Person.objects.get(employee_id="E1").pk)


def browser_is_signed_out(browser: Browser, live_server) -> bool:
    return browser.get("/").url.startswith(f"{live_server.url}/accounts/login/")


def provider_sid(browser: Browser) -> str:
    """The provider session id Brightline recorded with this browser's session (from the provider's ID token)."""
    return SignedInSession.objects.get(session_key=browser.http.cookies["sessionid"]).sid


# oidc-provider 9.13.3 (tests/oidc_provider) implements RP-initiated and back-channel logout but not front-channel
# logout, so these requests are the ones section 2 of OpenID Connect Front-Channel Logout 1.0 says a provider's
# logout page makes: a GET of the registered address in an iframe, with ``iss`` and ``sid`` in the query.
def test_the_providers_logout_frame_ends_that_provider_sessions_brightline_sessions(provider, live_server):
    laptop, phone = signed_in_twice(provider, live_server)
    laptop_sid, phone_sid = provider_sid(laptop), provider_sid(phone)
    assert laptop_sid and phone_sid and laptop_sid != phone_sid  # the provider puts sid in its ID tokens
    address = f"{live_server.url}{reverse('oidc_frontchannel_logout')}"

    # A frame of the provider's page on another site: the browser sends no Brightline cookie (SameSite=Lax).
    frame = requests.get(address, params={"iss": provider.issuer, "sid": laptop_sid},
                         headers={"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site"}, timeout=30)
    assert frame.status_code == 200 and "You are signed out of Brightline." in frame.text
    assert (frame.headers["Cache-Control"], frame.headers["Pragma"]) == ("no-cache, no-store", "no-cache")
    assert "X-Frame-Options" not in frame.headers and "<script" not in frame.text
    assert frame.headers["Content-Security-Policy"].endswith(f"frame-ancestors {provider.issuer}")
    assert browser_is_signed_out(laptop, live_server)
    assert signed_in(phone, live_server)  # another provider session: still open
    entry = AuditEntry.objects.get(action="people.sso.provider_logout")
    assert entry.data == {"sessions_ended": 1, "by": "provider session", "channel": "front"}
    assert entry.subject_id == str(Person.objects.get(employee_id="E1").pk)
    again = requests.get(address, params={"iss": provider.issuer, "sid": laptop_sid}, timeout=30)
    assert again.status_code == 200 and "no Brightline session" in again.text

    # Refused: another issuer, or a parameter missing; nothing ends. Every other page still refuses frames.
    for params in ({"iss": "https://other.example.org", "sid": phone_sid}, {"sid": phone_sid},
                   {"iss": provider.issuer}, {"iss": provider.issuer, "sid": "x" * 300}):
        refused = requests.get(address, params=params, timeout=30)
        assert refused.status_code == 400 and refused.headers["Cache-Control"] == "no-cache, no-store"
    # Only a GET: a POST is refused (by the CSRF check, or else by the view).
    assert requests.post(address, data={"iss": provider.issuer, "sid": phone_sid}, timeout=30).status_code in {403, 405}
    assert signed_in(phone, live_server)
    login = requests.get(f"{live_server.url}/accounts/login/", timeout=30)
    assert login.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in login.headers["Content-Security-Policy"]

    # The same frame from a browser that does send its cookie (the provider on the same site): its own session
    # ends in this very answer, which gives it an empty one.
    own = phone.http.get(address, params={"iss": provider.issuer, "sid": phone_sid}, timeout=30)
    assert own.status_code == 200 and "You are signed out of Brightline." in own.text
    assert own.headers["Cache-Control"] == "no-cache, no-store"
    assert browser_is_signed_out(phone, live_server)
    assert not SignedInSession.objects.filter(sid__in=[laptop_sid, phone_sid]).exists()


def test_the_logout_frame_is_not_there_without_single_sign_on(live_server, settings):
    settings.BRIGHTLINE_SSO_ISSUER = ""
    address = f"{live_server.url}{reverse('oidc_frontchannel_logout')}"
    assert requests.get(address, params={"iss": "https://idp.example.org", "sid": "s"}, timeout=30).status_code == 404


@pytest.mark.parametrize("provider_options", [{"backchannel_logout_session_required": False}])
def test_a_logout_token_naming_only_the_person_ends_all_their_sessions_password_ones_too(provider, live_server):
    import_csv("E1,Ana Example,ana@example.org,,Payments,,UTC,2024-01-01,\n"
               "E2,Bo Example,bo@example.org,,Payments,,UTC,2024-01-01,\n")
    provider.set_accounts({"ana-sub": {"email": "ana@example.org", "email_verified": True},
                           "bo-sub": {"email": "bo@example.org", "email_verified": True}})
    laptop, phone, bo = provider.browser(), provider.browser(), provider.browser()
    laptop.sign_in("ana-sub")
    phone.sign_in("ana-sub")
    bo.sign_in("bo-sub")
    password_session = Client()
    password_session.force_login(Person.objects.get(employee_id="E1").user)
    password_key = password_session.session.session_key

    sign_out_at_the_provider(provider, laptop)

    assert browser_is_signed_out(laptop, live_server) and browser_is_signed_out(phone, live_server)
    assert not Session.objects.filter(session_key=password_key).exists()
    assert signed_in(bo, live_server)
    assert AuditEntry.objects.get(action="people.sso.provider_logout").data == {"sessions_ended": 3, "by": "person"}


def logout_token(provider: Provider, key: RSAPrivateKey | None = None, headers: dict[str, str] | None = None,
                 **claims: object) -> str:
    """A logout token as the provider makes one (signed with its key set unless ``key`` says otherwise);
    a claim given as None is left out."""
    now = int(timezone.now().timestamp())
    body = {"iss": provider.issuer, "aud": "brightline", "iat": now, "exp": now + 120, "sub": "ana-sub",
            "jti": secrets.token_hex(12), "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}
    body.update(claims)
    return jwt.encode({name: value for name, value in body.items() if value is not None}, key or provider.signing_key,
                      algorithm="RS256", headers={"kid": provider.kid, "typ": "logout+jwt", **(headers or {})})


def post_logout_token(live_server, token: str) -> requests.Response:
    # No CSRF token and no cookie: the provider calls server to server.
    return requests.post(f"{live_server.url}{reverse('oidc_backchannel_logout')}", data={"logout_token": token},
                         timeout=30)


def test_refused_logout_tokens_change_nothing_and_a_good_one_is_used_once(provider, live_server):
    import_csv("E1,Ana Example,ana@example.org,,Payments,,UTC,2024-01-01,\n")
    provider.set_accounts({"ana-sub": {"email": "ana@example.org", "email_verified": True}})
    browser = provider.browser()
    browser.sign_in("ana-sub")
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(timezone.now().timestamp())
    refused = {
        "bad signature": logout_token(provider, key=other_key),
        "wrong audience": logout_token(provider, aud="another-client"),
        "wrong issuer": logout_token(provider, iss="http://127.0.0.1:1"),
        "nonce present": logout_token(provider, nonce="n-0S6_WzA2Mj"),
        "no logout event": logout_token(provider, events={"http://schemas.openid.net/event/other": {}}),
        "no events": logout_token(provider, events=None),
        "neither sub nor sid": logout_token(provider, sub=None),
        "no jti": logout_token(provider, jti=None),
        "no iat": logout_token(provider, iat=None),
        "expired": logout_token(provider, iat=now - 3600, exp=now - 600),
        "another token type": logout_token(provider, headers={"typ": "at+jwt"}),
        "unsigned": jwt.encode({"iss": provider.issuer, "aud": "brightline", "sub": "ana-sub"}, key=None,
                               algorithm="none"),
        "not a token": "not-a-jwt",
    }
    for name, token in refused.items():
        answer = post_logout_token(live_server, token)
        assert answer.status_code == 400, name
        assert answer.headers["Cache-Control"] == "no-store", name
        assert answer.json()["error"] == "invalid_request", name
    assert signed_in(browser, live_server)
    assert not AuditEntry.objects.filter(action="people.sso.provider_logout").exists()
    assert requests.get(f"{live_server.url}{reverse('oidc_backchannel_logout')}", timeout=30).status_code == 405

    good = logout_token(provider)
    answer = post_logout_token(live_server, good)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert browser_is_signed_out(browser, live_server)

    browser.sign_in("ana-sub")
    replayed = post_logout_token(live_server, good)
    assert replayed.status_code == 400 and "already used" in replayed.json()["error_description"]
    assert signed_in(browser, live_server)
    assert AuditEntry.objects.filter(action="people.sso.provider_logout").count() == 1
