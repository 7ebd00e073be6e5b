from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "brightline.policy"
    label = "policy"
    verbose_name = "Policy and data inventory"
