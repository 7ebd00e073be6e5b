"""The sub-commands this project adds to ``brightline demo``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("demo", "load",
               "Build the demo organisation and its demo logins.",
               "brightline.cli:_add_demo_arguments",
               "brightline.cli:_load_demo"),
]
