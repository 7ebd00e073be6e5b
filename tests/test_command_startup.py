"""Commands register without importing their implementations; heavy libraries load where they are used.

Timing lives in ``bench/bench_startup.py``; these tests check what is imported, which can fail
without a clock: a module-level ``import scipy`` in any service a parser reaches shows up here.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.utils.module_loading import module_has_submodule

HEAVY = ("scipy", "sklearn", "duckdb", "polars", "model2vec")
SRC = Path(__file__).resolve().parents[1] / "src"

# Build every group's parser as the command line does, then print the help of the group and of each
# of its sub-commands; report which heavy libraries (and which implementation modules) got imported.
PROBE = """
import contextlib, io, json, sys
import django
django.setup()
from django.core.management import get_commands, load_command_class
from brightline.commands import GroupCommand, discover
groups = {name: app for name, app in get_commands().items() if app.startswith("brightline")}
for name, app in sorted(groups.items()):
    command = load_command_class(app, name)
    if not isinstance(command, GroupCommand):
        continue
    for argv in [["--help"], *([sub, "--help"] for sub in sorted(discover(command.group)))]:
        command._called_from_command_line = True
        parser = command.create_parser("brightline", name)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            parser.parse_args(argv)
print(json.dumps({"heavy": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY_NAMES),
                  "groups": sorted(groups)}))
""".replace("HEAVY_NAMES", repr(HEAVY))


def test_building_every_parser_and_its_help_imports_no_heavy_library():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
           "DJANGO_SETTINGS_MODULE": "brightline.settings"}
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"metrics", "cycle", "import", "report"} <= set(report["groups"])
    assert report["heavy"] == []


def _declaring_apps():
    return [config for config in apps.get_app_configs()
            if config.name.startswith("brightline") and module_has_submodule(config.module, "subcommands")]


@pytest.mark.parametrize("config", _declaring_apps(), ids=lambda config: config.label)
def test_every_declared_sub_command_names_a_builder_and_handler_that_exist(config):
    declarations = importlib.import_module(f"{config.name}.subcommands").SUBCOMMANDS
    assert declarations
    for subcommand in declarations:
        assert callable(subcommand.arguments_builder()), subcommand.add_arguments
        assert callable(subcommand.handler()), subcommand.handle


@pytest.mark.parametrize("config", _declaring_apps(), ids=lambda config: config.label)
def test_an_app_with_declarations_lists_no_sub_command_in_its_cli_module(config):
    # An entry left in cli.py would be silently ignored: discovery reads subcommands.py only.
    cli = Path(importlib.import_module(config.name).__file__).with_name("cli.py")
    if not cli.exists():
        return
    names = {target.id for node in ast.parse(cli.read_text()).body if isinstance(node, ast.Assign)
             for target in node.targets if isinstance(target, ast.Name)}
    assert "SUBCOMMANDS" not in names
