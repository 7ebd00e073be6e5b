"""Logins that follow people: one Django user per person, created, renamed and closed with them.

A login made for a person has no usable password: the person sets one through an invitation
link (``brightline people invite``) or the password-reset page, both signed with Django's
token generator and sent through the configured mail backend.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from brightline.audit.services import insert_objects, log_action
from brightline.people.models import Person

USERNAME_MAX = 150
INVITATION_SUBJECT = "Your Brightline account"
INVITATION_BODY = (
    "Hello {name},\n\n"
    "An account on Brightline, where your organisation runs feedback and reviews, is ready for you.\n"
    "Choose your password here (the link works once and expires in a few days):\n\n"
    "{link}\n\n"
    "Your username is: {username}\n"
)
ERR_NO_PERSON = "no active person with the email {email!r}"


class InvitationError(Exception):
    pass


class AnyLoginPasswordResetForm(PasswordResetForm):
    """Django's reset form, also for logins that never had a password (made by the people import).

    Only active logins of active people receive the link; the page says the same whatever the address.
    """

    def get_users(self, email: str) -> Iterable[Any]:
        return get_user_model().objects.filter(email__iexact=email, is_active=True, person__is_active=True)


def username_base(email: str) -> str:
    """The e-mail's local part, reduced to what Django's usernames accept."""
    local = email.split("@", 1)[0].lower()
    return re.sub(r"[^\w.@+-]", "", local)[:USERNAME_MAX - 4] or "person"


def unique_username(email: str, taken: set[str]) -> str:
    """``ana`` or, when taken, ``ana2``, ``ana3``…; ``taken`` grows by the name returned."""
    base = username_base(email)
    candidate, number = base, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{base}{number}"
    taken.add(candidate.lower())
    return candidate


MANY_BASES = 100


def _has_base(name: str, bases: set[str]) -> bool:
    """``name`` (lower case) is one of ``bases`` followed by nothing but digits, as the pattern below matches."""
    end = len(name)
    while True:
        if name[:end] in bases:
            return True
        if end == 0 or name[end - 1] not in "0123456789":
            return False
        end -= 1


def taken_usernames(emails: Iterable[str]) -> set[str]:
    """Usernames already in use that could collide with logins made for ``emails``."""
    bases = {username_base(email) for email in emails}
    if not bases:
        return set()
    if len(bases) > MANY_BASES:  # one pattern of thousands of alternatives costs the database more than a scan
        return {name for name in (username.lower() for username in
                                  get_user_model().objects.values_list("username", flat=True).iterator())
                if _has_base(name, bases)}
    pattern = "^(" + "|".join(re.escape(base) for base in sorted(bases)) + r")[0-9]*$"
    return {name.lower() for name in
            get_user_model().objects.filter(username__iregex=pattern).values_list("username", flat=True)}


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first[:150], last[:150]


def create_login(person: Person, *, taken: set[str]) -> AbstractBaseUser:
    """A user for ``person`` with an unusable password, linked to them; active with them."""
    first, last = _split_name(person.name)
    user = get_user_model()(username=unique_username(person.email, taken), email=person.email,
                            first_name=first, last_name=last, is_active=person.is_active)
    user.set_unusable_password()
    user.save()
    person.user = user
    person.save(update_fields=["user"])
    return user


def create_logins(people: list[Person], *, taken: set[str]) -> list[AbstractBaseUser]:
    """:func:`create_login` for many people at once, in a few statements: the users are stored and set on the
    people, whose link the caller stores (new people are inserted with it, others by a bulk update)."""
    users = []
    for person in people:
        first, last = _split_name(person.name)
        user = get_user_model()(username=unique_username(person.email, taken), email=person.email,
                                first_name=first, last_name=last, is_active=person.is_active)
        # What set_unusable_password() stores ("!" and 40 random characters), without its per-character draw.
        user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(UNUSABLE_PASSWORD_SUFFIX_LENGTH // 2)
        users.append(user)
    insert_objects(get_user_model(), users, key="username")
    for person, user in zip(people, users, strict=True):
        person.user = user
    return users


def login_changes(person: Person) -> list[str]:
    """Copy the person's e-mail, name and active state to their (unsaved) login; the names of the fields changed."""
    user = person.user
    if user is None:
        return []
    first, last = _split_name(person.name)
    wanted = {"email": person.email, "first_name": first, "last_name": last, "is_active": person.is_active}
    changed = [name for name, value in wanted.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, wanted[name])
    return changed


def sync_login(person: Person) -> bool:
    """Copy the person's e-mail, name and active state to their login. True when something changed."""
    user = person.user
    if user is None:
        return False
    first, last = _split_name(person.name)
    wanted = {"email": person.email, "first_name": first, "last_name": last, "is_active": person.is_active}
    changed = [name for name, value in wanted.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, wanted[name])
    if changed:
        user.save(update_fields=changed)
    return bool(changed)


def base_url_guessed() -> bool:
    """``BRIGHTLINE_BASE_URL`` is unset: a link made without a request starts with ``http://localhost:8000``."""
    return not settings.BRIGHTLINE_BASE_URL_CONFIGURED


def invitation_base_url(seen_at: str | None = None) -> str:
    """Where an invitation's link starts: ``BRIGHTLINE_BASE_URL`` when it is set; unset, the address the sender
    is using (``seen_at``, from a request whose host ``ALLOWED_HOSTS`` accepted) or, without one, the default."""
    if settings.BRIGHTLINE_BASE_URL_CONFIGURED or not seen_at:
        return str(settings.BRIGHTLINE_BASE_URL)
    return seen_at


def invitation_link(user: AbstractBaseUser, base_url: str | None = None) -> str:
    path = reverse("password_reset_confirm", kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                                                      "token": default_token_generator.make_token(user)})
    return (base_url or str(settings.BRIGHTLINE_BASE_URL)).rstrip("/") + path


def invite(email: str, *, actor: Person | None = None, actor_label: str | None = None,
           seen_at: str | None = None) -> Person:
    """E-mail a set-password link to the active person with ``email``, creating their login if needed. ``seen_at``:
    the address the sender is using, which the link starts with when ``BRIGHTLINE_BASE_URL`` is unset."""
    person = Person.objects.select_related("user").filter(email=email.strip().lower(), is_active=True).first()
    if person is None:
        raise InvitationError(ERR_NO_PERSON.format(email=email))
    with transaction.atomic():
        if person.user is None:
            create_login(person, taken=taken_usernames([person.email]))
        user = person.user
        assert user is not None
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
        send_mail(INVITATION_SUBJECT,
                  INVITATION_BODY.format(name=person.name, link=invitation_link(user, invitation_base_url(seen_at)),
                                         username=user.get_username()),
                  None, [person.email])
        log_action("people.login.invited", actor, person, {"username": user.get_username()},
                   actor_label=actor_label)
    return person
