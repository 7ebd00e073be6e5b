from django.apps import AppConfig


class FairnessConfig(AppConfig):
    name = "brightline.fairness"
    label = "fairness"
    verbose_name = "Fairness audits"
