"""The sub-commands this app adds to ``brightline audit``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("audit", "verify",
               "Check that the audit trail's hash chain is intact.",
               "brightline.audit.cli:_add_verify_arguments",
               "brightline.audit.cli:_verify"),
]
