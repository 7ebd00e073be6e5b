from brightline.commands import GroupCommand


class Command(GroupCommand):
    help = "brightline nlp SUBCOMMAND: see --help of each sub-command."
    group = "nlp"
