"""The sub-commands this app adds to ``brightline audit``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("audit", "verify",
               "Check the audit trail's and the access log's hash chains and signed checkpoints.",
               "brightline.audit.cli:_add_verify_arguments",
               "brightline.audit.cli:_verify"),
    Subcommand("audit", "checkpoint",
               "Sign the current head of the audit trail and the access log with the audit key.",
               "brightline.audit.cli:_add_checkpoint_arguments",
               "brightline.audit.cli:_checkpoint"),
]
