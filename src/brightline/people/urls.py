from django.urls import path

from brightline.people import views

urlpatterns = [
    path("", views.role_changes, name="role-changes"),
    path("<int:change_id>/approve/", views.decide_role_change, {"decision": "approve"}, name="role-change-approve"),
    path("<int:change_id>/reject/", views.decide_role_change, {"decision": "reject"}, name="role-change-reject"),
]
