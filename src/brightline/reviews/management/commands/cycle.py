from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline cycle SUBCOMMAND: open, advance, status and export review cycles."
    group = "cycle"
