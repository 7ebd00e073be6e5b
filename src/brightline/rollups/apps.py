from django.apps import AppConfig


class RollupsConfig(AppConfig):
    name = "brightline.rollups"
    label = "rollups"
    verbose_name = "Rollups"

    def ready(self) -> None:
        from brightline.rollups import triggers

        triggers.connect()
