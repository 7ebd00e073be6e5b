from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "brightline.feedback"
    label = "feedback"
    verbose_name = "Feedback and accomplishments"
