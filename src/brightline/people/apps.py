from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "brightline.people"
    label = "people"
    verbose_name = "People, teams and career ladders"

    def ready(self) -> None:
        # A mistyped OIDC_ROLE_GROUPS stops the start with a clear message, not the first sign-in.
        from brightline.people.sso import role_groups

        role_groups()
