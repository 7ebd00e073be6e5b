"""The sub-commands this app adds to ``brightline import|ladder|token|people|role``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("people", "invite",
               "E-mail a person a link to choose their password.",
               "brightline.people.cli:_add_invite_arguments",
               "brightline.people.cli:_invite"),
    Subcommand("token", "create",
               "Create a personal API token (printed once; read-only unless --scope write).",
               "brightline.people.cli:_add_token_arguments",
               "brightline.people.cli:_create_token"),
    Subcommand("import", "people",
               "Import people from an HRIS CSV export (all rows or none).",
               "brightline.people.cli:_add_import_people_arguments",
               "brightline.people.cli:_import_people"),
    Subcommand("ladder", "install-default",
               "Install the default engineering ladder and example principles.",
               "brightline.people.cli:_add_no_arguments",
               "brightline.people.cli:_install_ladder"),
    Subcommand("role", "set",
               "Set a person's access role from the server (no second approver; logged and shown).",
               "brightline.people.cli:_add_role_arguments",
               "brightline.people.cli:_set_role"),
]
