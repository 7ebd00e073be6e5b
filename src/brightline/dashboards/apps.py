from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "brightline.dashboards"
    label = "dashboards"
    verbose_name = "Web front"
