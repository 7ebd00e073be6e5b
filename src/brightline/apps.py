from django.apps import AppConfig


class BrightlineConfig(AppConfig):
    """The project package itself, registered so its product commands are discovered."""

    name = "brightline"
    verbose_name = "Brightline"
