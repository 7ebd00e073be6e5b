"""The sub-commands this app adds to ``brightline import|ingest|metrics``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("ingest", "git",
               "Ingest a local git repository's history and release tags for a service.",
               "brightline.evidence.cli:_add_ingest_git_arguments",
               "brightline.evidence.cli:_ingest_git"),
    Subcommand("ingest", "github",
               "Ingest pull requests, reviews, releases, deployments and incident issues from GitHub.",
               "brightline.evidence.cli:_add_github_arguments",
               "brightline.evidence.cli:_ingest_github"),
    Subcommand("ingest", "gitlab",
               "Ingest merge requests, reviews, releases, deployments and incident issues from GitLab.",
               "brightline.evidence.cli:_add_gitlab_arguments",
               "brightline.evidence.cli:_ingest_gitlab"),
    Subcommand("import", "events",
               "Import deployment, incident, page and support-ticket events (all or none).",
               "brightline.evidence.cli:_add_import_events_arguments",
               "brightline.evidence.cli:_import_events"),
    Subcommand("import", "pto",
               "Import time off from the HR system (person,start_date,end_date,kind; person is an employee id or"
               " work email) for team health; all rows or none, never performance evidence.",
               "brightline.evidence.cli:_add_import_pto_arguments",
               "brightline.evidence.cli:_import_pto"),
    Subcommand("metrics", "dora",
               "DORA delivery metrics of a service or team (never of a person).",
               "brightline.evidence.cli:_add_dora_arguments",
               "brightline.evidence.cli:_dora"),
]
