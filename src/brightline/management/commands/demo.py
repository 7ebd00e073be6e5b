from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline demo SUBCOMMAND: see --help of each sub-command."
    group = "demo"
