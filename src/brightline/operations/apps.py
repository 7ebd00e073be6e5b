from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Work that spans every app (the retention purge), so it sits above them all.

    An installed app of its own, with no models, because commands (``<app>/cli.py``), jobs
    (``<app>/jobs.py``) and management commands are discovered per installed app.
    """

    name = "brightline.operations"
    label = "operations"
    verbose_name = "Operations"
