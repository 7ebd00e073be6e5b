"""Product commands grouped under one verb: ``brightline import people``, ``brightline audit verify``.

Django gives each management command one name, but several apps contribute to the same
verb (``import people`` lives in ``people``, ``import events`` in ``evidence``). Each app
declares its sub-commands in ``<app>/subcommands.py`` as ``SUBCOMMANDS``; the group command for
a verb collects them from the installed apps, so adding a source never edits a shared file.

A declaration names its argument builder and handler by dotted path (``"brightline.evidence.cli:_dora"``)
and imports nothing heavy, so building the ``brightline`` parser costs no app's implementation:
the builder's module is imported only when that sub-command's arguments are parsed or its help
is shown, the handler's only when it runs. (``call_command`` reads every option name up front, so
there the builders are loaded eagerly.) An app without ``subcommands.py`` may still list callables
in ``<app>/cli.py``.
"""

from __future__ import annotations

import errno
import importlib
import json
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import module_has_submodule

ArgumentBuilder = Callable[[CommandParser], None]
# Returns the process exit code; 0 means success.
Handler = Callable[[dict[str, Any], BaseCommand], int]
DECLARATIONS = "subcommands"
# PostgreSQL's "disk full" (the psycopg error ``DiskFull``).
PG_DISK_FULL = "53100"
# A refusal for want of the people partner role says how an operator gives someone that role.
PEOPLE_PARTNERS_ONLY = "only people partners can"
HOW_TO_MAKE_A_PEOPLE_PARTNER = ("make someone a people partner with 'brightline role set EMAIL people_partner' "
                                "(the first one is set this way, on the server) and run it again with --as EMAIL")
ERR_DISK_FULL = ("The disk that holds the database is full, so this run stopped; the work it had not finished was "
                 "rolled back and nothing is half-written. Free space on that disk (or give the database more), "
                 "then run the same command again.")


def _resolve(target: Callable[..., Any] | str) -> Any:
    """A callable, or the object a ``"package.module:name"`` path names (imported now)."""
    if not isinstance(target, str):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Subcommand:
    group: str
    name: str
    help: str
    add_arguments: ArgumentBuilder | str
    handle: Handler | str

    def arguments_builder(self) -> ArgumentBuilder:
        builder: ArgumentBuilder = _resolve(self.add_arguments)
        return builder

    def handler(self) -> Handler:
        handler: Handler = _resolve(self.handle)
        return handler


class _LazyParser(CommandParser):
    """A sub-command's parser that adds its arguments the first time it parses or prints help."""

    def __init__(self, *args: Any, subcommand: Subcommand | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending = subcommand

    def load(self) -> None:
        if self._pending is not None:
            subcommand, self._pending = self._pending, None
            subcommand.arguments_builder()(self)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self.load()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self.load()
        return super().format_help()

    def format_usage(self) -> str:
        self.load()
        return super().format_usage()


def discover(group: str) -> dict[str, Subcommand]:
    found: dict[str, Subcommand] = {}
    for app_config in apps.get_app_configs():
        if module_has_submodule(app_config.module, DECLARATIONS):
            module = importlib.import_module(f"{app_config.name}.{DECLARATIONS}")
        elif module_has_submodule(app_config.module, "cli"):
            module = importlib.import_module(f"{app_config.name}.cli")
        else:
            continue
        for subcommand in getattr(module, "SUBCOMMANDS", ()):
            if subcommand.group == group:
                if subcommand.name in found:
                    raise RuntimeError(f"two apps define 'brightline {group} {subcommand.name}'")
                found[subcommand.name] = subcommand
    return found


class GroupCommand(BaseCommand):
    group = ""

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True,
                                           parser_class=_LazyParser)
        for name, subcommand in sorted(discover(self.group).items()):
            subparser = subparsers.add_parser(name, help=subcommand.help, description=subcommand.help,
                                              subcommand=subcommand)
            if not parser.called_from_command_line:
                subparser.load()  # call_command maps keyword options to every parser's actions up front

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = discover(self.group)[options["subcommand"]]
        try:
            code = subcommand.handler()(options, self)
        except CommandError as error:
            if str(error).startswith(PEOPLE_PARTNERS_ONLY):
                raise CommandError(f"{error}; {HOW_TO_MAKE_A_PEOPLE_PARTNER}") from error
            raise
        except Exception as error:
            if disk_full(error):
                raise CommandError(ERR_DISK_FULL) from error
            raise
        if code:
            sys.exit(code)


def disk_full(error: BaseException | None) -> bool:
    """Whether ``error`` (or an error it was raised from) says the database's disk, or the machine's, is full."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        if getattr(error, "sqlstate", None) == PG_DISK_FULL:
            return True
        # PostgreSQL refuses a connection to a database whose disk has no room left for its cache file.
        if any(sign in str(error) for sign in ("No space left on device", "could not write init file")):
            return True
        error = error.__cause__ or error.__context__
    return False


def write_json(command: BaseCommand, payload: object) -> None:
    """Print one JSON document on stdout: the contract other tools parse."""
    command.stdout.write(json.dumps(payload, indent=2, sort_keys=True, default=str))


def open_progress(total: int | None, *, description: str, enabled: bool) -> Any:
    """A tqdm progress bar on a terminal (stderr), a silent stand-in otherwise."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="row", disable=not enabled or not sys.stderr.isatty())
