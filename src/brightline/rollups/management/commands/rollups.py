"""``brightline rollups refresh``: recompute the dashboard rollups."""

from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "Recompute the precomputed figures the dashboards read (refresh)."
    group = "rollups"
