"""The sub-commands this app adds to ``brightline rollups``; declarations only."""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("rollups", "refresh",
               "Recompute the dashboard rollups that changes have made stale (--all: every rollup).",
               "brightline.rollups.cli:_add_refresh_arguments",
               "brightline.rollups.cli:_refresh"),
]
