"""``brightline import people`` and ``brightline ladder install-default``."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from brightline.commands import write_json
from brightline.people.accounts import InvitationError, base_url_guessed, invite
from brightline.people.importer import PeopleImportError, import_people, levels_in_words
from brightline.people.models import AccessRole, Person, TokenScope
from brightline.people.rolechanges import set_role_on_command_line
from brightline.people.services import get_organisation, install_default_ladder
from brightline.people.tokens import create_api_token

ERR_NO_FILE = "no such file: {path}"
ERR_GUESSED_BASE_URL = (
    "Warning: BRIGHTLINE_BASE_URL is not set, so the link was guessed: it starts with {url}, which works only on "
    "the server itself. Set BRIGHTLINE_BASE_URL to the address people open Brightline at (for example "
    "https://brightline.example.org) and send the invitation again, or send it from the person's page in "
    "Brightline, which uses the address you are using.")
# E-mail backends that write the message to the terminal instead of sending it.
PRINTING_BACKENDS = {"django.core.mail.backends.console.EmailBackend"}


def cli_actor_label() -> str:
    """Commands run by an operator are attributed to the operating-system account."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _add_import_people_arguments(parser: CommandParser) -> None:
    parser.add_argument("file", type=Path, help="CSV export: employee_id,name,email,manager_id,team,level,"
                        "timezone,start_date[,work_modality][,end_date]")
    parser.add_argument("--dry-run", action="store_true", help="validate and report changes; write nothing")
    parser.add_argument("--full", action="store_true",
                        help="the file lists the whole organisation: anyone active who is not in it has left "
                             "today, and their login is closed")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _import_people(options: dict[str, Any], command: BaseCommand) -> int:
    path: Path = options["file"]
    if not path.is_file():
        raise CommandError(ERR_NO_FILE.format(path=path))
    try:
        with path.open("rb") as handle:  # read row by row, never whole into memory
            result = import_people(handle, organisation=get_organisation(), actor=None,
                                   actor_label=cli_actor_label(), dry_run=options["dry_run"],
                                   full=options["full"])
    except PeopleImportError as error:
        if options["json"]:
            write_json(command, {"dry_run": options["dry_run"], "errors": [e.to_json() for e in error.errors]})
        else:
            for row_error in error.errors:
                where = f"line {row_error.line}" if row_error.line else "file"
                command.stderr.write(f"{path}: {where}: {row_error.reason}")
            command.stderr.write(f"{len(error.errors)} problem(s); nothing was imported.")
        return 1
    if options["json"]:
        write_json(command, result.to_json())
    else:
        verb = "Would import" if result.dry_run else "Imported"
        command.stdout.write(
            f"{verb} {result.rows} people: {len(result.created)} new, {len(result.updated)} updated, "
            f"{result.unchanged} unchanged; {len(result.teams_created)} new team(s); {len(result.left)} left. "
            f"Logins: {len(result.logins_created)} new, {len(result.logins_deactivated)} closed."
        )
    return 0


def _add_no_arguments(parser: CommandParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _install_ladder(options: dict[str, Any], command: BaseCommand) -> int:
    result = install_default_ladder(actor_label=cli_actor_label())
    if options["json"]:
        write_json(command, result.__dict__)
    elif result.already_present:
        command.stdout.write("The default ladder is already installed; nothing changed.")
    else:
        command.stdout.write(f"Installed {result.ladders} ladders with {result.levels} levels and "
                             f"{result.principles} principles.")
        command.stdout.write(f"Levels (the people CSV takes a title or a code): {levels_in_words()}.")
    return 0


def _add_token_arguments(parser: CommandParser) -> None:
    parser.add_argument("--email", required=True, help="the person the token acts as")
    parser.add_argument("--name", required=True, help="what the token is for, e.g. 'HRIS sync'")
    parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ,
                        help="read: look only (GET); write: may also create and change data (default: read)")


def _create_token(options: dict[str, Any], command: BaseCommand) -> int:
    person = Person.objects.filter(email=options["email"].strip().lower(), is_active=True).first()
    if person is None:
        raise CommandError(f"no active person with the email {options['email']!r}")
    key = create_api_token(person, name=options["name"], actor=None, actor_label=cli_actor_label(),
                           scope=options["scope"])
    command.stdout.write(key)
    access = "read-write" if options["scope"] == TokenScope.WRITE else "read-only"
    command.stderr.write(f"This {access} token is shown only once; keep it secret. "
                         "Use it as 'Authorization: Bearer TOKEN'.")
    return 0


def _add_role_arguments(parser: CommandParser) -> None:
    parser.add_argument("email", help="the person's email address")
    parser.add_argument("role", choices=AccessRole.values, help="the new access role")
    parser.add_argument("--reason", default="", help="why, for the audit trail")


def _set_role(options: dict[str, Any], command: BaseCommand) -> int:
    person = Person.objects.filter(email=options["email"].strip().lower()).first()
    if person is None:
        raise CommandError(f"no person with the email {options['email']!r}")
    change = set_role_on_command_line(person, options["role"], actor_label=cli_actor_label(),
                                      reason=options["reason"])
    command.stdout.write(f"{person.name}: access role {change.from_label} → {change.to_label}.")
    return 0


def _add_invite_arguments(parser: CommandParser) -> None:
    parser.add_argument("--email", required=True, help="the person to invite")


def _invite(options: dict[str, Any], command: BaseCommand) -> int:
    try:
        person = invite(options["email"], actor=None, actor_label=cli_actor_label())
    except InvitationError as error:
        raise CommandError(str(error)) from None
    if base_url_guessed():
        command.stderr.write(ERR_GUESSED_BASE_URL.format(url=settings.BRIGHTLINE_BASE_URL))
    if settings.EMAIL_BACKEND in PRINTING_BACKENDS:
        # The console backend printed the message above: nothing left this machine.
        command.stdout.write(f"Printed {person.name}'s link to choose a password above; nothing was sent, because "
                             "the e-mail backend is the console (set EMAIL_BACKEND and EMAIL_HOST to send it).")
    else:
        command.stdout.write(f"Sent {person.name} a link to choose a password.")
    return 0

