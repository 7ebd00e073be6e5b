from django.urls import path

from brightline.support import views

app_name = "support"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/<int:person_id>/", views.plan_new, name="plan-new"),
    path("<int:plan_id>/", views.plan_detail, name="plan"),
    path("<int:plan_id>/<slug:action>/", views.plan_action, name="plan-action"),
]
