from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "brightline.support"
    label = "support"
    verbose_name = "Support plans"
