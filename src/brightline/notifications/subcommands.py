"""The sub-commands this app adds to ``brightline notifications``; declarations only."""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("notifications", "send",
               "E-mail what needs people now, as the schedules do (safe to repeat: nothing is sent twice).",
               "brightline.notifications.cli:_add_send_arguments",
               "brightline.notifications.cli:_send"),
]
