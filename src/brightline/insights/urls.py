"""AI-derived signals under ``/insights/``."""

from django.urls import path

from brightline.insights import views

app_name = "insights"
urlpatterns = [
    path("me/", views.my_signals, name="me"),
    path("person/<int:person_id>/", views.person_signals, name="person"),
    path("team/<slug:slug>/", views.team_signals, name="team"),
    path("signals/<int:pk>/review/", views.review_signal, name="review"),
    path("transparency/", views.transparency, name="transparency"),
    path("organisation/", views.organisation, name="organisation"),
]
