"""The sub-commands this app adds to ``brightline retention``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("retention", "purge",
               "Delete data older than the policy's retention periods (the job to schedule).",
               "brightline.operations.cli:_add_purge_arguments",
               "brightline.operations.cli:_purge"),
]
