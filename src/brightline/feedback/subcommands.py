"""The sub-commands this app adds to ``brightline narrative|nlp``; declarations only.

Each names its argument builder and handler by dotted path, so building the ``brightline``
parser imports none of ``cli.py`` (see ``brightline.commands``).
"""

from brightline.commands import Subcommand

SUBCOMMANDS = [
    Subcommand("narrative", "check",
               "Flag vague, personality-based or unsupported narrative text, with reasons.",
               "brightline.feedback.cli:_add_check_arguments",
               "brightline.feedback.cli:_check"),
    Subcommand("narrative", "draft",
               "Draft evidence-cited impact statements (the job a scheduler runs).",
               "brightline.feedback.cli:_add_draft_arguments",
               "brightline.feedback.cli:_draft"),
    Subcommand("nlp", "classify",
               "Label each row of a CSV with sentiment or tone (offline model).",
               "brightline.feedback.cli:_add_classify_arguments",
               "brightline.feedback.cli:_classify"),
]
