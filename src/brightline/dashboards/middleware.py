"""Everything needs a login except the login page itself, the health check and static files.

The JSON API and SCIM provisioning authenticate on their own (session or token) and answer 401
instead of redirecting; the admin has its own login; single sign-on's pages come before a login.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

OPEN_PREFIXES = ("/accounts/login/", "/accounts/password/", "/accounts/sso/", "/healthz", "/static/", "/api/",
                 "/admin/", "/scim/",
                 "/calendar/")  # a calendar feed is opened by its secret address, not a session


class LoginRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A person who has left loses their session at once, even if an administrator left the login on.
        person = getattr(request.user, "person", None) if request.user.is_authenticated else None
        if person is not None and not person.is_active:
            logout(request)
        if not request.user.is_authenticated and not request.path.startswith(OPEN_PREFIXES):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
