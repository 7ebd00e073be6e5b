"""OpenID Connect Front-Channel Logout 1.0: the provider's logout page ends Brightline sessions through the browser.

A provider that supports it loads ``/accounts/sso/frontchannel-logout/?iss=…&sid=…`` in an invisible iframe of
the page where the person signs out at the provider (the address registered as ``frontchannel_logout_uri``, with
``frontchannel_logout_session_required: true`` so that it adds ``iss`` and ``sid``, section 2 of the
specification). ``iss`` must be the configured issuer and ``sid`` a provider session id; the Brightline sessions
that provider session opened (recorded at sign-in, as for back-channel logout) end at once, the browser's own
included: they are ended in the session store, so this works when the browser does not send Brightline's
cookie to a frame of another site (``SameSite=Lax``, and browsers that block third-party cookies). Without both
parameters, or with another issuer, nothing ends and the answer is 400.

The answer is a small page without navigation or script, never cached (``Cache-Control: no-cache, no-store``
and ``Pragma: no-cache``, as section 2 asks), that only the provider's own pages may frame: its
``Content-Security-Policy`` allows the issuer's origin as ``frame-ancestors`` and it carries no
``X-Frame-Options``; every other page of Brightline still refuses to be framed.

A request from anyone can reach this address (a frame needs no token, unlike the signed back-channel logout
token), so it can end only the sessions of a provider session whose id it knows: ids the provider makes
unguessable, and which Brightline never shows.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from brightline.audit.services import log_action
from brightline.people.backchannel import end_recorded_sessions
from brightline.people.models import Person, SignedInSession
from brightline.people.sso import ACTOR_LABEL, sso_enabled

logger = logging.getLogger("brightline.security")

NO_CACHE = "no-cache, no-store"
SID_LIMIT = int(getattr(SignedInSession._meta.get_field("sid"), "max_length", 255))


def provider_origin() -> str:
    """The origin of the configured issuer, the only one allowed to frame the logout page ('none' without one)."""
    issuer = urlsplit(settings.BRIGHTLINE_SSO_ISSUER or "")
    if issuer.scheme in {"http", "https"} and issuer.netloc:
        return f"{issuer.scheme}://{issuer.netloc}"
    return "'none'"


def _answer(request: HttpRequest, ended: bool, status: int) -> HttpResponse:
    response = render(request, "registration/frontchannel_logout.html", {"ended": ended}, status=status)
    response["Cache-Control"] = NO_CACHE
    response["Pragma"] = "no-cache"
    response["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {provider_origin()}")
    return response


@xframe_options_exempt  # framed by the provider's logout page; frame-ancestors names the provider alone
@require_GET
def frontchannel_logout(request: HttpRequest) -> HttpResponse:
    """Ends the Brightline sessions of the provider session ``sid`` when ``iss`` is the configured issuer."""
    if not sso_enabled():
        raise Http404("single sign-on is not configured")
    issuer, sid = request.GET.get("iss", "").rstrip("/"), request.GET.get("sid", "")
    refusal = ("iss and sid are both required" if not issuer or not sid else
               "another issuer" if issuer != settings.BRIGHTLINE_SSO_ISSUER else
               "the sid is too long" if len(sid) > SID_LIMIT else "")
    if refusal:
        logger.warning("front-channel logout refused: %s", refusal)
        return _answer(request, False, 400)
    rows = SignedInSession.objects.filter(sid=sid)
    user_ids = set(rows.values_list("user_id", flat=True))
    ended = end_recorded_sessions(rows)
    own_session = getattr(request, "session", None)
    if own_session is not None and own_session.session_key in ended:
        logout(request)  # this browser sent its cookie: it gets an empty session at once
    for person in Person.objects.filter(user_id__in=user_ids).order_by("pk"):
        log_action("people.sso.provider_logout", None, person,
                   {"sessions_ended": len(ended), "by": "provider session", "channel": "front"},
                   actor_label=ACTOR_LABEL)
    return _answer(request, bool(ended), 200)
