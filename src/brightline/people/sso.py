"""Single sign-on through OpenID Connect, on mozilla-django-oidc (docs/accounts.md says why that library).

Who may sign in is Brightline's decision, not the identity provider's: sign-in never creates a person.

- **Linking.** At a person's first sign-in the provider's stable subject (``sub``) is linked to the active
  person whose e-mail the provider says it has *verified* (``email_verified``), or, when
  ``OIDC_EMPLOYEE_ID_CLAIM`` names a claim, to the person with that HRIS employee id. A person already
  linked to another subject is refused: a reused or changed e-mail cannot take over their account.
- **Afterwards** the person is found by ``(issuer, sub)`` alone, whatever the e-mail says now.
- **Refusals** (nobody matches, the person has left, the e-mail is not verified) end on a page that says
  why, and are audited.
- **Roles.** With ``OIDC_ROLE_GROUPS`` set, each sign-in sets the access role from the person's groups;
  the change is the identity provider's record, applied at once and shown on the person's record.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.deprecation import MiddlewareMixin
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.middleware import SessionRefresh
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from brightline.audit.services import log_action
from brightline.people.accounts import create_login, sync_login, taken_usernames
from brightline.people.login import ThrottledAuthenticationForm
from brightline.people.models import AccessRole, Person, RoleChange, SsoLink
from brightline.people.rolechanges import record_applied_change

logger = logging.getLogger("brightline.security")

ACTOR_LABEL = "single sign-on"
ERR_NO_PASSWORDS = "Passwords are switched off here: sign in through your organisation's single sign-on."
REFUSED_SESSION_KEY = "brightline_sso_refused"
# The highest role a person's groups give wins.
ROLE_RANK = [AccessRole.ADMIN, AccessRole.PEOPLE_PARTNER, AccessRole.LEADER]

# Why a sign-in was refused: the refusal page's text, by reason.
REFUSALS = {
    "unknown": ("Brightline has no account for you",
                "{provider} signed you in, but nobody in Brightline has your e-mail address (or employee id). "
                "Accounts come from your organisation's HR system: ask your people partner to check your record."),
    "unverified": ("Your e-mail address is not verified",
                   "{provider} has not verified the e-mail address it gave for you, so Brightline cannot tell "
                   "whose account is yours. Verify your address with {provider}, or ask your administrator."),
    "left": ("Your Brightline account is closed",
             "Your account was closed when you left the organisation. If that is a mistake, ask your people "
             "partner to update your record."),
    "disabled": ("Your Brightline login is switched off",
                 "An administrator switched off your Brightline login. Ask them if you need it back."),
    "linked_elsewhere": ("This account belongs to another sign-in",
                         "The Brightline account with your e-mail address is linked to a different identity at "
                         "{provider}. Nobody can take over an account by changing or reusing an e-mail address; "
                         "ask your administrator if the account is yours."),
    "ended": ("Your session has ended",
              "{provider} says you are no longer signed in there. Sign in again to go on."),
    "provider": ("Sign-in did not finish",
                 "{provider} could not be reached or did not complete the sign-in. Try again in a moment; if it "
                 "keeps happening, tell your administrator."),
}


def sso_enabled() -> bool:
    return bool(settings.BRIGHTLINE_SSO_ISSUER and settings.OIDC_RP_CLIENT_ID)


def provider_name() -> str:
    return str(settings.BRIGHTLINE_SSO_PROVIDER_NAME)


# ---- The provider's endpoints, from its discovery document (read once per issuer and process) ----

_discovered: dict[str, dict[str, Any]] = {}
_discovery_lock = threading.Lock()
DISCOVERED_SETTINGS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def discovery() -> dict[str, Any]:
    issuer = settings.BRIGHTLINE_SSO_ISSUER
    with _discovery_lock:
        if issuer not in _discovered:
            response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
            if str(document.get("issuer", "")).rstrip("/") != issuer:
                raise ImproperlyConfigured(f"the provider at OIDC_ISSUER calls itself {document.get('issuer')!r}")
            _discovered[issuer] = document
        return _discovered[issuer]


def _setting(attr: str, *default: Any) -> Any:
    if attr in DISCOVERED_SETTINGS and not hasattr(settings, attr):
        return discovery()[DISCOVERED_SETTINGS[attr]]
    return import_from_settings(attr, *default)


# ---- Role mapping ----


def role_groups() -> dict[str, set[str]]:
    """``OIDC_ROLE_GROUPS`` as role → groups; an unknown role or a pair without ``=`` is a configuration error."""
    mapping: dict[str, set[str]] = {}
    for pair in settings.BRIGHTLINE_SSO_ROLE_GROUPS:
        role, sep, group = pair.partition("=")
        role, group = role.strip(), group.strip()
        if not sep or not group or role not in AccessRole.values:
            raise ImproperlyConfigured(
                f"OIDC_ROLE_GROUPS: {pair!r} is not role=group with a role among {', '.join(AccessRole.values)}")
        mapping.setdefault(role, set()).add(group)
    return mapping


def role_from_groups(groups: object, mapping: dict[str, set[str]]) -> str:
    names = {str(group) for group in groups} if isinstance(groups, list | tuple | set) else set()
    for role in ROLE_RANK:
        if names & mapping.get(role, set()):
            return role
    return AccessRole.EMPLOYEE


# ---- The backend ----


class SignInRefused(Exception):
    def __init__(self, reason: str, person: Person | None = None, detail: dict[str, Any] | None = None):
        super().__init__(reason)
        self.reason, self.person, self.detail = reason, person, detail or {}


class SsoBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """Authenticates the OpenID Connect code flow; inert (and cheap) while single sign-on is not configured."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django makes a backend for every request and every password login: the provider's settings (and its
        # discovery document) are read only when a sign-in comes back from it.
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return _setting(attr, *args)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> AbstractBaseUser | None:
        if not sso_enabled() or request is None or "code" not in request.GET or "state" not in request.GET:
            return None
        try:
            super().__init__()
            user: AbstractBaseUser | None = super().authenticate(request, **kwargs)
        except (requests.RequestException, ValueError) as error:
            logger.warning("single sign-on: the provider failed: %s", error)
            request.session[REFUSED_SESSION_KEY] = "provider"
            return None
        return user

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        """The session's user, only while both the login and the person are active."""
        # The person's level and team with them: most pages ask for one or the other.
        user = (self.UserModel.objects.filter(pk=user_id, is_active=True)
                .select_related("person", "person__level", "person__team").first())
        person = getattr(user, "person", None) if user is not None else None
        if user is None or (person is not None and not person.is_active):
            return None
        return user  # type: ignore[no-any-return]

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if str(payload.get("iss", "")).rstrip("/") != settings.BRIGHTLINE_SSO_ISSUER:
            raise SuspiciousOperation("the ID token comes from another issuer")
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("the ID token is meant for another client")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> AbstractBaseUser | None:
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("the user info and the ID token name different subjects")
        try:
            user = sign_in(claims)
        except SignInRefused as refusal:
            self.request.session[REFUSED_SESSION_KEY] = refusal.reason
            with transaction.atomic():
                log_action("people.sso.refused", None, refusal.person,
                           {"reason": refusal.reason, **refusal.detail}, actor_label=ACTOR_LABEL)
            logger.warning("single sign-on refused (%s)", refusal.reason)
            return None
        # The provider's session id, recorded with the Brightline session it opens (see backchannel.py).
        user.sso_sid = str(payload.get("sid") or "")  # type: ignore[attr-defined]
        return user


