from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "brightline.people"
    label = "people"
    verbose_name = "People, teams and career ladders"

    def ready(self) -> None:
        # A mistyped OIDC_ROLE_GROUPS stops the start with a clear message, not the first sign-in.
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from brightline.people import backchannel
        from brightline.people.sso import role_groups

        role_groups()
        # Every session is indexed by login, so that a logout from the identity provider can end it.
        user_logged_in.connect(backchannel.record_session, dispatch_uid="brightline.record_session")
        user_logged_out.connect(backchannel.forget_session, dispatch_uid="brightline.forget_session")
