"""The sub-commands this app adds to ``brightline insights|report``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("insights", "run",
               "compute AI-derived signals incrementally; report created/updated/unchanged",
               "brightline.insights.cli:_add_run_arguments",
               "brightline.insights.cli:_run"),
    Subcommand("report", "transparency",
               "what each AI signal uses, detects, cannot infer, and its measured accuracy",
               "brightline.insights.cli:_add_json",
               "brightline.insights.cli:_transparency"),
    Subcommand("report", "signal-bias",
               "compare signal rates across workload classes, tenure and comment volume",
               "brightline.insights.cli:_add_json",
               "brightline.insights.cli:_signal_bias"),
]
