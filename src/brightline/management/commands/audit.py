from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline audit SUBCOMMAND: see --help of each sub-command."
    group = "audit"
