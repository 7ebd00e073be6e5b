"""The sub-commands this app adds to ``brightline audit|import``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("import", "demographics",
               "Import voluntary demographic attributes (employee_id plus configured attributes); stored apart, "
               "all rows or none.",
               "brightline.csvio:add_import_arguments",
               "brightline.fairness.cli:_import_demographics"),
    Subcommand("audit", "outcomes",
               "Audit outcome rates by group in a CSV decision table (four-fifths rule, Fisher / chi-square, "
               "small groups suppressed).",
               "brightline.fairness.cli:_add_arguments",
               "brightline.fairness.cli:_audit_outcomes"),
]
