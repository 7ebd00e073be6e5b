"""Product commands grouped under one verb: ``brightline import people``, ``brightline audit verify``.

Django gives each management command one name, but several apps contribute to the same
verb (``import people`` lives in ``people``, ``import events`` in ``evidence``). Each app
lists its sub-commands in ``<app>/cli.py`` as ``SUBCOMMANDS``; the group command for a verb
collects them from the installed apps, so adding a source never edits a shared file.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import module_has_submodule


@dataclass(frozen=True)
class Subcommand:
    group: str
    name: str
    help: str
    add_arguments: Callable[[CommandParser], None]
    # Returns the process exit code; 0 means success.
    handle: Callable[[dict[str, Any], BaseCommand], int]


def discover(group: str) -> dict[str, Subcommand]:
    found: dict[str, Subcommand] = {}
    for app_config in apps.get_app_configs():
        if not module_has_submodule(app_config.module, "cli"):
            continue
        module = importlib.import_module(f"{app_config.name}.cli")
        for subcommand in getattr(module, "SUBCOMMANDS", ()):
            if subcommand.group == group:
                if subcommand.name in found:
                    raise RuntimeError(f"two apps define 'brightline {group} {subcommand.name}'")
                found[subcommand.name] = subcommand
    return found


class GroupCommand(BaseCommand):
    group = ""

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
        for name, subcommand in sorted(discover(self.group).items()):
            subparser = subparsers.add_parser(name, help=subcommand.help, description=subcommand.help)
            subcommand.add_arguments(subparser)

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = discover(self.group)[options["subcommand"]]
        code = subcommand.handle(options, self)
        if code:
            sys.exit(code)


def write_json(command: BaseCommand, payload: object) -> None:
    """Print one JSON document on stdout: the contract other tools parse."""
    command.stdout.write(json.dumps(payload, indent=2, sort_keys=True, default=str))


def open_progress(total: int | None, *, description: str, enabled: bool) -> Any:
    """A tqdm progress bar on a terminal (stderr), a silent stand-in otherwise."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="row", disable=not enabled or not sys.stderr.isatty())
