"""``brightline insights <subcommand>``: sub-commands come from each app's ``cli.py``."""

from brightline.commands import GroupCommand


class Command(GroupCommand):
    group = "insights"
    help = "Compute AI-derived signals (themes, sentiment drift, trend breaks, contradictions, missing evidence)."
