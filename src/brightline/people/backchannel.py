"""OpenID Connect Back-Channel Logout 1.0: the identity provider ends Brightline sessions directly.

When a person signs out at the provider, or an administrator disables them there, the provider POSTs a
``logout_token`` (a JWT it signs) to ``/accounts/sso/backchannel-logout/``, server to server. The token is
checked as the specification's section 2.6 asks: its signature against the provider's key set, ``iss``,
``aud``, ``iat`` and ``exp``, the back-channel logout event, a ``sub`` or a ``sid``, no ``nonce``, and a ``jti``
not seen before while the token lives. A good token ends every Brightline session of that provider session
(``sid``, recorded at sign-in) or, with a ``sub`` alone, every session of that person, password sessions
included; the next request of those browsers is signed out. A bad token changes nothing and answers 400.

Sessions are found through :class:`SignedInSession`, a row written at each sign-in (any kind), because
Django's session table cannot be searched by user.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from brightline.audit.services import log_action
from brightline.people.models import LogoutTokenSeen, SignedInSession, SsoLink
from brightline.people.sso import ACTOR_LABEL, _setting, sso_enabled

logger = logging.getLogger("brightline.security")

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# A logout token is typed "logout+jwt" by providers that follow the specification's advice; a plain JWT is
# accepted too. Any other type (an access token, say) is refused.
TOKEN_TYPES = {"logout+jwt", "jwt", "application/logout+jwt"}
LEEWAY_SECONDS = 60
# Session stores the database can be searched in: with another engine, sessions cannot be ended from here.
DATABASE_SESSIONS = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}


class InvalidLogoutToken(Exception):
    def __init__(self, description: str, error: str = "invalid_request"):
        super().__init__(description)
        self.error, self.description = error, description


# ---- Recording sessions at sign-in (signal receivers, connected in PeopleConfig.ready) ----


def record_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """After any sign-in: index the new session by login, with the provider's session id after single sign-on."""
    session = getattr(request, "session", None)
    if session is None or not session.session_key:
        return
    SignedInSession.objects.update_or_create(
        session_key=session.session_key, defaults={"user": user, "sid": str(getattr(user, "sso_sid", "") or "")})
    if settings.SESSION_ENGINE in DATABASE_SESSIONS:
        # Rows of sessions that are over (expired, or replaced: a silent check signs in again under a new key).
        live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
        SignedInSession.objects.exclude(session_key__in=live).delete()


def forget_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        SignedInSession.objects.filter(session_key=session.session_key).delete()


# ---- Checking the logout token ----


def _signing_key(header: dict[str, Any]) -> Any:
    algorithm = settings.OIDC_RP_SIGN_ALGO
    if algorithm.startswith("HS"):
        return settings.OIDC_RP_CLIENT_SECRET
    try:
        # The key set named by the discovery document, which checks that the issuer answers as itself.
        response = requests.get(_setting("OIDC_OP_JWKS_ENDPOINT"), timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        keys = response.json().get("keys", [])
    except (requests.RequestException, ValueError, AttributeError) as error:
        raise InvalidLogoutToken("the provider's key set could not be read", "temporarily_unavailable") from error
    for jwk in keys if isinstance(keys, list) else []:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        if header.get("kid") is not None and jwk.get("kid") != header["kid"]:
            continue
        if "alg" in jwk and jwk["alg"] != algorithm:
            continue
        try:
            return jwt.PyJWK(jwk, algorithm)
        except jwt.PyJWTError:
            continue
    raise InvalidLogoutToken("no key of the provider's key set matches the token")


def validate_logout_token(token: str) -> dict[str, Any]:
    """The logout token's claims once every check of the specification's section 2.6 passed; raises
    :class:`InvalidLogoutToken` otherwise. Encrypted tokens are not accepted."""
    algorithm = settings.OIDC_RP_SIGN_ALGO
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise InvalidLogoutToken("the logout token is not a signed JWT") from error
    if header.get("alg") != algorithm:
        raise InvalidLogoutToken(f"the logout token must be signed with {algorithm}")
    if str(header.get("typ", "JWT")).lower() not in TOKEN_TYPES:
        raise InvalidLogoutToken("the token is not a logout token")
    key = _signing_key(header)
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[algorithm], audience=settings.OIDC_RP_CLIENT_ID, leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "iat", "exp", "jti"], "verify_iss": False})
    except jwt.InvalidAudienceError as error:
        raise InvalidLogoutToken("the logout token is meant for another client") from error
    except jwt.InvalidSignatureError as error:
        raise InvalidLogoutToken("the logout token's signature does not verify") from error
    except jwt.ExpiredSignatureError as error:
        raise InvalidLogoutToken("the logout token has expired") from error
    except jwt.PyJWTError as error:
        raise InvalidLogoutToken(f"the logout token is not valid: {error}") from error
    if str(claims["iss"]).rstrip("/") != settings.BRIGHTLINE_SSO_ISSUER:
        raise InvalidLogoutToken("the logout token comes from another issuer")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(LOGOUT_EVENT), dict):
        raise InvalidLogoutToken("the logout token does not carry the back-channel logout event")
    if "nonce" in claims:
        raise InvalidLogoutToken("a logout token must not carry a nonce")
    sub, sid = claims.get("sub"), claims.get("sid")
    if not sub and not sid:
        raise InvalidLogoutToken("the logout token names neither a subject nor a session")
    if any(value is not None and not isinstance(value, str) for value in (sub, sid, claims["jti"])):
        raise InvalidLogoutToken("the logout token's sub, sid and jti must be strings")
    if not claims["jti"] or len(claims["jti"]) > LogoutTokenSeen._meta.get_field("jti").max_length:
        raise InvalidLogoutToken("the logout token's jti is empty or too long")
    return claims