def _first_match(claims: dict[str, Any]) -> Person:
    """The person a not-yet-linked subject belongs to, by employee id or verified e-mail."""
    claim = settings.BRIGHTLINE_SSO_EMPLOYEE_ID_CLAIM
    people = Person.objects.select_related("user", "sso_link")
    if claim:
        employee_id = str(claims.get(claim) or "").strip()
        person = people.filter(employee_id=employee_id).first() if employee_id else None
    else:
        email = str(claims.get("email") or "").strip().lower()
        if not email:
            raise SignInRefused("unknown")
        if claims.get("email_verified") is not True:
            raise SignInRefused("unverified")
        person = people.filter(email=email).first()
    if person is None:
        raise SignInRefused("unknown")
    existing = getattr(person, "sso_link", None)
    if existing is not None and existing.issuer == settings.BRIGHTLINE_SSO_ISSUER:
        raise SignInRefused("linked_elsewhere", person)
    return person


def sign_in(claims: dict[str, Any]) -> AbstractBaseUser:
    """The login for these verified claims, linking the subject at first sign-in; raises ``SignInRefused``."""
    issuer, subject = settings.BRIGHTLINE_SSO_ISSUER, str(claims.get("sub") or "")
    if not subject:
        raise SignInRefused("unknown")
    mapping = role_groups()
    with transaction.atomic():
        link = SsoLink.objects.select_related("person__user").filter(issuer=issuer, subject=subject).first()
        person = link.person if link is not None else _first_match(claims)
        if not person.is_active:
            raise SignInRefused("left", person)
        if person.user is not None and not person.user.is_active:
            raise SignInRefused("disabled", person)  # switched off by an administrator: sign-in does not undo it
        if link is None:
            SsoLink.objects.filter(person=person).delete()  # a link to a previous provider
            link = SsoLink.objects.create(person=person, issuer=issuer, subject=subject)
            log_action("people.sso.linked", None, person, {"issuer": issuer}, actor_label=ACTOR_LABEL)
        SsoLink.objects.filter(pk=link.pk).update(last_sign_in_at=timezone.now())
        if person.user is None:
            create_login(person, taken=taken_usernames([person.email]))
            log_action("people.login.created", None, person, {"source": "single sign-on"}, actor_label=ACTOR_LABEL)
        else:
            sync_login(person)
        user = person.user
        assert user is not None
        if mapping:
            apply_role(person, role_from_groups(claims.get(settings.BRIGHTLINE_SSO_GROUPS_CLAIM), mapping))
    return user


