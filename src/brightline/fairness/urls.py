"""Fairness pages, included at ``/fairness/``."""

from django.urls import path

from brightline.fairness import views

app_name = "fairness"
urlpatterns = [
    path("", views.index, name="index"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("language/", views.language, name="language"),
    path("compliance/ll144/", views.ll144, name="ll144"),
    path("compliance/ai-system/", views.ai_system_record, name="ai-system"),
]
