"""``brightline ingest git|github|gitlab``: pull operational evidence from a source."""

from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "Ingest operational evidence from a source (git, github, gitlab)."
    group = "ingest"