# ---- Ending the sessions ----


def end_recorded_sessions(rows: QuerySet[SignedInSession]) -> list[str]:
    """Ends the sessions of ``rows`` in the session store and forgets the rows; the keys of those still open."""
    keys = list(rows.values_list("session_key", flat=True))
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    ended = []
    for key in keys:
        if store.exists(key):
            store.delete(key)
            ended.append(key)
    SignedInSession.objects.filter(session_key__in=keys).delete()
    return ended


def end_sessions(claims: dict[str, Any]) -> int:
    """Ends the sessions the (valid) logout token names; refuses a replayed ``jti``. Returns how many ended."""
    now = timezone.now()
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=UTC) + timedelta(seconds=LEEWAY_SECONDS)
    sub, sid = claims.get("sub"), claims.get("sid")
    with transaction.atomic():
        LogoutTokenSeen.objects.filter(expires_at__lt=now).delete()
        try:
            with transaction.atomic():
                LogoutTokenSeen.objects.create(jti=claims["jti"], expires_at=expires)
        except IntegrityError as error:
            raise InvalidLogoutToken("this logout token was already used") from error
        link = (SsoLink.objects.select_related("person__user")
                .filter(issuer=settings.BRIGHTLINE_SSO_ISSUER, subject=sub).first() if sub else None)
        person = link.person if link is not None else None
        rows = SignedInSession.objects.all()
        if sid:
            rows = rows.filter(sid=sid)
        if sub:
            rows = rows.filter(user_id=person.user_id if person is not None else None)
        ended = len(end_recorded_sessions(rows))
        if person is not None or ended:
            log_action("people.sso.provider_logout", None, person,
                       {"sessions_ended": ended, "by": "provider session" if sid else "person"},
                       actor_label=ACTOR_LABEL)
    return ended


@csrf_exempt  # the provider calls this server to server, with a signed token instead of a cookie
def backchannel_logout(request: HttpRequest) -> HttpResponse:
    """The back-channel logout endpoint: 200 once the sessions are ended, 400 with an error otherwise."""
    if not sso_enabled():
        raise Http404("single sign-on is not configured")
    if request.method != "POST":
        response = HttpResponse(status=405, headers={"Allow": "POST"})
    else:
        try:
            end_sessions(validate_logout_token(request.POST.get("logout_token", "")))
            response = HttpResponse(status=200)
        except InvalidLogoutToken as refusal:
            logger.warning("back-channel logout refused: %s", refusal.description)
            response = JsonResponse({"error": refusal.error, "error_description": refusal.description}, status=400)
    response["Cache-Control"] = "no-store"
    return response
