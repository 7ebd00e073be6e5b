"""The sub-commands this app adds to ``brightline promotions``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("promotions", "list",
               "promotion cases, newest first, with their stage and deadline",
               "brightline.promotions.cli:_add_list_arguments",
               "brightline.promotions.cli:_list"),
    Subcommand("promotions", "show",
               "one promotion case: readiness, panel, decision memo, appeals and escalations (the read is logged)",
               "brightline.promotions.cli:_add_show_arguments",
               "brightline.promotions.cli:_show"),
    Subcommand("promotions", "export",
               "decided promotion cases of a year, one row per case, for HRIS and the fairness audit",
               "brightline.promotions.cli:_add_export_arguments",
               "brightline.promotions.cli:_export"),
    Subcommand("promotions", "escalate",
               "hand cases stuck past a deadline to the next person (the job the scheduler runs daily)",
               "brightline.promotions.cli:_add_escalate_arguments",
               "brightline.promotions.cli:_escalate"),
]
