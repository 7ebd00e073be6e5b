from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline token SUBCOMMAND: see --help of each sub-command."
    group = "token"
