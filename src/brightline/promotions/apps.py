from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "brightline.promotions"
    label = "promotions"
    verbose_name = "Promotion cases"
