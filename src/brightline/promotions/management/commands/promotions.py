from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline promotions SUBCOMMAND: list, show, export and escalate promotion cases."
    group = "promotions"
