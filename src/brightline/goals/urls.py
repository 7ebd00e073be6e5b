from django.urls import path

from brightline.goals import views

app_name = "goals"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.edit, name="new"),
    path("<int:goal_id>/edit/", views.edit, name="edit"),
    path("<int:goal_id>/delete/", views.delete, name="delete"),
    path("people/<int:person_id>/", views.person_goals, name="person"),
]
