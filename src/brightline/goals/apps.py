from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "brightline.goals"
    label = "goals"
    verbose_name = "Goals"
