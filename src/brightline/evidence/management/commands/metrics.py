"""``brightline metrics dora``: delivery metrics of a service or team."""

from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "Compute metrics from the stored evidence (dora)."
    group = "metrics"
