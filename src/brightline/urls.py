from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path, reverse

from brightline.api import api
from brightline.people import backchannel, frontchannel, sso
from brightline.people.accounts import AnyLoginPasswordResetForm
from brightline.people.login import ThrottledAdminAuthenticationForm

handler500 = "brightline.storagefull.server_error"

admin.site.login_form = ThrottledAdminAuthenticationForm


def moved_to(name: str) -> Callable[..., HttpResponse]:
    """A page that moved: a permanent redirect (308, so a form posted to the old address is posted again,
    not turned into a GET) to ``name`` with the same arguments and query string."""

    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        return redirect(reverse(name, kwargs=kwargs) + (f"?{query}" if query else ""), permanent=True,
                        preserve_request=True)

    return view


# The leadership view, system health, manager quality and their imports moved from /fairness/ to
# /governance/ (docs/architecture.md); the old addresses people bookmarked keep working.
MOVED_FROM_FAIRNESS = [
    path("fairness/leadership/", moved_to("governance:leadership")),
    path("fairness/leadership/drill-down/", moved_to("governance:drill-down")),
    path("fairness/health/", moved_to("governance:system-health")),
    path("fairness/managers/<int:person_id>/", moved_to("governance:manager-quality")),
    path("fairness/data/", moved_to("governance:data")),
]

urlpatterns = [
    path("accounts/login/", sso.LoginView.as_view(), name="login"),
    path("accounts/logout/", sso.logout_view, name="logout"),
    path("accounts/sso/start/", sso.SsoStartView.as_view(), name="oidc_authentication_init"),
    path("accounts/sso/callback/", sso.SsoCallbackView.as_view(), name="oidc_authentication_callback"),
    path("accounts/sso/refused/", sso.refused_page, name="sso-refused"),
    path("accounts/sso/backchannel-logout/", backchannel.backchannel_logout, name="oidc_backchannel_logout"),
    path("accounts/sso/frontchannel-logout/", frontchannel.frontchannel_logout, name="oidc_frontchannel_logout"),
    path("accounts/password/reset/",
         sso.passwords_only(auth_views.PasswordResetView.as_view(form_class=AnyLoginPasswordResetForm)),
         name="password_reset"),
    path("accounts/password/reset/sent/", sso.passwords_only(auth_views.PasswordResetDoneView.as_view()),
         name="password_reset_done"),
    path("accounts/password/set/<uidb64>/<token>/", sso.passwords_only(auth_views.PasswordResetConfirmView.as_view()),
         name="password_reset_confirm"),
    path("accounts/password/set/done/", sso.passwords_only(auth_views.PasswordResetCompleteView.as_view()),
         name="password_reset_complete"),
    path("admin/login/", sso.passwords_only(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("scim/v2/", include("brightline.people.scim_urls")),
    path("evidence/", include("brightline.evidence.urls")),
    path("growth/", include("brightline.feedback.urls")),
    path("insights/", include("brightline.insights.urls")),
    path("reviews/", include("brightline.reviews.urls")),
    path("support/", include("brightline.support.urls")),
    path("goals/", include("brightline.goals.urls")),
    path("promotions/", include("brightline.promotions.urls")),
    *MOVED_FROM_FAIRNESS,
    path("fairness/", include("brightline.fairness.urls")),
    path("governance/", include("brightline.governance.urls")),
    path("people/", include("brightline.people.urls")),
    path("", include("brightline.notifications.urls")),
    path("", include("brightline.dashboards.urls")),
]
