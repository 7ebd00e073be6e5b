from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "brightline.evidence"
    label = "evidence"
    verbose_name = "Operational evidence"
