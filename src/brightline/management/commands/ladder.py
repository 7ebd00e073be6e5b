from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline ladder SUBCOMMAND: see --help of each sub-command."
    group = "ladder"
