"""``brightline import people`` and ``brightline ladder install-default``."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from brightline.commands import write_json
from brightline.people.importer import PeopleImportError, import_people
from brightline.people.models import Person
from brightline.people.services import get_organisation, install_default_ladder
from brightline.people.tokens import create_api_token

ERR_NO_FILE = "no such file: {path}"


def cli_actor_label() -> str:
    """Commands run by an operator are attributed to the operating-system account."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _add_import_people_arguments(parser: CommandParser) -> None:
    parser.add_argument("file", type=Path, help="CSV export: employee_id,name,email,manager_id,team,level,"
                        "timezone,start_date[,work_modality]")
    parser.add_argument("--dry-run", action="store_true", help="validate and report changes; write nothing")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _import_people(options: dict[str, Any], command: BaseCommand) -> int:
    path: Path = options["file"]
    if not path.is_file():
        raise CommandError(ERR_NO_FILE.format(path=path))
    try:
        result = import_people(path.read_bytes(), organisation=get_organisation(), actor=None,
                               actor_label=cli_actor_label(), dry_run=options["dry_run"])
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
            f"{result.unchanged} unchanged; {len(result.teams_created)} new team(s)."
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
    return 0


def _add_token_arguments(parser: CommandParser) -> None:
    parser.add_argument("--email", required=True, help="the person the token acts as")
    parser.add_argument("--name", required=True, help="what the token is for, e.g. 'HRIS sync'")


def _create_token(options: dict[str, Any], command: BaseCommand) -> int:
    person = Person.objects.filter(email=options["email"].strip().lower(), is_active=True).first()
    if person is None:
        raise CommandError(f"no active person with the email {options['email']!r}")
    key = create_api_token(person, name=options["name"], actor=None, actor_label=cli_actor_label())
    command.stdout.write(key)
    command.stderr.write("Keep this token secret; it is shown only once. Use it as 'Authorization: Bearer TOKEN'.")
    return 0
