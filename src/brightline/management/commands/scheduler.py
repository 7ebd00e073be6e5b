from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline scheduler SUBCOMMAND: see --help of each sub-command."
    group = "scheduler"
