from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "brightline.notifications"
    label = "notifications"
    verbose_name = "Notifications and calendar"

    def ready(self) -> None:
        from brightline.notifications import signals

        signals.connect()
