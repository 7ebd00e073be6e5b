from django.urls import path

from brightline.promotions import views

app_name = "promotions"
urlpatterns = [
    path("", views.index, name="index"),
    path("nominate/<int:person_id>/", views.nominate, name="nominate"),
    path("open-roles/", views.open_roles, name="open-roles"),
    path("rates/", views.rates, name="rates"),
    path("<int:case_id>/", views.case_detail, name="case"),
    path("<int:case_id>/<slug:action>/", views.case_action, name="case-action"),
]
