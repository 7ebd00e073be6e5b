from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from brightline.api import api
from brightline.people.accounts import AnyLoginPasswordResetForm
from brightline.people.login import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm

admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/reset/",
         auth_views.PasswordResetView.as_view(form_class=AnyLoginPasswordResetForm), name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/password/set/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/password/set/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("evidence/", include("brightline.evidence.urls")),
    path("growth/", include("brightline.feedback.urls")),
    path("insights/", include("brightline.insights.urls")),
    path("reviews/", include("brightline.reviews.urls")),
    path("support/", include("brightline.support.urls")),
    path("fairness/", include("brightline.fairness.urls")),
    path("people/changes/", include("brightline.people.urls")),
    path("", include("brightline.notifications.urls")),
    path("", include("brightline.dashboards.urls")),
]
