from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from brightline.api import api
from brightline.people import sso
from brightline.people.accounts import AnyLoginPasswordResetForm
from brightline.people.login import ThrottledAdminAuthenticationForm

admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("accounts/login/", sso.LoginView.as_view(), name="login"),
    path("accounts/logout/", sso.logout_view, name="logout"),
    path("accounts/sso/start/", sso.SsoStartView.as_view(), name="oidc_authentication_init"),
    path("accounts/sso/callback/", sso.SsoCallbackView.as_view(), name="oidc_authentication_callback"),
    path("accounts/sso/refused/", sso.refused_page, name="sso-refused"),
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
    path("scim/v2/", include("brightline.people.scim")),
    path("evidence/", include("brightline.evidence.urls")),
    path("growth/", include("brightline.feedback.urls")),
    path("insights/", include("brightline.insights.urls")),
    path("reviews/", include("brightline.reviews.urls")),
    path("support/", include("brightline.support.urls")),
    path("goals/", include("brightline.goals.urls")),
    path("promotions/", include("brightline.promotions.urls")),
    path("fairness/", include("brightline.fairness.urls")),
    path("people/changes/", include("brightline.people.urls")),
    path("", include("brightline.notifications.urls")),
    path("", include("brightline.dashboards.urls")),
]