def apply_role(person: Person, role: str, *, actor: Person | None = None, actor_label: str = ACTOR_LABEL) -> None:
    """Sets the access role the identity provider's groups give (at sign-in, or from SCIM Groups): applied at
    once, recorded as a role change from the identity provider and audited."""
    if person.access_role == role:
        return
    before = person.access_role
    person.access_role = role
    person.save(update_fields=["access_role"])
    change = record_applied_change(person, RoleChange.Field.ACCESS_ROLE, before, role, actor=actor,
                                   actor_label=actor_label, source=RoleChange.Source.SSO)
    log_action("people.role_change.applied", actor, change,
               {"change": change.pk, "field": change.field, "source": change.source,
                "changes": {change.field: {"from": change.from_label, "to": change.to_label}}},
               actor_label=actor_label)


# ---- Views ----


class SsoStartView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """``Sign in with …``: off (404) while single sign-on is not configured."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if sso_enabled():
            try:
                super().__init__(*args, **kwargs)
            except (requests.RequestException, ValueError) as error:
                logger.warning("single sign-on: the provider's discovery document failed: %s", error)
                self.unreachable = True

    unreachable = False

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return _setting(attr, *args)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404("single sign-on is not configured")
        if self.unreachable:
            return refused_page(request, "provider")
        response: HttpResponse = super().get(request)
        return response


class SsoCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return _setting(attr, *args)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404("single sign-on is not configured")
        self.gone = request.GET.get("error") in SESSION_GONE_ERRORS
        response: HttpResponse = super().get(request)
        return response

    gone = False

    def login_failure(self) -> HttpResponse:
        """A refused sign-in also ends the session it was checking (see :class:`SsoSessionCheck`)."""
        request = self.request
        reason = request.session.get(REFUSED_SESSION_KEY) or ("ended" if self.gone else None)
        if request.user.is_authenticated:
            auth.logout(request)
        if reason:
            request.session[REFUSED_SESSION_KEY] = reason
        response: HttpResponse = super().login_failure()
        return response


# The provider's answers to a silent check (prompt=none) that mean its session is gone.
SESSION_GONE_ERRORS = {"login_required", "consent_required", "interaction_required", "account_selection_required"}
NOT_CHECKED_PREFIXES = ("/accounts/", "/api/", "/scim/", "/static/", "/healthz", "/admin/")


class SsoSessionCheck(SessionRefresh):  # type: ignore[misc]
    """Sessions that began with single sign-on go back through the provider, silently (``prompt=none``), on the
    first page request after ``OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS`` (15 minutes by default). The provider's
    answer signs the person in again, with the same checks as a first sign-in (a person who has left, or whose
    groups changed, is treated as at sign-in), or ends the session when the provider's own session is over.

    Password sessions, the API, htmx fragments and the login pages are never redirected."""

    def __init__(self, get_response: Any) -> None:
        MiddlewareMixin.__init__(self, get_response)  # the provider's settings are read per check, not at start

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return _setting(attr, *args)

    def is_refreshable_url(self, request: HttpRequest) -> bool:
        return (request.method == "GET" and request.user.is_authenticated
                and "oidc_id_token_expiration" in request.session and "HX-Request" not in request.headers
                and not request.path.startswith(NOT_CHECKED_PREFIXES))

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if not sso_enabled() or not self.is_refreshable_url(request):
            return None
        try:
            self.OIDC_OP_AUTHORIZATION_ENDPOINT = _setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ValueError) as error:
            logger.warning("single sign-on: the provider's discovery document failed: %s", error)
            return None  # checked again on the next page
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_SCOPES = settings.OIDC_RP_SCOPES
        self.OIDC_STATE_SIZE = self.OIDC_NONCE_SIZE = 32
        self.OIDC_USE_NONCE = True
        self.OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
        response: HttpResponse | None = super().process_request(request)
        return response


def refused_page(request: HttpRequest, reason: str | None = None) -> HttpResponse:
    reason = reason or request.session.pop(REFUSED_SESSION_KEY, None) or "provider"
    title, text = REFUSALS.get(reason, REFUSALS["provider"])
    return render(request, "registration/sso_refused.html",
                  {"title": title, "text": text.format(provider=provider_name()), "sso_enabled": sso_enabled(),
                   "provider_name": provider_name(), "local_passwords": settings.BRIGHTLINE_LOCAL_PASSWORDS},
                  status=403)


def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out of Brightline (POST); after a single sign-on, also at the provider, which comes back here."""
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    id_token = request.session.get("oidc_id_token")
    auth.logout(request)
    login_url = request.build_absolute_uri(settings.LOGOUT_REDIRECT_URL)
    if id_token and sso_enabled():
        try:
            end_session = discovery().get("end_session_endpoint")
        except (requests.RequestException, ValueError):
            end_session = None
        if end_session:
            query = urlencode({"id_token_hint": id_token, "client_id": settings.OIDC_RP_CLIENT_ID,
                               "post_logout_redirect_uri": login_url})
            return HttpResponseRedirect(f"{end_session}?{query}")
    return HttpResponseRedirect(settings.LOGOUT_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    """The login page: "Sign in with …" when single sign-on is configured, the password form unless switched off."""

    authentication_form = ThrottledAuthenticationForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(sso_enabled=sso_enabled(), provider_name=provider_name(),
                       local_passwords=settings.BRIGHTLINE_LOCAL_PASSWORDS)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.BRIGHTLINE_LOCAL_PASSWORDS:
            return HttpResponse(ERR_NO_PASSWORDS, status=403, content_type="text/plain; charset=utf-8")
        response: HttpResponse = super().post(request, *args, **kwargs)
        return response


def passwords_only(view: Any) -> Any:
    """Pages for local passwords (reset, set, the admin's login) are gone when passwords are switched off."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.BRIGHTLINE_LOCAL_PASSWORDS:
            if request.path.startswith("/admin/"):
                return HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode({'next': '/admin/'})}")
            raise Http404("local passwords are switched off")
        response: HttpResponse = view(request, *args, **kwargs)
        return response

    return wrapped
