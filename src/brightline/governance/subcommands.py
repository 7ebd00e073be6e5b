"""The sub-commands this app adds to ``brightline import``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("import", "hris-events",
               "Import leavers, internal transfers and promotions "
               "(employee_id,event,date[,regretted,from_team,to_team,from_level,to_level]); all rows or none.",
               "brightline.csvio:add_import_arguments",
               "brightline.governance.cli:_import_hris_events"),
    Subcommand("import", "surveys",
               "Import anonymous clarity-of-expectations survey answers (survey_date,question,answer plus "
               "manager_id and/or team; no respondent); all rows or none, each round replaces the stored one.",
               "brightline.csvio:add_import_arguments",
               "brightline.governance.cli:_import_surveys"),
]
