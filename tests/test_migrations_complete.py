"""The migrations describe the models exactly: a renamed model or field comes with its migration
(``RenameModel``, keeping the rows), never as a drop and a create found later by ``makemigrations``."""

from __future__ import annotations

import io

from django.core.management import call_command


def test_no_model_change_lacks_a_migration(db):
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as missing:
        raise AssertionError(f"models changed without a migration:\n{out.getvalue()}") from missing
