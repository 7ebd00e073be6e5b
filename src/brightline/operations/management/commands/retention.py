from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline retention SUBCOMMAND: see --help of each sub-command."
    group = "retention"
