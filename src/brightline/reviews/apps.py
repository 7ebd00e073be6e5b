from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "brightline.reviews"
    label = "reviews"
    verbose_name = "Review cycles and calibration"
