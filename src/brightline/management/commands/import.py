from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline import SUBCOMMAND: see --help of each sub-command."
    group = "import"
