from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline narrative SUBCOMMAND: see --help of each sub-command."
    group = "narrative"
