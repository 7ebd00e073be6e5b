from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "brightline.audit"
    label = "audit"
    verbose_name = "Audit trail"
