"""Every page and API route refuses anonymous visitors (a login redirect, or 401 for the API)."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# "api/" is the API root, which has no page (404) because the bundled docs would load a CDN.
OPEN_ROUTES = {"accounts/login/", "healthz", "api/openapi.json", "api/",
               # Asking for and using a set-password link happens before one can log in.
               "accounts/password/reset/", "accounts/password/reset/sent/",
               "accounts/password/set/<uidb64>/<token>/", "accounts/password/set/done/",
               # A calendar app opens a person's feed by its secret address (a wrong one is 404: test_calendar_feed).
               "calendar/<str:token>.ics",
               # Single sign-on starts and ends before one is logged in (404 while it is not configured).
               "accounts/sso/start/", "accounts/sso/callback/", "accounts/sso/refused/",
               # The identity provider posts signed logout tokens here, server to server (test_sso_oidc).
               "accounts/sso/backchannel-logout/",
               # The provider's logout page frames this in the person's browser, which may send no Brightline
               # cookie; it ends only the sessions of the provider session it names (test_sso_oidc).
               "accounts/sso/frontchannel-logout/"}


def all_routes(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    resolver = resolver or get_resolver()
    routes: list[str] = []
    for pattern in resolver.url_patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes.extend(all_routes(pattern, text))
        elif isinstance(pattern, URLPattern):
            routes.append(text)
    return routes


def concrete(route: str) -> str:
    # Fill converters and regex groups with a plausible value; the login check comes before any lookup.
    route = re.sub(r"<int:[^>]+>", "1", route)
    route = re.sub(r"<(?:slug|str|uuid|path):?[^>]*>", "x", route)
    route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "x", route)
    return "/" + route.lstrip("^").rstrip("$").replace("\\", "")


ROUTES = sorted({route for route in all_routes() if not route.startswith("admin/")})


def test_the_route_list_is_not_empty():
    assert "api/me" in ROUTES and "" in ROUTES


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_an_anonymous_visitor_is_refused(client, route):
    if route in OPEN_ROUTES or route.startswith("static/"):
        pytest.skip("deliberately open")
    response = client.get(concrete(route))
    if route.startswith(("api/", "scim/")):  # these authenticate on their own and answer 401
        assert response.status_code in {401, 405}, response.status_code
    else:
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), response.status_code
