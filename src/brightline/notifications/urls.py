from django.urls import path

from brightline.notifications import views

app_name = "notifications"

urlpatterns = [
    path("me/notifications/", views.notification_settings, name="settings"),
    path("me/notifications/calendar/", views.calendar_link, name="calendar-link"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
]
