from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "brightline.people"
    label = "people"
    verbose_name = "People, teams and career ladders"
