from django.urls import path

from brightline.evidence import views

app_name = "evidence"
urlpatterns = [
    path("services/", views.service_list, name="services"),
    path("services/new/", views.service_edit, name="service-new"),
    path("services/<slug:name>/", views.service_detail, name="service"),
    path("services/<slug:name>/edit/", views.service_edit, name="service-edit"),
    path("teams/<slug:slug>/", views.team_delivery, name="team"),
    path("teams/<slug:slug>/health/", views.team_health_view, name="team-health"),
    path("definitions/", views.definitions, name="definitions"),
    path("ingest/", views.ingest_git_view, name="ingest"),
    path("jobs/<int:run_id>/", views.job_detail, name="job"),
    path("jobs/<int:run_id>/progress/", views.job_progress, name="job-progress"),
    path("identities/", views.identity_queue, name="identities"),
    path("identities/<int:identity_id>/map/", views.identity_map, name="identity-map"),
    path("identities/<int:identity_id>/dismiss/", views.identity_dismiss, name="identity-dismiss"),
]
