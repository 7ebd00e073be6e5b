from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "brightline.insights"
    label = "insights"
    verbose_name = "AI-derived signals"
