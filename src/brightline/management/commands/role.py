from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline role SUBCOMMAND: see --help of each sub-command."
    group = "role"
