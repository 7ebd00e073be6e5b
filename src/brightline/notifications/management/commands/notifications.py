from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline notifications SUBCOMMAND: see --help of each sub-command."
    group = "notifications"
