from django.urls import path

from brightline.people import views

app_name = "people"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("new/", views.add, name="add"),
    path("new/managers/", views.manager_suggestions, name="manager-suggestions"),
    path("<int:person_id>/account/", views.account, name="account"),
    path("<int:person_id>/manager-and-team/", views.change_manager_or_team, name="manager-and-team"),
    path("changes/", views.role_changes, name="role-changes"),
    path("changes/<int:change_id>/approve/", views.decide_role_change, {"decision": "approve"},
         name="role-change-approve"),
    path("changes/<int:change_id>/reject/", views.decide_role_change, {"decision": "reject"},
         name="role-change-reject"),
]
