"""``brightline report <subcommand>``: sub-commands come from each app's ``cli.py``."""

from brightline.commands import GroupCommand


class Command(GroupCommand):
    group = "report"
    help = "Reports about how Brightline works: the AI transparency report, the signal bias check."
