from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "brightline.governance"
    label = "governance"
    verbose_name = "How the organisation is run"
