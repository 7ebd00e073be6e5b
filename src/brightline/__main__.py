"""The ``brightline`` console script: Django's manage.py plus the product's commands."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brightline.settings")
    from django.core.management import execute_from_command_line

    argv = list(argv if argv is not None else sys.argv)
    if argv and os.path.basename(argv[0]) == "__main__.py":
        # Django names ``python -m django`` in its help for a __main__.py; this one is Brightline's.
        argv[0] = "python -m brightline"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
