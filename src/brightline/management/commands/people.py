from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline people SUBCOMMAND: see --help of each sub-command."
    group = "people"
