"""The sub-commands this app adds to ``brightline audit|import``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("import", "demographics",
               "Import voluntary demographic attributes (employee_id plus configured attributes); stored apart, "
               "all rows or none.",
               "brightline.fairness.cli:_add_import_arguments",
               "brightline.fairness.cli:_import_demographics"),
    Subcommand("import", "hris-events",
               "Import leavers, internal transfers and promotions "
               "(employee_id,event,date[,regretted,from_team,to_team,from_level,to_level]); all rows or none.",
               "brightline.fairness.cli:_add_import_arguments",
               "brightline.fairness.cli:_import_hris_events"),
    Subcommand("import", "surveys",
               "Import anonymous clarity-of-expectations survey answers (survey_date,question,answer plus "
               "manager_id and/or team; no respondent); all rows or none, each round replaces the stored one.",
               "brightline.fairness.cli:_add_import_arguments",
               "brightline.fairness.cli:_import_surveys"),
    Subcommand("audit", "outcomes",
               "Audit outcome rates by group in a CSV decision table (four-fifths rule, Fisher / chi-square, "
               "small groups suppressed).",
               "brightline.fairness.cli:_add_arguments",
               "brightline.fairness.cli:_audit_outcomes"),
]
