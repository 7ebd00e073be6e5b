from django.urls import path

from brightline.notifications import views

app_name = "notifications"

urlpatterns = [
    path("me/notifications/", views.notification_settings, name="settings"),
    path("me/notifications/calendar/", views.calendar_link, name="calendar-link"),
    path("me/notices/", views.notices, name="notices"),
    path("me/notices/read/", views.notices_read, name="notices-read"),
    path("me/notices/<int:notice_id>/", views.notice_open, name="notice-open"),
    path("reviews/cycles/<int:cycle_id>/remind/", views.remind, name="remind"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
]
