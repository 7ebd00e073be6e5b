from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "brightline.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
