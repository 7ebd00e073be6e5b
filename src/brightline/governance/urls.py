"""Governance pages, included at ``/governance/``; the paths they had under ``/fairness/`` redirect here
(see ``brightline.urls``)."""

from django.urls import path

from brightline.governance import views

app_name = "governance"
urlpatterns = [
    path("", views.index, name="index"),
    path("data/", views.data, name="data"),
    path("managers/<int:person_id>/", views.manager_quality_page, name="manager-quality"),
    path("system-health/", views.system_health_page, name="system-health"),
    path("leadership/", views.leadership_view, name="leadership"),
    path("leadership/drill-down/", views.drill_down, name="drill-down"),
]
