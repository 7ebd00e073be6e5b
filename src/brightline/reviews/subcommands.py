"""The sub-commands this app adds to ``brightline cycle``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("cycle", "open",
               "open a review cycle for teams or everyone (people partners)",
               "brightline.reviews.cli:_add_open_arguments",
               "brightline.reviews.cli:_open"),
    Subcommand("cycle", "advance",
               "move a cycle to its next phase; phases are never skipped",
               "brightline.reviews.cli:_add_advance_arguments",
               "brightline.reviews.cli:_advance"),
    Subcommand("cycle", "status",
               "where each cycle stands",
               "brightline.reviews.cli:_add_status_arguments",
               "brightline.reviews.cli:_show_status"),
    Subcommand("cycle", "export",
               "decision records, one row per person, for the fairness audit and HRIS",
               "brightline.reviews.cli:_add_export_arguments",
               "brightline.reviews.cli:_export"),
]
